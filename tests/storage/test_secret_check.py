"""The secret's check value: stored by the first process to open a database, then required."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from buyerguard.domain.identifiers import secret_check
from buyerguard.storage import tables as t
from buyerguard.storage.database import Database
from buyerguard.storage.secret_check import WrongSecretError, check_secret
from tests.conftest import SECRET


def stored(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return list(connection.scalars(select(t.SecretCheckRow.value)))


def test_the_first_secret_is_kept_and_another_refused(database: Database) -> None:
    assert stored(database) == []
    check_secret(database, SECRET)
    check_secret(database, SECRET)
    assert stored(database) == [secret_check(SECRET)]
    with pytest.raises(WrongSecretError, match="differs from the one the registry was built with"):
        check_secret(database, b"another-secret-0123456789abcdef012345")
    assert stored(database) == [secret_check(SECRET)]


def test_the_check_value_tells_secrets_apart_without_showing_one() -> None:
    value = secret_check(SECRET)
    assert value == secret_check(SECRET) != secret_check(SECRET + b"x")
    assert SECRET.hex() not in value
    assert SECRET.decode() not in value

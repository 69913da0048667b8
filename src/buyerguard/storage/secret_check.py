"""The identifier secret's check value, kept in the database: every identifier is stored only as an
HMAC under the secret, so a process given another secret would find nobody, and say nothing."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from buyerguard.domain.identifiers import secret_check
from buyerguard.storage.database import Database
from buyerguard.storage.tables import SecretCheckRow

_ROW = 1


class WrongSecretError(Exception):
    """The secret differs from the one the database's identifiers were hashed with."""


def check_secret(database: Database, secret: bytes) -> None:
    """Refuse a secret other than the registry's. A database without a check value (new, or made
    before the check existed) takes the secret of the first process that opens it."""
    expected = secret_check(secret)
    stored = _stored(database)
    if stored is None:
        try:
            with database.engine.begin() as connection:
                connection.execute(insert(SecretCheckRow).values(id=_ROW, value=expected))
            return
        except IntegrityError:  # another process starting together stored its secret's first
            stored = _stored(database)
    if stored != expected:
        raise WrongSecretError(
            "the secret key differs from the one the registry was built with, and would find "
            "none of its buyers: give the registry's own key"
        )


def _stored(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return connection.scalar(select(SecretCheckRow.value).where(SecretCheckRow.id == _ROW))

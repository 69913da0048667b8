"""The application factory refuses to start with a secret other than the registry's."""

from __future__ import annotations

import pytest

from buyerguard.config import Settings, SettingsError
from buyerguard.storage.database import Database
from buyerguard.web.app import create_app


def test_the_app_refuses_a_secret_other_than_the_registrys(
    settings: Settings, database: Database
) -> None:
    create_app(settings, database=database)
    other = settings.model_copy(update={"secret_key": "another-secret-0123456789abcdef0123"})
    with pytest.raises(SettingsError, match=r"^BUYERGUARD_SECRET_KEY: the secret key differs"):
        create_app(other, database=database)
    create_app(settings, database=database)

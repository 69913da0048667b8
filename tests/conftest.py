"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL when asked), app, client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from buyerguard.config import Settings
from buyerguard.domain.sellers import Role
from buyerguard.services import sellers
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.tables import Base
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.app import create_app

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = b"test-secret-0123456789abcdef0123456789"
PG_URL = os.environ.get("BUYERGUARD_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated empty database: a SQLite file to copy, or a fresh PostgreSQL database."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = open_database(f"sqlite:///{path}")
        upgrade(db)
        db.dispose()
        yield str(path)
        return
    url = make_url(PG_URL)
    name = f"buyerguard_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    db = open_database(test_url)
    upgrade(db)
    db.dispose()
    yield test_url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database(template: str, tmp_path: Path) -> Iterator[Database]:
    if not PG_URL:
        path = tmp_path / "buyerguard.db"
        shutil.copy(template, path)
        db = open_database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    db = open_database(template)
    yield db
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture
def uow(database: Database) -> SqlUnitOfWork:
    return SqlUnitOfWork(database.sessions)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=SECRET.decode(), environment="test")


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database=database)) as test_client:
        yield test_client


@pytest.fixture
def new_seller(database: Database) -> Callable[..., dict[str, str]]:
    """Create a seller (new, or established with `trust`); returns the auth header of its key."""

    def make(
        name: str | None = None, *, admin: bool = False, trust: float | None = None
    ) -> dict[str, str]:
        uow = SqlUnitOfWork(database.sessions)
        created = sellers.create_seller(
            uow,
            name or f"Seller {uuid.uuid4().hex[:8]}",
            role=Role.ADMIN if admin else Role.SELLER,
            now=NOW,
        )
        if trust is not None:  # an established seller, as the trust job would have rated it
            with uow:
                uow.sellers.set_trust({created.seller.id: trust}, now=NOW)
                uow.commit()
        return {"Authorization": f"Bearer {created.api_key}"}

    return make

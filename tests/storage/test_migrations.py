from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from buyerguard.storage.database import Database
from buyerguard.storage.schema import is_current
from buyerguard.storage.tables import Base


def test_migrations_build_exactly_the_declared_tables(database: Database) -> None:
    assert is_current(database)
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []

from __future__ import annotations

import time
from pathlib import Path

import pytest

from buyerguard.domain.errors import ConflictError
from buyerguard.domain.sellers import Role
from buyerguard.storage.database import (
    GIVE_WAY_SECONDS,
    Database,
    open_database,
    others_committed,
    reopened,
)
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW


def test_uncommitted_work_is_rolled_back(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Ghost", role=Role.SELLER, trust=0.1, now=NOW)
    with uow:
        assert uow.sellers.find_by_name("Ghost") is None


def test_committed_work_is_kept(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Kept", role=Role.SELLER, trust=0.1, now=NOW)
        uow.commit()
    with uow:
        assert uow.sellers.find_by_name("Kept") is not None


def test_a_unique_violation_is_a_conflict(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Twin", role=Role.SELLER, trust=0.1, now=NOW)
        uow.commit()
    with pytest.raises(ConflictError), uow:
        uow.sellers.add("Twin", role=Role.SELLER, trust=0.1, now=NOW)


def test_a_connection_tells_whether_others_committed_since_it_last_asked(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'versions.db'}")
    with database.engine.connect() as mine, database.engine.connect() as other:
        assert not others_committed(mine)
        mine.exec_driver_sql("CREATE TABLE t (x)")
        mine.commit()
        assert not others_committed(mine)  # its own commit
        other.exec_driver_sql("INSERT INTO t VALUES (1)")
        other.commit()
        assert others_committed(mine)
        assert not others_committed(mine)
    database.dispose()


def test_give_way_pauses_when_another_process_wrote_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'versions.db'}"
    database, elsewhere = open_database(url), open_database(url)
    uow = SqlUnitOfWork(database.sessions)
    uow.give_way()  # the first call learns where the database stands
    with elsewhere.engine.begin() as other:
        other.exec_driver_sql("CREATE TABLE t (x)")
    started = time.perf_counter()
    uow.give_way()
    assert time.perf_counter() - started >= GIVE_WAY_SECONDS
    database.dispose()
    elsewhere.dispose()


def test_a_reopened_database_has_connections_of_its_own(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'own.db'}")
    again = reopened(database)
    assert again.engine is not database.engine
    assert again.engine.url == database.engine.url
    memory = open_database("sqlite://")
    assert reopened(memory) is memory  # it lives in its one connection
    for opened in (database, again, memory):
        opened.dispose()


def test_only_a_sqlite_file_is_reopened(database: Database) -> None:
    assert (reopened(database) is database) is (not database.is_sqlite)

"""Opening a database: the engine and session factory, with SQLite tuned for a small server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool


class UnusableDatabaseError(Exception):
    """No database at all behind a URL: it is malformed, its driver is not installed, its server
    does not answer or its file cannot be opened. The message never shows a password."""


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets lookups read while a write is in progress; the busy timeout makes writers queue
    # instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# A bulk import writes some 100 MB a million tags; with SQLite's default 2 MB of page cache, its
# inserts at random places in the indexes spill and reread pages. Set for one transaction only.
BULK_CACHE_KIB = 512 * 1024


def tune_for_bulk_writes(connection: Connection) -> None:
    """Give this connection's transaction a page cache that holds what a large import touches;
    the connection gets its usual cache back when returned to the pool."""
    if connection.dialect.name != "sqlite":
        return
    fairy = connection.connection
    if "cache_size" not in fairy.info:
        fairy.info["cache_size"] = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


# SQLite's busy handler sleeps between its tries, longer and longer: a writer that has waited 30 ms
# tries again 20 ms later, one that has waited 80 ms 25 ms later. A job that lets others write
# between two of its transactions must leave the lock free at least that long, or a waiting writer
# keeps sleeping through every gap.
GIVE_WAY_SECONDS = 0.03


def others_committed(connection: Connection) -> bool:
    """Whether other connections committed since this one was last asked (SQLite's data_version,
    kept with the pooled connection); False the first time."""
    version = connection.exec_driver_sql("PRAGMA data_version").scalar()
    last = connection.info.get("data_version")
    connection.info["data_version"] = version
    return last is not None and last != version


def _restore_cache(dbapi_connection: Any, record: Any) -> None:
    cache_size = record.info.pop("cache_size", None)
    # An invalidated connection comes back as None: nothing to restore on it.
    if cache_size is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA cache_size = {int(cache_size)}")


def open_database(url: str, *, echo: bool = False) -> Database:
    """Create the engine for `url`; an in-memory SQLite database is shared by all threads."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise UnusableDatabaseError(f"{_shown(url)}: no such kind of database") from None
    except ArgumentError:
        raise UnusableDatabaseError(
            "not a database URL (dialect+driver://user:password@host/name)"
        ) from None
    except ImportError as error:
        raise UnusableDatabaseError(
            f"{_shown(url)}: its driver is not installed (no module {error.name})"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _restore_cache)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL; None for any other database, an in-memory one, or a
    URL that is not one (opening it says why)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri"):  # a "file:" URI, which SQLite reads itself
        return None
    return Path(database)


def reopened(database: Database) -> Database:
    """A SQLite file through an engine and connections of its own, for a thread that must tell its
    writes from everyone else's (others_committed reads a connection's view, and a connection
    shared through a pool sees the others' writes made on it as its own). Any other database is
    handed back as it is: an in-memory one lives in its one connection; PostgreSQL needs none."""
    if not database.is_sqlite or isinstance(database.engine.pool, StaticPool):
        return database
    url = database.engine.url.render_as_string(hide_password=False)
    return open_database(url, echo=bool(database.engine.echo))


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def connected(database: Database) -> Iterator[Connection]:
    """A connection, or UnusableDatabaseError saying why none can be had."""
    try:
        connection = database.engine.connect()
    except DBAPIError as error:
        lines = str(error.orig).strip().splitlines()
        reason = lines[0] if lines else type(error.orig).__name__
        shown = database.engine.url.render_as_string(hide_password=True)
        raise UnusableDatabaseError(f"{shown}: {reason}") from None
    with connection:
        yield connection

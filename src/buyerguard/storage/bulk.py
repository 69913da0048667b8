"""Inserts of many rows at once, run by the driver's `executemany` on the session's connection.

Bulk imports insert hundreds of thousands of rows; Core's `insert(table)` with a list of dicts
spends several microseconds a row on parameter handling and type processing, more than SQLite
needs to store the row. A `BulkInsert` compiles its statement once per dialect, converts values
with the columns' own bind processors, and hands plain tuples to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from buyerguard.storage.prepared import driver_errors, per_driver
from buyerguard.storage.tables import UtcDateTime

Processor = Callable[[Any], Any]


def sqlite_utc(value: datetime | None) -> str | None:
    """What UtcDateTime stores on SQLite (naive UTC, microseconds always written), in a third less
    time than its two-step bind processor: timestamps are most of an imported tag's values."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC time")
        value = value.astimezone(UTC)
    text = value.isoformat(" ")[:-6]  # without "+00:00"
    return text if value.microsecond else text + ".000000"


def time_format(dialect: Dialect) -> Callable[[datetime], object] | None:
    """The function that converts times for bulk inserts, if any: a module's function, which
    another process can be given."""
    return sqlite_utc if dialect.name == "sqlite" else None


def remember_times(session: Session, texts: Mapping[datetime, object]) -> None:
    """Times converted ahead by `time_format` (in another process), for this session's inserts."""
    _utc_texts(session).update(cast(Mapping[datetime | None, str | None], texts))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the driver takes named parameters: their names, in order
    processors: tuple[tuple[int, Processor], ...]  # (position, processor) of converted columns


class BulkInsert:
    """INSERT INTO table (columns) VALUES (...), for rows given as tuples in `columns` order
    (which is the table's: the compiler orders parameters so)."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._by_driver: dict[str, _Compiled] = {}

    def run(self, session: Session, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.run_columns(session, list(zip(*rows, strict=True)))

    def run_columns(self, session: Session, columns: Sequence[Sequence[Any]]) -> None:
        """The rows given column by column, in `columns` order: converting a column is one call
        in C per value, where a row at a time spends more in the interpreter than converting."""
        if not columns or not columns[0]:
            return
        session.flush()  # as Session.execute would: rows added to the session go first
        connection = session.connection()
        compiled = per_driver(self._by_driver, connection.dialect, self._compile)
        converted: list[Iterable[Any]] = list(columns)
        for position, process in compiled.processors:
            if process is sqlite_utc:
                process = _utc_texts(session).__getitem__
            converted[position] = map(process, converted[position])
        values: list[Any] = list(zip(*converted, strict=True))
        if compiled.names is not None:
            values = [dict(zip(compiled.names, row, strict=True)) for row in values]
        cursor = connection.connection.cursor()
        try:
            with driver_errors(connection.dialect, compiled.sql, values[:1]):
                cursor.executemany(compiled.sql, values)
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = insert(self.table).inline()  # no RETURNING of generated keys
        compiled = statement.compile(dialect=dialect, column_keys=list(self.columns))
        assert isinstance(compiled, SQLCompiler)
        if compiled.positional and tuple(compiled.positiontup or ()) != self.columns:
            raise AssertionError(f"give the columns in the table's order: {compiled.positiontup}")
        processors = []
        for position, name in enumerate(self.columns):
            column_type = self.table.c[name].type
            if dialect.name == "sqlite" and isinstance(column_type, UtcDateTime):
                processors.append((position, sqlite_utc))
                continue
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((position, process))
        names = None if compiled.positional else self.columns
        return _Compiled(compiled.string, names, tuple(processors))


class _UtcTexts(dict[datetime | None, str | None]):
    """sqlite_utc, remembered for a session: an import writes the same times into several
    tables (a tag's time is its buyer's first or last report) and `now` into many rows. Its
    `__getitem__` converts, found or not, without a Python call when found."""

    def __missing__(self, value: datetime | None) -> str | None:
        text = self[value] = sqlite_utc(value)
        return text


def _utc_texts(session: Session) -> _UtcTexts:
    texts = session.info.get("utc_texts")
    if texts is None:
        texts = session.info["utc_texts"] = _UtcTexts()
    return cast(_UtcTexts, texts)

"""Statements compiled once per dialect and run on the driver's own cursor.

The hot paths (a screening, a lookup, authentication) run a handful of indexed statements that
SQLite answers in a few microseconds each, while `Connection.execute` spends 40-80 µs a call on
cache keys, execution contexts and result objects. A `Prepared` statement keeps SQLAlchemy's
compiler and column types, so it speaks both dialects and converts values exactly as the ORM does,
and skips the rest. It runs in the session's transaction, on the session's connection.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None
Compiled = TypeVar("Compiled")
Row = Any  # a named tuple of the statement's columns


@dataclass
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional parameters in order; None: the driver takes names
    defaults: dict[str, Any]  # literals of the statement, such as a status compared to
    binds: tuple[tuple[str, Processor], ...]
    # Known after the first run: they need the driver's column types (PostgreSQL's numbers).
    results: tuple[Processor, ...] | None = None
    converts: bool = False


class Prepared:
    """One statement; `column_keys` names the columns an INSERT sets (the others default)."""

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) or None
        self.columns = tuple(getattr(statement, "exported_columns", ()))
        self.row_type: Any = namedtuple("Row", [c.key for c in self.columns])  # type: ignore[misc]
        self._by_driver: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        assert isinstance(compiled, SQLCompiler)
        binds = tuple(
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()
        )
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        return _Compiled(compiled.string, order, defaults, binds)

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[Row]:
        session.flush()  # as Session.execute would: rows added to the session go first
        connection = session.connection()
        compiled = per_driver(self._by_driver, connection.dialect, self._compile)
        values = {**compiled.defaults, **params}
        for name, process in compiled.binds:
            if process is not None:
                values[name] = process(values[name])
        cursor = connection.connection.cursor()
        try:
            with driver_errors(connection.dialect, compiled.sql, values):
                if compiled.order is None:
                    cursor.execute(compiled.sql, values)
                else:
                    cursor.execute(compiled.sql, tuple(values[name] for name in compiled.order))
            # PostgreSQL's compiler may add RETURNING to an INSERT: rows nobody asked for.
            description = cursor.description if self.columns else None
            fetched = cursor.fetchall() if description else []
        finally:
            cursor.close()
        if compiled.results is None:
            compiled.results = self._result_processors(connection.dialect, description or ())
            compiled.converts = any(compiled.results)
        make = self.row_type._make
        if not compiled.converts:
            return [make(row) for row in fetched]
        return [make(_convert(row, compiled.results)) for row in fetched]

    def _result_processors(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> tuple[Processor, ...]:
        return tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self.columns, description, strict=True)
        )

    def first(self, session: Session, params: Mapping[str, Any]) -> Row | None:
        found = self.rows(session, params)
        return found[0] if found else None

    def scalars(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        return [row[0] for row in self.rows(session, params)]

    def run(self, session: Session, params: Mapping[str, Any]) -> None:
        self.rows(session, params)


def per_driver(
    cache: dict[str, Compiled], dialect: Dialect, compile: Callable[[Dialect], Compiled]
) -> Compiled:
    """What `compile` makes for this dialect, made once: SQL text and parameter style depend on
    the driver, not only on the database."""
    key = f"{dialect.name}+{dialect.driver}"
    found = cache.get(key)
    if found is None:
        found = cache[key] = compile(dialect)
    return found


@contextmanager
def driver_errors(dialect: Dialect, sql: str, params: Any) -> Iterator[None]:
    """The driver's errors raised as SQLAlchemy raises them from `Connection.execute`: a unique
    key lost to a concurrent writer stays an IntegrityError, which the unit of work reports as a
    conflict to retry."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        base = dialect.loaded_dbapi.Error
        raise DBAPIError.instance(sql, params, error, base, dialect=dialect) from error


def _convert(row: Sequence[Any], processors: tuple[Processor, ...]) -> list[Any]:
    return [
        value if process is None else process(value)
        for value, process in zip(row, processors, strict=True)
    ]

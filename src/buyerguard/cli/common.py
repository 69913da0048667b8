"""What every command shares: the clock, the database, buyer options, output and errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

import click

from buyerguard.config import Settings, SettingsError
from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.sellers import Seller
from buyerguard.storage.database import (
    Database,
    UnusableDatabaseError,
    open_database,
    sqlite_file,
)
from buyerguard.storage.schema import upgrade
from buyerguard.storage.secret_check import WrongSecretError, check_secret
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.dependencies import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])
# Editors on Windows start UTF-8 files with a byte-order mark; it is not part of the text.
TEXT_FILES = "utf-8-sig"
IDENTIFIER_OPTIONS = (
    "platform_buyer_id",
    "email",
    "phone",
    "shipping_address",
    "payment_fingerprint",
)


def now() -> datetime:
    return datetime.now(UTC)


def counted(number: int, noun: str) -> str:
    """`1 tag`, `2 tags`: the nouns the commands count take an s."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


class CommandError(click.ClickException):
    """A problem the user can fix, reported as domain errors are: one line on stderr, exit 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=True)


class RowId(click.ParamType[int]):
    """An id as the API takes it: digits, 1 to 2^63-1 (ids are 64-bit in the database, and a larger
    number would overflow there rather than be reported)."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value)
        if text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_ID:
            return int(text)
        name = param.human_readable_name if param else "id"
        raise CommandError(f"{name}: expected a whole number from 1 to {MAX_ID}, not {text!r}")


def reports_errors(command: F) -> F:
    """Domain errors print their message to stderr and exit 1, as the error table says."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BuyerGuardError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

    return wrapper  # type: ignore[return-value]  # wraps keeps the signature click reads


def buyer_options(command: F) -> F:
    for name in reversed(IDENTIFIER_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, default=None)(command)
    return command


def buyer_from(options: dict[str, Any]) -> dict[str, object]:
    return {k: options[k] for k in IDENTIFIER_OPTIONS if options.get(k) is not None}


@contextmanager
def opened(settings: Settings, *, create: bool = False) -> Iterator[Database]:
    """The database at the current schema. Only a command that may `create` it makes a new SQLite
    file: any other, pointed at a mistyped data directory, would work on an empty registry of
    its own and find nobody."""
    if create:
        settings.prepared_data_dir()
    else:
        _refuse_missing(settings)
    try:
        database = open_database(settings.resolved_database_url())
    except UnusableDatabaseError as error:
        raise _unusable(settings, error) from None
    try:
        try:
            upgrade(database)
        except UnusableDatabaseError as error:
            raise _unusable(settings, error) from None
        try:
            check_secret(database, settings.identifier_secret())
        except WrongSecretError as error:
            raise SettingsError(f"{settings.secret_source()}: {error}") from None
        yield database
    finally:
        database.dispose()


def _refuse_missing(settings: Settings) -> None:
    path = sqlite_file(settings.resolved_database_url())
    if path is not None and not path.exists():
        missing = UnusableDatabaseError(f"no database at {path}; create it with `buyerguard init`")
        raise _unusable(settings, missing)


def _unusable(settings: Settings, error: UnusableDatabaseError) -> SettingsError:
    # Blamed on the setting that points at the database (by default a file in the data directory).
    setting = "BUYERGUARD_DATABASE_URL" if settings.database_url else "BUYERGUARD_DATA_DIR"
    return SettingsError(f"{setting}: {error}")


@contextmanager
def text_file(path: Path, *, newline: str) -> Iterator[TextIO]:
    """`path` opened as UTF-8 text; bytes that are not end the command, naming their line."""
    with path.open(encoding=TEXT_FILES, newline=newline) as file:
        try:
            yield file
        except UnicodeDecodeError:
            line = _undecodable_line(path)
            if line is None:  # not this file's bytes: something else went wrong
                raise
            raise CommandError(f"{path}, line {line}: not UTF-8 text") from None


def read_text(file: TextIO) -> str:
    """All of a file opened as UTF-8 text (or standard input), as `text_file` reports it."""
    try:
        return file.read()
    except UnicodeDecodeError:
        line = _undecodable_line(Path(file.name))
        where = "" if line is None else f", line {line}"
        raise CommandError(f"{file.name}{where}: not UTF-8 text") from None


def _undecodable_line(path: Path) -> int | None:
    """The number of the first line that is not UTF-8, read again from the file (line feeds are
    never part of another character's bytes); None when there is none, or no file to read."""
    try:
        with path.open("rb") as file:
            for number, line in enumerate(file, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except OSError:
        pass
    return None


def emit(data: Any, *, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def seller_named(db: Database, name: str, *, param_hint: str = "--seller") -> Seller:
    with SqlUnitOfWork(db.sessions) as uow:
        found = uow.sellers.find_by_name(name.strip())  # as `seller create` stored it
    if found is None:
        raise click.BadParameter(f"no seller named {name!r}", param_hint=param_hint)
    return found

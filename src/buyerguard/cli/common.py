"""What every command shares: the clock, the database, buyer options, output and errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

import click

from buyerguard.config import Settings
from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.sellers import Seller
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

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


def reports_errors(command: F) -> F:
    """Domain errors print their message to stderr and exit 1, as the error table says."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BuyerGuardError as error:
            click.echo(f"error: {error.code}: {error.message}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]  # wraps keeps the signature click reads


def buyer_options(command: F) -> F:
    for name in reversed(IDENTIFIER_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, default=None)(command)
    return command


def buyer_from(options: dict[str, Any]) -> dict[str, object]:
    return {k: options[k] for k in IDENTIFIER_OPTIONS if options.get(k) is not None}


@contextmanager
def opened(settings: Settings) -> Iterator[Database]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.resolved_database_url())
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()


def emit(data: Any, *, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def seller_named(db: Database, name: str) -> Seller:
    with SqlUnitOfWork(db.sessions) as uow:
        found = uow.sellers.find_by_name(name)
    if found is None:
        raise click.BadParameter(f"no seller named {name!r}", param_hint="--seller")
    return found

"""Bulk import of tags and completed orders from JSON Lines, all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from itertools import islice

from buyerguard.domain.errors import InvalidImportError
from buyerguard.domain.imports import RecordParser
from buyerguard.domain.sellers import Seller
from buyerguard.services.collector import COLLECTOR
from buyerguard.services.imports.parsing import Chunk, parsed_chunks
from buyerguard.services.imports.storing import ImportResult, ImportStore
from buyerguard.services.unit_of_work import UnitOfWork

__all__ = ["CHUNK_LINES", "ImportResult", "import_lines", "store_lines"]

CHUNK_LINES = 20_000
# The first chunks are smaller: nothing is stored until the first is parsed, and the worker parses
# faster than this process stores, so it stays ahead as they grow to CHUNK_LINES.
FIRST_CHUNK_LINES = 2_500


def import_lines(
    uow: UnitOfWork,
    lines: Iterable[str],
    *,
    importer: Seller,
    secret: bytes,
    now: datetime,
) -> ImportResult:
    """Import every line or none: any bad line rolls the whole import back, and the error lists the
    line numbers of all bad lines."""
    with _collector_paused(), uow:
        result = store_lines(uow, lines, importer=importer, secret=secret, now=now)
        uow.commit()
    return result


def store_lines(
    uow: UnitOfWork,
    lines: Iterable[str],
    *,
    importer: Seller,
    secret: bytes,
    now: datetime,
) -> ImportResult:
    """As `import_lines`, in the caller's open transaction, left for the caller to commit (bad
    lines raise InvalidImportError before it can)."""
    parser = RecordParser(
        importer=importer.name, may_name_sellers=importer.is_admin, secret=secret, now=now
    )
    errors: list[tuple[int, str]] = []
    uow.expect_bulk_writes()
    chunks = parsed_chunks(_chunks(enumerate(lines, start=1)), parser, uow.time_format())
    store = ImportStore(uow, importer, now=now)
    with closing(chunks) as parsed:
        for records, bad, times in parsed:
            errors.extend(bad)
            if not errors:
                uow.formatted_times(times)
                store.store(records)
    if errors:
        raise InvalidImportError(errors)
    return store.finish()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The collector paused while an import runs in a process of its own (the command line). With
    other threads running, a server's, their requests' garbage must not pile up meanwhile (its
    start-up objects are frozen out of the collector's passes already)."""
    if threading.active_count() > 1:
        yield
        return
    with COLLECTOR.paused():
        yield


def _chunks(numbered: Iterator[tuple[int, str]]) -> Iterator[Chunk]:
    size = min(FIRST_CHUNK_LINES, CHUNK_LINES)
    while chunk := list(islice(numbered, size)):
        yield chunk
        size = min(2 * size, CHUNK_LINES)

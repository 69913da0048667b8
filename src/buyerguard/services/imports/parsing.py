"""Parsing the lines of an import, the next chunk in a second process while this one is stored.

Parsing (JSON, validation, normalising and hashing identifiers) costs about half as much as
storing, so an import of more than one chunk is parsed ahead by a worker process and the two
overlap; one chunk is parsed here.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import NamedTuple

from buyerguard.domain import json_lines
from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.imports import ImportRecord, RecordParser
from buyerguard.domain.tags import expiry_for
from buyerguard.services.unit_of_work import TimeFormat

Chunk = list[tuple[int, str]]  # (line number, text)
AHEAD = 2  # chunks given to the worker before their turn: it never waits for the next


class ParsedChunk(NamedTuple):
    records: list[ImportRecord]
    errors: list[tuple[int, str]]  # (line number, message)
    times: dict[datetime, object]  # the tags' times as storage writes them, if formatted here


def parse_chunk(
    parser: RecordParser, chunk: Sequence[tuple[int, str]], time_format: TimeFormat | None = None
) -> ParsedChunk:
    records = []
    errors = []
    for number, text in chunk:
        if not text.strip():
            continue
        try:
            records.append(parser.record(json_lines.decode(text), line=number))
        except BuyerGuardError as error:
            errors.append((number, error.message))
    times = _formatted_times(records, parser.now, time_format) if time_format else {}
    return ParsedChunk(records, errors, times)


def _formatted_times(
    records: list[ImportRecord], now: datetime, time_format: TimeFormat
) -> dict[datetime, object]:
    """Each tag's time and expiry as storage will write them: converting them costs the
    process that stores the chunk more than passing it the results."""
    times = {}
    for record in records:
        if record.type == "tag":
            at = record.at or now
            expires_at = expiry_for(record.reason or "", at)
            times[at] = time_format(at)
            times[expires_at] = time_format(expires_at)
    return times


def parsed_chunks(
    chunks: Iterator[Chunk], parser: RecordParser, time_format: TimeFormat | None = None
) -> Generator[ParsedChunk, None, None]:
    """Each chunk parsed, in order; the times of its tags formatted by the worker process."""
    first = next(chunks, None)
    second = next(chunks, None)
    if first is None or second is None:
        if first is not None:
            yield parse_chunk(parser, first)
        return
    context = multiprocessing.get_context(_start_method())
    worker = ProcessPoolExecutor(
        1, mp_context=context, initializer=_start_worker, initargs=(parser, time_format)
    )
    try:
        pending: deque[Future[ParsedChunk]] = deque(
            worker.submit(_parse_in_worker, chunk) for chunk in (first, second)
        )
        while pending:
            parsed = pending.popleft().result()
            for chunk in _take(chunks, AHEAD - len(pending)):
                pending.append(worker.submit(_parse_in_worker, chunk))
            yield parsed
    finally:
        # Not waiting for the worker to exit: it has nothing left to do but free its memory.
        worker.shutdown(wait=False, cancel_futures=True)


def _start_method() -> str:
    """Fork, which starts at once, unless other threads run (a web server's): a forked child
    would inherit their locks held. Spawn then, which starts a fresh interpreter."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    return "fork" if forks and threading.active_count() == 1 else "spawn"


def _take(chunks: Iterator[Chunk], count: int) -> list[Chunk]:
    return [chunk for _, chunk in zip(range(count), chunks, strict=False)]


# In a worker process: the parser of its import, and how storage writes times.
_worker_parser: list[tuple[RecordParser, TimeFormat | None]] = []


def _start_worker(parser: RecordParser, time_format: TimeFormat | None) -> None:
    # The process parses one import and ends; its parser's cache of identifiers only grows, and
    # the cyclic collector would traverse it again and again for nothing.
    gc.disable()
    _worker_parser.append((parser, time_format))


def _parse_in_worker(chunk: Chunk) -> ParsedChunk:
    parser, time_format = _worker_parser[0]
    return parse_chunk(parser, chunk, time_format)

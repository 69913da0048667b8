"""The event inbox: what is kept of an accepted event, and how bodies and history files are read.

An event's buyer is kept only as keyed hashes, like every identifier: the inbox is a table like the
others and must not reveal an email to whoever steals it. Reading is pure; storing is a service's.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain import json_lines
from buyerguard.domain.errors import (
    BuyerGuardError,
    InvalidIdentifierError,
    InvalidImportError,
    InvalidInputError,
)
from buyerguard.domain.events import EVENT_TYPES, Event, InvalidEventError, parse_event
from buyerguard.domain.identifiers import IDENTIFIER_KINDS, HashedIdentifier, hash_identifiers
from buyerguard.domain.times import CLOCK_SKEW

MAX_EVENTS_PER_REQUEST = 1000
# Clocks differ; an event dated further ahead than this is a mistake, and would hold an order's
# clean-order window open, or date a tag, in the future.
# The data fields any event type may carry, as CSV columns (EventType lists which one takes which).
DATA_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f.name for event_type in EVENT_TYPES for f in event_type.fields)
)
CSV_COLUMNS: tuple[str, ...] = (
    "event_id",
    "type",
    "occurred_at",
    "order_ref",
    *IDENTIFIER_KINDS,
    "amount",
    "currency",
    *DATA_FIELDS,
)


@dataclass(frozen=True)
class IncomingEvent:
    """An event to put in the inbox: its facts, and its buyer as hashes only."""

    seller_id: int
    event: Event
    identifiers: tuple[HashedIdentifier, ...]
    source: str


@dataclass(frozen=True)
class StoredEvent:
    """An event as kept; `event.buyer` is empty, the buyer being in `identifiers`."""

    id: int
    seller_id: int
    event: Event
    identifiers: tuple[HashedIdentifier, ...]
    source: str
    received_at: datetime
    processed_at: datetime | None


@dataclass(frozen=True)
class PendingEvent:
    """An inbox row as the job reads it: the event as the rules see it (no buyer, no amount), and
    the buyer's identifiers to find who the order is with."""

    id: int
    seller_id: int
    event: Event
    identifiers: tuple[HashedIdentifier, ...]

    @property
    def order_ref(self) -> str:
        return self.event.order_ref

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at


def refuse_future(events: Sequence[Event], *, now: datetime) -> None:
    """Refuse an event dated more than CLOCK_SKEW ahead of `now`, naming it in a batch."""
    for index, event in enumerate(events):
        if event.occurred_at > now + CLOCK_SKEW:
            where = "occurred_at" if len(events) == 1 else f"events[{index}].occurred_at"
            raise InvalidEventError(where, "is in the future")


def without_buyer(event: Event) -> Event:
    return Event(
        event_id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        order_ref=event.order_ref,
        amount=event.amount,
        currency=event.currency,
        data=event.data,
    )


def hash_buyer(event: Event, secret: bytes) -> tuple[HashedIdentifier, ...]:
    """The event's identifiers, hashed; a malformed one is refused, naming `buyer.<kind>`.

    For what a seller sends: it can correct its own data.
    """
    if not event.buyer:
        return ()
    try:
        return hash_identifiers(event.buyer, secret)
    except InvalidIdentifierError as error:
        problem = error.message.removeprefix(f"{error.field}: ")
        raise InvalidEventError(f"buyer.{error.field}", problem) from None


def hash_buyer_leniently(event: Event, secret: bytes) -> tuple[HashedIdentifier, ...]:
    """The identifiers that can be read, the others left out.

    For what a platform sends: a shop's phone field often lacks a country code, and refusing the
    webhook for it would lose the chargeback it reports.
    """
    found: list[HashedIdentifier] = []
    for kind, value in event.buyer.items():
        try:
            found.extend(hash_identifiers({kind: value}, secret))
        except InvalidIdentifierError:
            continue
    return tuple(found)


def parse_event_body(text: str) -> list[Event]:
    """One event (a JSON object), a JSON array of them, or JSON Lines, as `POST /v1/events` takes.

    Errors name the field, and for several events also which one (`events[3].type`).
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError("body: expected a JSON object, a JSON array or JSON Lines")
    if stripped.startswith("{") and "\n" in stripped:
        bodies = _json_lines(stripped)
    else:
        bodies = _json_document(stripped)
    if len(bodies) > MAX_EVENTS_PER_REQUEST:
        raise InvalidInputError(f"body: at most {MAX_EVENTS_PER_REQUEST} events per request")
    if len(bodies) == 1 and isinstance(bodies[0], Mapping):
        return [parse_event(bodies[0])]
    return [_indexed(index, body) for index, body in enumerate(bodies)]


def _json_document(text: str) -> list[object]:
    try:
        data = json_lines.decode(text)
    except InvalidInputError as error:
        raise InvalidInputError(f"body: {error.message}") from None
    if isinstance(data, list):
        if not data:
            raise InvalidInputError("body: the array holds no event")
        return data
    return [data]


def _json_lines(text: str) -> list[object]:
    """A body that spans lines is JSON Lines only if it does not parse as one document."""
    try:
        return [json_lines.decode(text)]
    except InvalidInputError:
        pass
    bodies: list[object] = []
    for index, line in enumerate(json_lines.lines(text)):
        if not line.strip():
            continue
        try:
            bodies.append(json_lines.decode(line))
        except InvalidInputError as error:
            raise InvalidInputError(f"events[{index}]: {error.message}") from None
    return bodies


def _indexed(index: int, body: object) -> Event:
    if not isinstance(body, Mapping):
        raise InvalidEventError(f"events[{index}]", "must be an object")
    try:
        return parse_event(body)
    except InvalidEventError as error:
        raise InvalidEventError(f"events[{index}].{error.field}", error.problem) from None


def import_id(body: Mapping[str, object]) -> str:
    """A stable id for a history line that has none, so that importing a file twice is a no-op."""
    content = json.dumps({k: v for k, v in body.items() if k != "event_id"}, sort_keys=True)
    return "import:" + hashlib.sha256(content.encode()).hexdigest()[:32]


def parse_history(
    lines: Iterable[str], *, csv_format: bool, secret: bytes, now: datetime
) -> list[tuple[Event, tuple[HashedIdentifier, ...]]]:
    """A seller's past events, as JSON Lines (one `POST /v1/events` body a line) or CSV with
    `CSV_COLUMNS` headers, each with its buyer hashed (and removed from the event).

    All or nothing: every bad line is reported with its number.
    """
    rows = _csv_rows(lines) if csv_format else _jsonl_rows(lines)
    events: list[tuple[Event, tuple[HashedIdentifier, ...]]] = []
    errors: list[tuple[int, str]] = []
    for number, body in rows:
        try:
            if isinstance(body, BuyerGuardError):
                raise body
            event = parse_event(_with_id(body))
            refuse_future([event], now=now)
            events.append((without_buyer(event), hash_buyer(event, secret)))
        except BuyerGuardError as error:
            errors.append((number, error.message))
    if errors:
        raise InvalidImportError(errors)
    return events


def _with_id(body: Mapping[str, object]) -> Mapping[str, object]:
    return body if body.get("event_id") else {**body, "event_id": import_id(body)}


Row = tuple[int, Mapping[str, object] | BuyerGuardError]


def _jsonl_rows(lines: Iterable[str]) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json_lines.decode(line)
        except InvalidInputError as error:
            rows.append((number, error))
            continue
        if not isinstance(data, Mapping):
            rows.append((number, InvalidInputError("expected a JSON object")))
            continue
        rows.append((number, data))
    return rows


def _csv_rows(lines: Iterable[str]) -> list[Row]:
    """`lines` keep their line endings (a file opened with `newline=""`), so that a quoted cell
    may span lines. A row is numbered by the line it starts on, the header being line 1."""
    records = _csv_records(lines)
    number, header = next(records, (1, []))
    if isinstance(header, BuyerGuardError):
        raise InvalidImportError([(number, header.message)])
    if not header:  # no record at all: blank lines are skipped
        raise InvalidImportError(
            [(1, f"the file is empty; its first line names the columns: {', '.join(CSV_COLUMNS)}")]
        )
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise InvalidImportError(
            [(number, f"unknown column(s) {', '.join(unknown)}; valid: {', '.join(CSV_COLUMNS)}")]
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:  # which of two cells would count is anybody's guess
        raise InvalidImportError([(number, f"column(s) given twice: {', '.join(repeated)}")])
    return [
        (number, cells if isinstance(cells, BuyerGuardError) else _csv_body(header, cells))
        for number, cells in records
    ]


def _csv_records(lines: Iterable[str]) -> Iterator[tuple[int, list[str] | BuyerGuardError]]:
    """Each non-blank record with the number of its first line; a malformed one as its error.

    Strict, so that a stray or unclosed quote is an error rather than a cell that swallows the
    rest of the row or the file.
    """
    reader = csv.reader(_without_bom(lines), strict=True)
    while True:
        first = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield first, InvalidInputError(_csv_problem(error))
            continue
        if cells:
            yield first, cells


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """Spreadsheets save UTF-8 CSV with a byte-order mark, which decoding leaves on the header."""
    for index, line in enumerate(lines):
        yield line.removeprefix("\ufeff") if index == 0 else line


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    # Strict, the reader runs out of data only inside a quoted cell.
    if text == "unexpected end of data":
        return "a quoted cell is not closed"
    if text.startswith("field larger than field limit"):
        return f"a cell is longer than {csv.field_size_limit()} characters"
    if text.endswith("expected after '\"'"):
        return 'text follows a closing quote (a quote inside a quoted cell is written "")'
    return f"not valid CSV ({text})"


def _csv_body(
    header: Sequence[str], cells: Sequence[str]
) -> Mapping[str, object] | InvalidInputError:
    if any(cell.strip() for cell in cells[len(header) :]):
        return InvalidInputError(f"{len(cells)} cells, but the header names {len(header)} columns")
    filled = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if cell.strip()}
    body: dict[str, object] = {
        k: filled[k]
        for k in ("event_id", "type", "occurred_at", "order_ref", "currency")
        if k in filled
    }
    if "amount" in filled:
        body["amount"] = _number(filled["amount"])
    buyer = {k: filled[k] for k in IDENTIFIER_KINDS if k in filled}
    data = {k: filled[k] for k in DATA_FIELDS if k in filled}
    if buyer:
        body["buyer"] = buyer
    if data:
        body["data"] = data
    return body


def _number(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text  # parse_event names the field when it is not a number

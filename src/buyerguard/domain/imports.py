"""The line format of bulk imports (JSON Lines): tags and completed orders, each with its buyer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.identifiers import HashedIdentifier, hash_identifiers
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.tags import MAX_NOTE_LENGTH, validate_order_ref

RECORD_TYPES = ("tag", "completed_order")
_CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class ImportRecord:
    line: int
    type: str
    buyer: tuple[HashedIdentifier, ...]
    seller: str | None
    reason: str | None
    note: str
    order_ref: str | None
    at: datetime | None


def parse_time(value: object, *, field: str, now: datetime) -> datetime:
    """ISO 8601; a time without a zone is taken as UTC; a time in the future is refused."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: expected an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"{field}: not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > now + _CLOCK_SKEW:
        raise InvalidInputError(f"{field}: in the future")
    return parsed


def _optional_str(data: Mapping[str, object], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: expected a string")
    return value


def parse_record(data: object, *, line: int, secret: bytes, now: datetime) -> ImportRecord:
    if not isinstance(data, dict):
        raise InvalidInputError("expected a JSON object")
    kind = data.get("type")
    if kind not in RECORD_TYPES:
        raise InvalidInputError(f"type: expected one of {', '.join(RECORD_TYPES)}")
    buyer = data.get("buyer")
    if not isinstance(buyer, dict):
        raise InvalidInputError("buyer: expected an object of identifiers")
    reason = _optional_str(data, "reason")
    if kind == "tag":
        get_reason(reason or "")
    note = _optional_str(data, "note") or ""
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInputError(f"note: at most {MAX_NOTE_LENGTH} characters")
    order_ref = _optional_str(data, "order_ref")
    validate_order_ref(order_ref)
    if kind == "completed_order" and order_ref is None:
        raise InvalidInputError("order_ref: required for a completed order")
    at = data.get("at")
    return ImportRecord(
        line=line,
        type=str(kind),
        buyer=hash_identifiers(buyer, secret),
        seller=_optional_str(data, "seller"),
        reason=reason if kind == "tag" else None,
        note=note,
        order_ref=order_ref,
        at=None if at is None else parse_time(at, field="at", now=now),
    )


def parse_line(text: str, *, line: int, secret: bytes, now: datetime) -> ImportRecord:
    """Parse one JSON line; errors carry no line number (the caller adds it)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"not valid JSON ({error.msg})") from None
    return parse_record(data, line=line, secret=secret, now=now)

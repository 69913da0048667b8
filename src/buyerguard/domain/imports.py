"""The line format of bulk imports (JSON Lines): tags and completed orders, each with its buyer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.identifiers import HashedIdentifier, hash_identifiers
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.sellers import seller_name_key, validate_seller_name
from buyerguard.domain.tags import validate_order_ref
from buyerguard.domain.text import validate_note
from buyerguard.domain.times import as_utc, refuse_future

RECORD_TYPES = ("tag", "completed_order")
_FIELDS = frozenset({"type", "buyer", "reason", "note", "order_ref", "at", "seller"})


class ImportRecord(NamedTuple):
    """A named tuple, not a dataclass: an import builds one a line and may pickle them."""

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
    parsed = as_utc(parsed, field=field)
    refuse_future(parsed, field=field, now=now)
    return parsed


def _optional_str(data: Mapping[str, object], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: expected a string")
    return value


class RecordParser:
    """Validates the decoded lines of one import.

    Buyers recur across the lines of an import, so each buyer's identifiers are normalised and
    hashed once (a phone number costs phonenumbers some 15 µs) and the result is reused.
    """

    def __init__(
        self, *, importer: str, may_name_sellers: bool, secret: bytes, now: datetime
    ) -> None:
        self.importer = importer
        self.may_name_sellers = may_name_sellers
        self.secret = secret
        self.now = now
        self._buyers: dict[tuple[tuple[str, object], ...], tuple[HashedIdentifier, ...]] = {}

    def record(self, data: object, *, line: int) -> ImportRecord:
        """One line's record; a bad line raises an error without its line number."""
        if not isinstance(data, dict):
            raise InvalidInputError("expected a JSON object")
        kind = data.get("type")
        if kind not in RECORD_TYPES:
            raise InvalidInputError(f"type: expected one of {', '.join(RECORD_TYPES)}")
        unknown = data.keys() - _FIELDS
        if unknown:  # a misspelt field ("ordre_ref") would otherwise be dropped without a word
            raise InvalidInputError(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
        buyer = data.get("buyer")
        if not isinstance(buyer, dict):
            raise InvalidInputError("buyer: expected an object of identifiers")
        reason = _optional_str(data, "reason")
        if kind == "tag":
            get_reason(reason or "")
        note = _optional_str(data, "note") or ""
        validate_note(note)
        order_ref = _optional_str(data, "order_ref")
        validate_order_ref(order_ref)
        if kind == "completed_order" and order_ref is None:
            raise InvalidInputError("order_ref: required for a completed order")
        identifiers = self._identifiers(buyer)
        seller = _optional_str(data, "seller")
        if seller is not None:
            seller = validate_seller_name(seller)
        at = data.get("at")
        record = ImportRecord(
            line,
            str(kind),
            identifiers,
            seller,
            reason if kind == "tag" else None,
            note,
            order_ref,
            None if at is None else parse_time(at, field="at", now=self.now),
        )
        if (
            seller is not None
            and not self.may_name_sellers
            and seller_name_key(seller) != seller_name_key(self.importer)
        ):
            raise InvalidInputError("seller: only an admin key may name another seller")
        return record

    def _identifiers(self, buyer: dict[str, object]) -> tuple[HashedIdentifier, ...]:
        key = tuple(buyer.items())
        try:
            return self._buyers[key]
        except KeyError:
            found = self._buyers[key] = hash_identifiers(buyer, self.secret)
            return found
        except TypeError:  # a value that is not hashable, which hash_identifiers refuses
            return hash_identifiers(buyer, self.secret)

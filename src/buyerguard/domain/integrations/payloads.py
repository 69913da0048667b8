"""Reading providers' webhook bodies: typed access whose errors name the missing field's full path.

Bodies are decoded JSON (`Mapping[str, object]`), so every read checks its type; a wrong or missing
field is the provider's format not being what we expect, reported as `PayloadError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.events import Event, InvalidEventError, UnknownEventTypeError


class PayloadError(InvalidInputError):
    code = "invalid_payload"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Mapper(Protocol):
    def __call__(self, payload: Mapping[str, object], *, topic: str) -> list[Event]: ...


@dataclass(frozen=True)
class JsonObject:
    """One JSON object and its path from the body's root, used to name fields in errors."""

    data: Mapping[str, object]
    path: str = ""

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> object:
        return self.data.get(key)

    def obj(self, key: str) -> JsonObject:
        found = self.opt_obj(key)
        if found is None:
            raise PayloadError(self.where(key), "is required")
        return found

    def opt_obj(self, key: str) -> JsonObject | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise PayloadError(self.where(key), "must be an object")
        return JsonObject(value, self.where(key))

    def objs(self, key: str) -> list[JsonObject]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise PayloadError(self.where(key), "must be a list")
        items = []
        for index, item in enumerate(value):
            path = f"{self.where(key)}[{index}]"
            if not isinstance(item, Mapping):
                raise PayloadError(path, "must be an object")
            items.append(JsonObject(item, path))
        return items

    def text(self, key: str) -> str:
        found = self.opt_text(key)
        if found is None:
            raise PayloadError(self.where(key), "is required")
        return found

    def opt_text(self, key: str) -> str | None:
        """A string, or an integer id as decimal text (Shopify and WooCommerce ids are numbers)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise PayloadError(self.where(key), "must be a string")
        if isinstance(value, int):
            return str(value)
        return value.strip() or None

    def first_text(self, *keys: str) -> str | None:
        return next((text for key in keys if (text := self.opt_text(key)) is not None), None)

    def ref(self, key: str) -> str:
        """An id that may also arrive expanded into the object it names (Stripe's `expand`)."""
        expanded = self.data.get(key)
        if isinstance(expanded, Mapping):
            return JsonObject(expanded, self.where(key)).text("id")
        return self.text(key)

    def time(self, key: str) -> datetime:
        found = self.opt_time(key)
        if found is None:
            raise PayloadError(self.where(key), "is required")
        return found

    def opt_time(self, key: str) -> datetime | None:
        """Unix seconds, or ISO 8601 text; a time without an offset is taken as UTC. In UTC, so
        that a time that exists only with its offset (year 1, an hour ahead) is refused here."""
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                raise PayloadError(self.where(key), "is out of range") from None
        text = self.opt_text(key)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise PayloadError(self.where(key), "must be an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise PayloadError(self.where(key), "is out of range") from None

    def opt_decimal(self, key: str) -> Decimal | None:
        """A money amount sent as a JSON number or as decimal text ("409.94")."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise PayloadError(self.where(key), "must be a number")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise PayloadError(self.where(key), "must be a number") from None
        # Decimal reads "NaN", "sNaN" and "Infinity", and JSON numbers may be too large for a
        # float: none is an amount, and NaN would fail every comparison made with it.
        if not amount.is_finite() or not math.isfinite(float(amount)):
            raise PayloadError(self.where(key), "must be a finite number")
        return amount


def unwrap(payload: Mapping[str, object], key: str) -> JsonObject:
    """Accept both a bare resource and one wrapped under its name (`{"order": {...}}`)."""
    inner = payload.get(key)
    if isinstance(inner, Mapping) and "id" not in payload:
        return JsonObject(inner, key)
    return JsonObject(payload)


def topic_header(headers: Mapping[str, str], name: str) -> str:
    """The topic a provider sends in a header (Shopify, WooCommerce); required."""
    topic = headers.get(name, "").strip()
    if not topic:
        raise PayloadError(name, "header is required")
    return topic


def require_topic(provider: str, topic: str, topics: Iterable[str]) -> None:
    handled = tuple(topics)
    if topic not in handled:
        raise UnknownEventTypeError(
            f"{provider} topic {topic!r} is not handled; handled topics: {', '.join(handled)}"
        )


def money(amount: Decimal | None, currency: str | None) -> tuple[float | None, str | None]:
    """(amount, currency) for an Event: both or neither, since an amount means nothing alone."""
    code = (currency or "").strip().upper()
    if amount is None or len(code) != 3 or not code.isalpha() or amount < 0:
        return None, None
    return float(amount), code


def address_line(parts: Iterable[str | None]) -> str | None:
    """One string for a postal address; normalising it is the identifiers module's job."""
    line = ", ".join(part for part in parts if part)
    return line or None


def identifiers(**kinds: str | None) -> dict[str, str]:
    return {kind: value for kind, value in kinds.items() if value}


def claim_event(
    *, chargeback: bool, reason: str, claim: str, outcome: str | None, stage: str | None = None
) -> tuple[str, dict[str, str]]:
    """The event type and data for a provider's dispute, opened (`outcome` None) or decided.

    Card chargebacks keep the processor's reason, which the rules read for fraud; platform claims
    (PayPal disputes, inquiries) carry the claim kind, which decides whether a win is unmerited.
    """
    data = {"reason": reason.lower()}
    if chargeback:
        if outcome is None:
            return "chargeback.created", data | ({"stage": stage} if stage else {})
        return "chargeback.resolved", data | {"outcome": outcome}
    data["claim"] = claim
    if outcome is None:
        return "dispute.opened", data
    return "dispute.resolved", data | {"outcome": outcome}


def checked(mapper: Callable[[Mapping[str, object], str], list[Event]]) -> Mapper:
    """Wrap a body-to-events function so that an event the body cannot make is a PayloadError.

    `Event` validates itself; a value it refuses (an over-long id, say) came from the body.
    """

    def to_events(payload: Mapping[str, object], *, topic: str) -> list[Event]:
        try:
            return mapper(payload, topic)
        except InvalidEventError as error:
            raise PayloadError(error.field, error.problem) from None

    to_events.__doc__ = mapper.__doc__
    return to_events

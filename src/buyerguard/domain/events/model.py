"""The event model: the order-lifecycle facts buyerguard accepts, and their validation.

Sellers post events (`POST /v1/events`) and platform adapters derive them from webhooks; both build
the same `Event`, which validates itself, so the rules never see a malformed fact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.identifiers import IDENTIFIER_KINDS
from buyerguard.domain.text import unstorable
from buyerguard.domain.times import TimeRangeError, as_utc

CLAIMS: tuple[str, ...] = ("quality", "not_received", "fraud", "other")
# "withdrawn": the claim ended without a verdict (cancelled by the buyer, an inquiry closed, an
# outcome code we do not know). It withdraws provisional tags as a buyer win does; it confirms none.
OUTCOMES: tuple[str, ...] = ("seller_won", "buyer_won", "withdrawn")
# Processor reason codes (lower-cased) meaning "the cardholder says they did not make this payment".
FRAUD_REASONS: frozenset[str] = frozenset(
    {"fraud", "fraudulent", "unauthorized", "unauthorised", "debit_not_authorized"}
)
# The reasons an event can prove; the others (extortion, remote_area...) stay a seller's judgement.
AUTOMATIC_REASONS: frozenset[str] = frozenset(
    {
        "unpaid_order",
        "non_payment",
        "card_fraud",
        "unmerited_dispute",
        "cod_refusal",
        "frequent_returns",
    }
)
_MAX_ID_LENGTH = 200


class UnknownEventTypeError(InvalidInputError):
    code = "unknown_event_type"


class InvalidEventError(InvalidInputError):
    code = "invalid_event"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.problem = message


@dataclass(frozen=True)
class EventField:
    """One key of `Event.data`; `choices` is None for free text, such as a processor's reason."""

    name: str
    required: bool = True
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EventType:
    code: str
    description: str
    fields: tuple[EventField, ...] = ()


_CLAIM = EventField("claim", choices=CLAIMS)
_OUTCOME = EventField("outcome", choices=OUTCOMES)
_OPTIONAL_REASON = EventField("reason", required=False)

# Listed in lifecycle order: the rules break ties between events with one timestamp by position.
EVENT_TYPES: tuple[EventType, ...] = (
    EventType("order.created", "The buyer placed the order."),
    EventType("order.paid", "The order was paid."),
    EventType("order.payment_timeout", "The order was not paid within the time allowed."),
    EventType("order.delivered", "The parcel was delivered (or the platform marked it fulfilled)."),
    EventType(
        "cod.refused",
        "The buyer refused a cash-on-delivery parcel or its duties.",
        (_OPTIONAL_REASON,),
    ),
    EventType("order.returned", "The buyer sent the goods back.", (_OPTIONAL_REASON,)),
    EventType(
        "refund.requested", "The buyer asked for, or was given, money back.", (_OPTIONAL_REASON,)
    ),
    EventType(
        "dispute.opened",
        "The buyer opened a claim with the marketplace or payment platform.",
        (_CLAIM, _OPTIONAL_REASON),
    ),
    EventType(
        "dispute.resolved",
        "The platform decided a claim.",
        (_OUTCOME, _CLAIM, _OPTIONAL_REASON),
    ),
    EventType(
        "chargeback.created",
        "The issuer reversed the payment or warned of fraud; `reason` is the processor's code.",
        (EventField("reason"), EventField("stage", required=False)),
    ),
    EventType("chargeback.resolved", "The chargeback was decided.", (_OUTCOME, _OPTIONAL_REASON)),
)
EVENT_TYPES_BY_CODE: dict[str, EventType] = {t.code: t for t in EVENT_TYPES}


def get_event_type(code: str) -> EventType:
    try:
        return EVENT_TYPES_BY_CODE[code]
    except KeyError:
        raise UnknownEventTypeError(
            f"unknown event type {code!r}; valid types: {', '.join(EVENT_TYPES_BY_CODE)}"
        ) from None


def is_fraud_reason(reason: str) -> bool:
    return reason.strip().lower().replace("-", "_").replace(" ", "_") in FRAUD_REASONS


@dataclass(frozen=True)
class Event:
    """One fact about one order. Validated on construction; `occurred_at` is normalised to UTC.

    `buyer` may be empty when the provider does not say who the buyer is (a dispute webhook): the
    service then finds the buyer through earlier events of the same order.
    """

    event_id: str
    type: str
    occurred_at: datetime
    order_ref: str
    buyer: dict[str, str] = field(default_factory=dict)
    amount: float | None = None
    currency: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        event_type = get_event_type(self.type)
        _check_id("event_id", self.event_id)
        _check_id("order_ref", self.order_ref)
        try:
            occurred_at = as_utc(self.occurred_at, field="occurred_at")
        except TimeRangeError as error:
            raise InvalidEventError("occurred_at", error.problem) from None
        _check_buyer(self.buyer)
        _check_money(self.amount, self.currency)
        if self.currency is not None:  # given in any case, kept as ISO writes it
            object.__setattr__(self, "currency", self.currency.upper())
        _check_data(event_type, self.data)
        # Copies, so that a caller mutating its dicts cannot change a frozen event.
        object.__setattr__(self, "occurred_at", occurred_at)
        object.__setattr__(self, "buyer", dict(self.buyer))
        object.__setattr__(self, "data", dict(self.data))

    def __hash__(self) -> int:
        # The generated hash would fail on the dict fields; equal events share an id.
        return hash(self.event_id)


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEventError(name, "must be a non-empty string")
    if len(value) > _MAX_ID_LENGTH:
        raise InvalidEventError(name, f"must be at most {_MAX_ID_LENGTH} characters")
    _check_text(name, value, free_text=False)


def _check_buyer(buyer: Mapping[str, str]) -> None:
    for kind, value in buyer.items():
        if kind not in IDENTIFIER_KINDS:
            valid = ", ".join(IDENTIFIER_KINDS)
            raise InvalidEventError(f"buyer.{kind}", f"unknown identifier kind; valid: {valid}")
        if not isinstance(value, str) or not value.strip():
            raise InvalidEventError(f"buyer.{kind}", "must be a non-empty string")


def _check_text(name: str, value: str, *, free_text: bool) -> None:
    found = unstorable(value, free_text=free_text)
    if found is not None:
        raise InvalidEventError(name, found.message)


def _check_money(amount: float | None, currency: str | None) -> None:
    if amount is not None and (not math.isfinite(amount) or amount < 0):
        raise InvalidEventError("amount", "must be a finite number >= 0")
    if currency is not None and not (
        len(currency) == 3 and currency.isascii() and currency.isalpha()
    ):
        raise InvalidEventError("currency", "must be a three-letter ISO 4217 code")
    if amount is not None and currency is None:
        raise InvalidEventError("currency", "is required when amount is given")


def _check_data(event_type: EventType, data: Mapping[str, str]) -> None:
    known = {f.name: f for f in event_type.fields}
    for key, value in data.items():
        if key not in known:
            valid = ", ".join(known) or "none"
            raise InvalidEventError(
                f"data.{key}", f"not a field of {event_type.code}; valid: {valid}"
            )
        if not isinstance(value, str) or not value:
            raise InvalidEventError(f"data.{key}", "must be a non-empty string")
        # Free text, such as a processor's reason: refusing a webhook for a line break in it would
        # lose the event it reports.
        _check_text(f"data.{key}", value, free_text=True)
        choices = known[key].choices
        if choices is not None and value not in choices:
            raise InvalidEventError(f"data.{key}", f"must be one of {', '.join(choices)}")
    for name, spec in known.items():
        if spec.required and name not in data:
            raise InvalidEventError(f"data.{name}", f"is required for {event_type.code}")


_BODY_KEYS = ("event_id", "type", "occurred_at", "order_ref", "buyer", "amount", "currency", "data")


def parse_event(body: Mapping[str, object]) -> Event:
    """Build an `Event` from a decoded `POST /v1/events` body; errors name the offending field."""
    for key in body:
        if key not in _BODY_KEYS:
            raise InvalidEventError(key, f"unknown field; valid: {', '.join(_BODY_KEYS)}")
    currency = body.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise InvalidEventError("currency", "must be a string")
    return Event(
        event_id=_required_text(body, "event_id"),
        type=_required_text(body, "type"),
        occurred_at=_parse_time(_required_text(body, "occurred_at")),
        order_ref=_required_text(body, "order_ref"),
        buyer=_text_map(body, "buyer"),
        amount=_amount(body.get("amount")),
        currency=currency,
        data=_text_map(body, "data"),
    )


def _amount(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEventError("amount", "must be a number")
    try:
        return float(value)
    except OverflowError:  # an integer beyond the largest float
        raise InvalidEventError("amount", "must be a finite number >= 0") from None


def _required_text(body: Mapping[str, object], key: str) -> str:
    value = body.get(key)
    if value is None:
        raise InvalidEventError(key, "is required")
    if not isinstance(value, str):
        raise InvalidEventError(key, "must be a string")
    return value


def _text_map(body: Mapping[str, object], key: str) -> dict[str, str]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEventError(key, "must be an object")
    for item_key, item in value.items():
        if not isinstance(item, str):
            raise InvalidEventError(f"{key}.{item_key}", "must be a string")
    return dict(value)


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEventError("occurred_at", "must be an ISO 8601 date-time") from None

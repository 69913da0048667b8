"""The event rules: one order's history in; the automatic tags and clean status it deserves out.

A pure fold over the events sorted by time, so arrival order and replays do not matter. The service
layer stores the outcome and diffs it against the automatic tags it created before; a later event
can therefore withdraw a tag (a dispute the buyer won) as well as raise one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.events.model import (
    AUTOMATIC_REASONS,
    EVENT_TYPES,
    Event,
    is_fraud_reason,
)
from buyerguard.domain.reasons import get_reason

_DISPUTE_REASONS = ("non_payment", "card_fraud", "unmerited_dispute")
# Lifecycle position breaks ties between events with the same timestamp (delivered before a claim).
_RANK: dict[str, int] = {t.code: rank for rank, t in enumerate(EVENT_TYPES)}


@dataclass(frozen=True)
class AutoTag:
    """A tag the rules want to exist; `event_id` is the event that raised it first.

    `confirmed_by` lists later events that supported it (a repeat claim, a seller win);
    `renewals` holds those of them that called for it on their own, with their time, as opposed to
    a seller win that only confirms what its claim raised.
    """

    reason: str
    event_id: str
    occurred_at: datetime
    confirmed_by: tuple[str, ...] = ()
    renewals: tuple[tuple[str, datetime], ...] = ()

    def raised_after(self, moment: datetime) -> AutoTag | None:
        """The tag as the events after `moment` raise it, from the first of them that calls for it
        on its own; None when none does (a seller's retraction at `moment` then stands)."""
        if self.occurred_at > moment:
            return self
        for index, (event_id, at) in enumerate(self.renewals):
            if at > moment:
                later = self.confirmed_by[self.confirmed_by.index(event_id) + 1 :]
                return AutoTag(self.reason, event_id, at, later, self.renewals[index + 1 :])
        return None


@dataclass(frozen=True)
class OrderOutcome:
    tags: tuple[AutoTag, ...]
    clean: bool
    delivered: bool
    returned: bool


@dataclass(frozen=True)
class EventRules:
    """A seller's automatic-tagging settings; `enabled` holds codes from AUTOMATIC_REASONS."""

    returns_share_threshold: float = 0.5
    min_orders_for_returns: int = 3
    clean_after: timedelta = timedelta(days=30)
    enabled: frozenset[str] = AUTOMATIC_REASONS

    def __post_init__(self) -> None:
        if not 0 <= self.returns_share_threshold < 1:
            raise InvalidInputError("returns_share_threshold must be at least 0 and below 1")
        if self.min_orders_for_returns < 1:
            raise InvalidInputError("min_orders_for_returns must be at least 1")
        if self.clean_after < timedelta(0):
            raise InvalidInputError("clean_after must not be negative")
        for code in sorted(self.enabled):
            get_reason(code)
            if code not in AUTOMATIC_REASONS:
                valid = ", ".join(sorted(AUTOMATIC_REASONS))
                raise InvalidInputError(f"{code!r} cannot be tagged automatically; valid: {valid}")


@dataclass
class _OrderState:
    tags: dict[str, AutoTag] = field(default_factory=dict)
    paid: bool = False
    delivered_at: datetime | None = None
    returned: bool = False
    troubled: bool = False  # any return, refund, refusal, claim or chargeback: never a clean order

    def raise_tag(self, reason: str, event: Event) -> None:
        current = self.tags.get(reason)
        if current is None:
            self.tags[reason] = AutoTag(reason, event.event_id, event.occurred_at)
        else:
            self.tags[reason] = replace(
                current,
                confirmed_by=(*current.confirmed_by, event.event_id),
                renewals=(*current.renewals, (event.event_id, event.occurred_at)),
            )

    def confirm_tag(self, reason: str, event: Event) -> None:
        current = self.tags.get(reason)
        if current is not None:
            self.tags[reason] = replace(
                current, confirmed_by=(*current.confirmed_by, event.event_id)
            )

    def drop_tag(self, *reasons: str) -> None:
        for reason in reasons:
            self.tags.pop(reason, None)

    @property
    def delivered(self) -> bool:
        """Delivered before the event being folded: events are folded in time order."""
        return self.delivered_at is not None


def _on_paid(state: _OrderState, event: Event) -> None:
    state.paid = True
    state.drop_tag("unpaid_order")


def _on_payment_timeout(state: _OrderState, event: Event) -> None:
    if not state.paid:
        state.raise_tag("unpaid_order", event)


def _on_delivered(state: _OrderState, event: Event) -> None:
    if state.delivered_at is None:
        state.delivered_at = event.occurred_at
    # A parcel accepted on a later attempt was not, in the end, refused.
    state.drop_tag("cod_refusal")


def _on_cod_refused(state: _OrderState, event: Event) -> None:
    state.troubled = True
    state.raise_tag("cod_refusal", event)


def _on_return(state: _OrderState, event: Event) -> None:
    state.troubled = True
    state.returned = True


def _on_dispute(state: _OrderState, event: Event) -> None:
    state.troubled = True
    outcome = event.data.get("outcome")
    if outcome is not None and outcome != "seller_won":
        state.drop_tag(*_DISPUTE_REASONS)
        return
    claim = event.data["claim"]
    if claim == "fraud":
        state.raise_tag("card_fraud", event)
    elif claim == "not_received" and state.delivered:
        state.raise_tag("non_payment", event)
    elif claim == "quality" and outcome == "seller_won":
        state.raise_tag("unmerited_dispute", event)


def _on_chargeback(state: _OrderState, event: Event) -> None:
    state.troubled = True
    outcome = event.data.get("outcome")
    if outcome is not None and outcome != "seller_won":
        state.drop_tag(*_DISPUTE_REASONS)
        return
    reason = event.data.get("reason")
    if reason is None:  # a seller win with no reason confirms what the chargeback raised
        for code in _DISPUTE_REASONS:
            state.confirm_tag(code, event)
    elif is_fraud_reason(reason):
        state.raise_tag("card_fraud", event)
    elif state.delivered:
        state.raise_tag("non_payment", event)


_HANDLERS: dict[str, Callable[[_OrderState, Event], None]] = {
    "order.paid": _on_paid,
    "order.payment_timeout": _on_payment_timeout,
    "order.delivered": _on_delivered,
    "cod.refused": _on_cod_refused,
    "order.returned": _on_return,
    "refund.requested": _on_return,
    "dispute.opened": _on_dispute,
    "dispute.resolved": _on_dispute,
    "chargeback.created": _on_chargeback,
    "chargeback.resolved": _on_chargeback,
}


def _chronological(events: Sequence[Event]) -> list[Event]:
    """Sort by time, then lifecycle rank, then id, and keep one event per id.

    The full key makes the order independent of arrival; the data is in the key so that two
    different bodies under one id (which the service should never store) still sort the same way.
    """
    ordered = sorted(
        events,
        key=lambda e: (e.occurred_at, _RANK[e.type], e.event_id, sorted(e.data.items())),
    )
    seen: set[str] = set()
    unique: list[Event] = []
    for event in ordered:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    return unique


def outcome_for_order(events: Sequence[Event], rules: EventRules, *, now: datetime) -> OrderOutcome:
    """The automatic tags and clean-order status one order deserves, given everything seen so far.

    `events` is the whole history of one (seller, order_ref), duplicates and any order allowed.
    Re-running with more events may withdraw a tag: the caller diffs, it does not append.
    """
    if len({event.order_ref for event in events}) > 1:
        raise ValueError("outcome_for_order takes the events of one order only")
    state = _OrderState()
    for event in _chronological(events):
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(state, event)
    clean = (
        state.delivered_at is not None
        and not state.troubled
        and not state.tags
        and now >= state.delivered_at + rules.clean_after
    )
    tags = sorted(
        (tag for tag in state.tags.values() if tag.reason in rules.enabled),
        key=lambda tag: (tag.occurred_at, tag.reason),
    )
    return OrderOutcome(
        tags=tuple(tags),
        clean=clean,
        delivered=state.delivered_at is not None,
        returned=state.returned,
    )


def return_counts(outcomes: Iterable[OrderOutcome]) -> tuple[int, int]:
    """(orders, returned) for `returns_tag_due`: orders the buyer received, and those sent back.

    An order only counts once it reached the buyer, so unpaid or refused orders cannot dilute the
    share; a returned order counts even if its delivery was never reported.
    """
    received = [o for o in outcomes if o.delivered or o.returned]
    return len(received), sum(1 for o in received if o.returned)


def returns_tag_due(orders: int, returned: int, rules: EventRules) -> bool:
    """Whether a buyer's returns are frequent enough for an automatic `frequent_returns` tag.

    Needs at least `min_orders_for_returns` orders, so that one return out of one order is not
    "100 % returns", and a share strictly above the threshold.
    """
    if orders < 0 or returned < 0 or returned > orders:
        raise InvalidInputError("need 0 <= returned <= orders")
    if "frequent_returns" not in rules.enabled or orders < rules.min_orders_for_returns:
        return False
    return returned / orders > rules.returns_share_threshold

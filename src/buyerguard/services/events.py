"""Events in: accepted into the inbox (fast, exactly once per seller and event id), a seller's past
events loaded in bulk, the event rules a seller sets, and an order's stored events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.events import Event, EventRules
from buyerguard.domain.inbox import (
    IncomingEvent,
    StoredEvent,
    hash_buyer,
    parse_event_body,
    parse_history,
    refuse_future,
    without_buyer,
)
from buyerguard.domain.tags import validate_order_ref
from buyerguard.services.unit_of_work import UnitOfWork, commit_once

API_SOURCE = "api"
IMPORT_SOURCE = "import"


@dataclass(frozen=True)
class Accepted:
    """`accepted[i]` tells whether the i-th event was new; False marks a duplicate."""

    event_ids: tuple[str, ...]
    accepted: tuple[bool, ...]

    @property
    def new(self) -> int:
        return sum(self.accepted)

    @property
    def duplicates(self) -> int:
        return len(self.accepted) - self.new


def accept_events(
    uow: UnitOfWork,
    events: Sequence[Event],
    *,
    seller_id: int,
    secret: bytes,
    now: datetime,
) -> Accepted:
    """Put a seller's events in the inbox, committed before this returns; the job applies them.

    A buyer's identifiers are hashed here, so none is stored in clear; a malformed one refuses the
    whole request, naming it. An event id the seller used before is a duplicate, even with another
    body: the first one stands.
    """
    return store_incoming(
        uow, _incoming(events, seller_id=seller_id, secret=secret, now=now), now=now
    )


@dataclass(frozen=True)
class EventsRequest:
    """One `POST /v1/events` body as it arrived: whose, and when."""

    seller_id: int
    body: str
    now: datetime


def accept_together(
    uow: UnitOfWork, requests: Sequence[EventsRequest], *, secret: bytes
) -> list[Accepted | BuyerGuardError]:
    """Several requests' events in one transaction (one commit for all): each request gets its
    statuses, or the error that refused it; as in `accept_events`, in the order they came."""
    prepared: list[list[IncomingEvent] | BuyerGuardError] = []
    for request in requests:
        try:
            events = parse_event_body(request.body)
            incoming = _incoming(
                events, seller_id=request.seller_id, secret=secret, now=request.now
            )
        except BuyerGuardError as error:
            prepared.append(error)
            continue
        prepared.append(incoming)
    everything = [item for p in prepared if not isinstance(p, BuyerGuardError) for item in p]
    inserted: set[tuple[int, str]] = set()
    if everything:
        with uow:
            inserted = uow.events.add_many(everything, now=max(r.now for r in requests))
            commit_once(uow)  # the group-commit writer must not run the batch again after it
    seen: set[tuple[int, str]] = set()  # an id twice in the batch is new only the first time
    return [p if isinstance(p, BuyerGuardError) else _statuses(p, inserted, seen) for p in prepared]


def _incoming(
    events: Sequence[Event], *, seller_id: int, secret: bytes, now: datetime
) -> list[IncomingEvent]:
    refuse_future(events, now=now)
    return [
        IncomingEvent(seller_id, without_buyer(event), hash_buyer(event, secret), API_SOURCE)
        for event in events
    ]


def store_incoming(
    uow: UnitOfWork, incoming: Sequence[IncomingEvent], *, now: datetime
) -> Accepted:
    with uow:
        inserted = uow.events.add_many(incoming, now=now)
        uow.commit()
    return _statuses(incoming, inserted, set())


def _statuses(
    incoming: Sequence[IncomingEvent],
    inserted: set[tuple[int, str]],
    seen: set[tuple[int, str]],
) -> Accepted:
    flags = []
    for item in incoming:
        key = (item.seller_id, item.event.event_id)
        flags.append(key in inserted and key not in seen)
        seen.add(key)
    return Accepted(tuple(item.event.event_id for item in incoming), tuple(flags))


def import_event_history(
    uow: UnitOfWork,
    lines: Iterable[str],
    *,
    csv_format: bool,
    seller_id: int,
    secret: bytes,
    now: datetime,
) -> Accepted:
    """A seller's past orders and outcomes, as events into the inbox: all lines or none.

    The same rules apply to them as to live events once the job has run; a line without an
    `event_id` gets one derived from its content, so importing a file twice changes nothing.
    """
    parsed = parse_history(lines, csv_format=csv_format, secret=secret, now=now)
    incoming = [
        IncomingEvent(seller_id, event, identifiers, IMPORT_SOURCE) for event, identifiers in parsed
    ]
    return store_incoming(uow, incoming, now=now)


def get_event_rules(uow: UnitOfWork, *, seller_id: int) -> EventRules:
    with uow:
        return uow.event_rules.get_many([seller_id]).get(seller_id, EventRules())


def save_event_rules(
    uow: UnitOfWork, rules: EventRules, *, seller_id: int, now: datetime
) -> EventRules:
    """Applies to orders as their next event arrives or their window closes; it does not rewrite
    the tags already made."""
    with uow:
        uow.event_rules.save(seller_id, rules, now=now)
        uow.commit()
    return rules


def list_order_events(uow: UnitOfWork, order_ref: str, *, seller_id: int) -> list[StoredEvent]:
    validate_order_ref(order_ref)
    with uow:
        return uow.events.list_for_order(seller_id, order_ref)

"""Builders shared by the event, alert and delivery service tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.events import Event
from buyerguard.domain.sellers import Role
from buyerguard.services import events, sellers, tags
from buyerguard.services.event_processing import ProcessReport, process_events
from buyerguard.services.events import Accepted
from buyerguard.services.unit_of_work import UnitOfWork

SECRET = b"events-test-secret-0123456789"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def new_seller(uow: UnitOfWork, name: str) -> int:
    return sellers.create_seller(uow, name, role=Role.SELLER, now=NOW).seller.id


def event(
    event_id: str,
    kind: str,
    order_ref: str,
    *,
    days_ago: float = 0,
    buyer: dict[str, str] | None = None,
    **data: str,
) -> Event:
    return Event(
        event_id=event_id,
        type=kind,
        occurred_at=NOW - timedelta(days=days_ago),
        order_ref=order_ref,
        buyer=buyer or {},
        data=data,
    )


def post(uow: UnitOfWork, seller_id: int, *posted: Event, at: datetime = NOW) -> Accepted:
    return events.accept_events(uow, posted, seller_id=seller_id, secret=SECRET, now=at)


def process(uow: UnitOfWork, *, at: datetime = NOW) -> ProcessReport:
    return process_events(uow, now=at)


def tags_of(uow: UnitOfWork, seller_id: int) -> list[tuple[str, str, str | None]]:
    """(reason, status, order_ref) of a seller's tags, oldest first."""
    found = tags.list_tags(uow, seller_id=seller_id, after_id=None, limit=500, now=NOW)
    return [(t.reason, t.status.value, t.order_ref) for t in reversed(found)]

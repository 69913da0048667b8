"""The event inbox and order histories, and the sellers' event rules.

One `events` table is both the inbox (rows not yet processed) and every order's history: the job
marks a row processed in the transaction that applies its effects, so a crash loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from buyerguard.domain.events import Event, EventRules
from buyerguard.domain.identifiers import HashedIdentifier, IdentifierKind
from buyerguard.domain.inbox import IncomingEvent, PendingEvent, StoredEvent
from buyerguard.storage.repositories import batched
from buyerguard.storage.tables import Base, Id, UtcDateTime

OrderKey = tuple[int, str]
Pair = tuple[int, int]
T = TypeVar("T")
KEYS_PER_QUERY = 1000  # two bound parameters each, far under either engine's limit


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("seller_id", "event_id"),
        Index("ix_events_seller_order", "seller_id", "order_ref"),
        # The inbox: only unprocessed rows are indexed, so the index stays as small as the backlog.
        Index(
            "ix_events_pending",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    order_ref: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    identifiers: Mapped[list[list[str]]] = mapped_column(JSON)
    amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    data: Mapped[dict[str, str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EventRulesRow(Base):
    __tablename__ = "event_rules"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), primary_key=True)
    returns_share_threshold: Mapped[float] = mapped_column(Float)
    min_orders_for_returns: Mapped[int] = mapped_column(Integer)
    clean_after_seconds: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventRecheckRow(Base):
    """An order to evaluate again when its clean-order window closes, though no event arrives."""

    __tablename__ = "event_rechecks"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


_EVENT_COLUMNS = (
    EventRow.id,
    EventRow.seller_id,
    EventRow.event_id,
    EventRow.type,
    EventRow.order_ref,
    EventRow.occurred_at,
    EventRow.identifiers,
    EventRow.amount,
    EventRow.currency,
    EventRow.data,
    EventRow.source,
    EventRow.received_at,
    EventRow.processed_at,
)


# What the rules read of a stored event; its amount, buyer and receipt are not theirs to judge.
_HISTORY_COLUMNS = (
    EventRow.seller_id,
    EventRow.event_id,
    EventRow.type,
    EventRow.order_ref,
    EventRow.occurred_at,
    EventRow.data,
)
_KINDS = {kind.value: kind for kind in IdentifierKind}


def _event(row: Any, amount: float | None = None, currency: str | None = None) -> Event:
    """Rebuilt without running its checks again: every stored event passed them on its way in,
    and the job reads each one many times (an order's whole history at each of its events)."""
    event = object.__new__(Event)
    # Frozen forbids setting attributes, not filling the instance dictionary once.
    event.__dict__.update(
        event_id=row.event_id,
        type=row.type,
        occurred_at=row.occurred_at,
        order_ref=row.order_ref,
        buyer={},
        amount=amount,
        currency=currency,
        data=row.data,
    )
    return event


def _hashes(row: Any) -> tuple[HashedIdentifier, ...]:
    return tuple(HashedIdentifier(_KINDS[k], d) for k, d in row.identifiers)


def per_seller(keys: Iterable[tuple[int, T]]) -> Iterator[tuple[int, list[T]]]:
    """(seller, up to KEYS_PER_QUERY second parts) for `seller = :s AND col IN (:values)`.

    SQLite never uses an index for `(a, b) IN ((..), (..))`: it scans the whole table. One
    seller and a list of values is an index search on both engines, and one cached statement.
    """
    grouped: dict[int, set[T]] = {}
    for seller, second in keys:
        grouped.setdefault(seller, set()).add(second)
    for seller, seconds in grouped.items():
        for chunk in batched(seconds, KEYS_PER_QUERY):
            yield seller, chunk


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        seller_id=row.seller_id,
        event=_event(row, row.amount, row.currency),
        identifiers=_hashes(row),
        source=row.source,
        received_at=row.received_at,
        processed_at=row.processed_at,
    )


_ADD_EVENTS: dict[str, Any] = {}


def _add_events_statement(dialect: str) -> Any:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING, which both engines accept, built once per
    dialect so that SQLAlchemy's compiled cache serves every request (the hot path of ingestion).
    """
    if dialect not in _ADD_EVENTS:
        module = postgresql if dialect == "postgresql" else sqlite
        table = EventRow.__table__
        _ADD_EVENTS[dialect] = (
            module.insert(table)
            .on_conflict_do_nothing(index_elements=["seller_id", "event_id"])
            .returning(table.c.seller_id, table.c.event_id)
        )
    return _ADD_EVENTS[dialect]


class SqlEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, events: Sequence[IncomingEvent], *, now: datetime) -> set[tuple[int, str]]:
        """Insert the events not already there; returns the (seller, event id) of those inserted."""
        if not events:
            return set()
        rows = [
            {
                "seller_id": item.seller_id,
                "event_id": item.event.event_id,
                "type": item.event.type,
                "order_ref": item.event.order_ref,
                "occurred_at": item.event.occurred_at,
                "identifiers": [[h.kind.value, h.digest] for h in item.identifiers],
                "amount": item.event.amount,
                "currency": item.event.currency,
                "data": dict(item.event.data),
                "source": item.source,
                "received_at": now,
            }
            for item in events
        ]
        connection = self.session.connection()
        statement = _add_events_statement(connection.dialect.name)
        result = connection.execute(statement, rows)
        return {(row.seller_id, row.event_id) for row in result}

    def pending(self, limit: int) -> list[PendingEvent]:
        e = EventRow
        query = (
            select(e.id, *_HISTORY_COLUMNS, e.identifiers)
            .where(e.processed_at.is_(None))
            .order_by(e.id)
            .limit(limit)
        )
        return [
            PendingEvent(row.id, row.seller_id, _event(row), _hashes(row))
            for row in self.session.execute(query)
        ]

    def history(self, orders: Iterable[OrderKey]) -> dict[OrderKey, list[Event]]:
        """Every stored event of these orders, processed or not."""
        found: dict[OrderKey, list[Event]] = {}
        query = select(*_HISTORY_COLUMNS).where(
            EventRow.seller_id == bindparam("seller"),
            EventRow.order_ref.in_(bindparam("refs", expanding=True)),
        )
        for seller, refs in per_seller(orders):
            rows = self.session.execute(query, {"seller": seller, "refs": refs})
            for row in rows:
                found.setdefault((row.seller_id, row.order_ref), []).append(_event(row))
        return found

    def list_for_order(self, seller_id: int, order_ref: str) -> list[StoredEvent]:
        query = (
            select(*_EVENT_COLUMNS)
            .where(EventRow.seller_id == seller_id, EventRow.order_ref == order_ref)
            .order_by(EventRow.occurred_at, EventRow.id)
        )
        return [_stored(row) for row in self.session.execute(query)]

    def mark_processed(self, ids: Sequence[int], *, now: datetime) -> None:
        for chunk in batched(ids):
            self.session.execute(
                update(EventRow).where(EventRow.id.in_(chunk)).values(processed_at=now)
            )

    def count_pending(self) -> int:
        query = select(func.count()).where(EventRow.processed_at.is_(None))
        return self.session.scalar(query) or 0

    def due_rechecks(self, *, now: datetime, limit: int) -> list[OrderKey]:
        rows = self.session.execute(
            select(EventRecheckRow.seller_id, EventRecheckRow.order_ref)
            .where(EventRecheckRow.due_at <= now)
            .order_by(EventRecheckRow.due_at)
            .limit(limit)
        )
        return [(row.seller_id, row.order_ref) for row in rows]

    def set_rechecks(self, due: Mapping[OrderKey, datetime | None]) -> None:
        """Schedule (a time) or drop (None) the re-evaluation of each order."""
        if due:
            r = Base.metadata.tables[EventRecheckRow.__tablename__]
            self.session.connection().execute(
                delete(r).where(
                    r.c.seller_id == bindparam("b_seller"), r.c.order_ref == bindparam("b_ref")
                ),
                [{"b_seller": s, "b_ref": ref} for s, ref in due],
            )
        rows = [
            {"seller_id": s, "order_ref": ref, "due_at": at}
            for (s, ref), at in due.items()
            if at is not None
        ]
        if rows:
            self.session.execute(insert(EventRecheckRow), rows)


class SqlEventRulesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_many(self, seller_ids: Iterable[int]) -> dict[int, EventRules]:
        """The rules of the sellers that set theirs; the others use `EventRules()`."""
        found: dict[int, EventRules] = {}
        for chunk in batched(set(seller_ids)):
            for row in self.session.scalars(
                select(EventRulesRow).where(EventRulesRow.seller_id.in_(chunk))
            ):
                found[row.seller_id] = EventRules(
                    returns_share_threshold=row.returns_share_threshold,
                    min_orders_for_returns=row.min_orders_for_returns,
                    clean_after=timedelta(seconds=row.clean_after_seconds),
                    enabled=frozenset(code for code in row.enabled.split(",") if code),
                )
        return found

    def save(self, seller_id: int, rules: EventRules, *, now: datetime) -> None:
        self.session.execute(delete(EventRulesRow).where(EventRulesRow.seller_id == seller_id))
        self.session.add(
            EventRulesRow(
                seller_id=seller_id,
                returns_share_threshold=rules.returns_share_threshold,
                min_orders_for_returns=rules.min_orders_for_returns,
                clean_after_seconds=int(rules.clean_after.total_seconds()),
                enabled=",".join(sorted(rules.enabled)),
                updated_at=now,
            )
        )
        self.session.flush()

"""Alert subscriptions and the outbox of their deliveries.

A delivery row is written in the transaction of the fact it reports, and sent later by a job, so a
fact is never committed without its alert nor an alert sent for a fact rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from buyerguard.domain.alerts import (
    Delivery,
    DeliveryNotFoundError,
    DeliveryStatus,
    DueDelivery,
    Subscription,
    SubscriptionNotFoundError,
)
from buyerguard.storage.prepared import Prepared
from buyerguard.storage.repositories import batched
from buyerguard.storage.tables import Base, Id, UtcDateTime

MAX_ERROR_LENGTH = 500


class SubscriptionRow(Base):
    """`secret` signs deliveries, so it is kept in clear: a credential, never shown twice."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


LIVE_SUBSCRIPTIONS = select(
    SubscriptionRow.id,
    SubscriptionRow.seller_id,
    SubscriptionRow.url,
    SubscriptionRow.kinds,
    SubscriptionRow.created_at,
).where(
    SubscriptionRow.seller_id.in_(bindparam("sellers", expanding=True)),
    SubscriptionRow.deleted_at.is_(None),
)
SELLER_SUBSCRIPTIONS = Prepared(
    select(*LIVE_SUBSCRIPTIONS.selected_columns).where(
        SubscriptionRow.seller_id == bindparam("seller"), SubscriptionRow.deleted_at.is_(None)
    )
)


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        seller_id=row.seller_id,
        url=row.url,
        kinds=tuple(row.kinds.split(",")),
        created_at=row.created_at,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        seller_id=row.seller_id,
        kind=row.kind,
        payload=row.payload,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


class SqlSubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, seller_id: int, *, url: str, kinds: Sequence[str], secret: str, now: datetime
    ) -> Subscription:
        row = SubscriptionRow(
            seller_id=seller_id, url=url, kinds=",".join(kinds), secret=secret, created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def get_for_seller(
        self, subscription_id: int, seller_id: int, *, deleted: bool = False
    ) -> Subscription:
        """A live subscription of the seller's; with `deleted`, also one it deleted."""
        row = self.session.get(SubscriptionRow, subscription_id)
        if (
            row is None
            or row.seller_id != seller_id
            or (row.deleted_at is not None and not deleted)
        ):
            raise SubscriptionNotFoundError(f"no subscription {subscription_id} among yours")
        return _subscription(row)

    def list_for_seller(self, seller_id: int) -> list[Subscription]:
        rows = self.session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.seller_id == seller_id, SubscriptionRow.deleted_at.is_(None))
            .order_by(SubscriptionRow.id)
        )
        return [_subscription(row) for row in rows]

    def delete(self, subscription_id: int, *, now: datetime) -> None:
        """Kept, marked deleted, so that its deliveries keep their subscription."""
        self.session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == subscription_id)
            .values(deleted_at=now)
        )

    def matching(self, seller_ids: Iterable[int], kind: str) -> list[Subscription]:
        """The live subscriptions of these sellers that asked for `kind`. Every screening asks,
        so the statement is built once and read as plain rows."""
        wanted = set(seller_ids)
        if len(wanted) == 1:  # a screening's seller: the prepared statement
            (seller,) = wanted
            rows: list[Any] = SELLER_SUBSCRIPTIONS.rows(self.session, {"seller": seller})
        else:
            connection = self.session.connection()
            rows = [
                row
                for chunk in batched(wanted)
                for row in connection.execute(LIVE_SUBSCRIPTIONS, {"sellers": chunk})
            ]
        return [
            Subscription(r.id, r.seller_id, r.url, tuple(r.kinds.split(",")), r.created_at)
            for r in rows
            if kind in r.kinds.split(",")
        ]

    def subscribers(self, kind: str) -> set[int]:
        """Every seller with a live subscription to `kind` (few: only those who set one up)."""
        rows = self.session.execute(
            select(SubscriptionRow.seller_id, SubscriptionRow.kinds).where(
                SubscriptionRow.deleted_at.is_(None)
            )
        )
        return {row.seller_id for row in rows if kind in row.kinds.split(",")}


class SqlDeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, rows: Sequence[tuple[Subscription, str, str]], *, now: datetime) -> None:
        """One pending delivery per (subscription, kind, payload JSON), due at once."""
        if rows:
            self.session.execute(
                insert(DeliveryRow),
                [
                    {
                        "subscription_id": subscription.id,
                        "seller_id": subscription.seller_id,
                        "kind": kind,
                        "payload": payload,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for subscription, kind, payload in rows
                ],
            )

    def claim_due(self, *, now: datetime, limit: int, until: datetime) -> list[DueDelivery]:
        """The pending deliveries due by `now`, leased to the caller until `until`: another runner
        will not send them meanwhile, and a runner that dies leaves them due again after it."""
        d, s = DeliveryRow, SubscriptionRow
        rows = self.session.execute(
            select(d, s.url, s.secret)
            .join(s, s.id == d.subscription_id)
            .where(
                d.status == DeliveryStatus.PENDING.value,
                d.next_attempt_at <= now,
                s.deleted_at.is_(None),
            )
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        ).all()
        ids = [row[0].id for row in rows]
        for chunk in batched(ids):
            self.session.execute(update(d).where(d.id.in_(chunk)).values(next_attempt_at=until))
        return [DueDelivery(_delivery(row[0]), row.url, row.secret) for row in rows]

    def record_attempt(
        self,
        delivery_id: int,
        *,
        status: DeliveryStatus,
        http_status: int | None,
        error: str | None,
        next_attempt_at: datetime,
        now: datetime,
    ) -> None:
        values: dict[str, object] = {
            "status": status.value,
            "attempts": DeliveryRow.attempts + 1,
            "last_status": http_status,
            "last_error": None if error is None else error[:MAX_ERROR_LENGTH],
            "next_attempt_at": next_attempt_at,
        }
        if status is DeliveryStatus.DELIVERED:
            values["delivered_at"] = now
        self.session.execute(
            update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(values)
        )

    def get_for_seller(self, delivery_id: int, seller_id: int) -> Delivery:
        row = self.session.get(DeliveryRow, delivery_id)
        if row is None or row.seller_id != seller_id:
            raise DeliveryNotFoundError(f"no delivery {delivery_id} among yours")
        return _delivery(row)

    def get(self, delivery_id: int) -> Delivery:
        row = self.session.get(DeliveryRow, delivery_id)
        if row is None:
            raise DeliveryNotFoundError(f"no delivery {delivery_id}")
        return _delivery(row)

    def list_for_subscription(
        self, subscription_id: int, *, after_id: int | None, limit: int
    ) -> list[Delivery]:
        query = select(DeliveryRow).where(DeliveryRow.subscription_id == subscription_id)
        if after_id is not None:
            query = query.where(DeliveryRow.id < after_id)
        rows = self.session.scalars(query.order_by(DeliveryRow.id.desc()).limit(limit))
        return [_delivery(row) for row in rows]

    def make_due(self, delivery_id: int, *, now: datetime) -> None:
        """A replay: pending again, due now, with a fresh count of attempts."""
        self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                delivered_at=None,
            )
        )

    def cancel_pending(self, subscription_id: int) -> None:
        self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.subscription_id == subscription_id,
                DeliveryRow.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value)
        )

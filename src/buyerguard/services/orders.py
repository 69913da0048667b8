"""Orders a seller completed without a problem: the positive evidence of the registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.orders import OrderRecord
from buyerguard.domain.tags import validate_order_ref
from buyerguard.services.buyers import refresh_stats, resolve_buyers
from buyerguard.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PendingOrder:
    seller_id: int
    buyer_id: int
    order_ref: str
    completed_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_order_ref(self.order_ref)


def store_completed_orders(
    uow: UnitOfWork, pending: Sequence[PendingOrder], *, now: datetime
) -> list[bool]:
    """Record clean orders; False marks one already completed. An order seen before (screened or
    from an event) is completed in place. Tags on these orders become order-backed."""
    existing = uow.orders.existing((p.seller_id, p.order_ref) for p in pending)
    rows: list[OrderRecord] = []
    stored: list[bool] = []
    seen: set[tuple[int, str]] = set()
    for item in pending:
        key = (item.seller_id, item.order_ref)
        at = item.completed_at or now
        if (key in existing and existing[key].completed) or key in seen:
            stored.append(False)
            continue
        seen.add(key)
        stored.append(True)
        if key in existing:
            uow.orders.complete(item.seller_id, item.order_ref, at=at)
        else:
            rows.append(OrderRecord(item.seller_id, item.buyer_id, item.order_ref, True, at))
    uow.orders.add_many(rows)
    backed = uow.tags.back_with_orders(
        [
            (p.seller_id, p.buyer_id, p.order_ref)
            for p, ok in zip(pending, stored, strict=True)
            if ok
        ]
    )
    refresh_stats(uow, backed | {p.buyer_id for p, ok in zip(pending, stored, strict=True) if ok})
    return stored


def record_completed_order(
    uow: UnitOfWork,
    buyer: Mapping[str, object],
    *,
    seller_id: int,
    order_ref: str,
    completed_at: datetime | None,
    secret: bytes,
    now: datetime,
) -> bool:
    """Record one clean order; returns False when it was already recorded (a safe retry)."""
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        (buyer_id,) = resolve_buyers(uow, [identifiers], now=now)
        (stored,) = store_completed_orders(
            uow, [PendingOrder(seller_id, buyer_id, order_ref, completed_at)], now=now
        )
        uow.commit()
    return stored

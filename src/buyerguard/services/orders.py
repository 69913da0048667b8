"""Orders a seller completed without a problem: the positive evidence of the registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.orders import KnownOrder, OrderRecord
from buyerguard.domain.tags import validate_order_ref
from buyerguard.domain.times import refuse_future
from buyerguard.services.buyers import refresh_stats, resolve_buyers
from buyerguard.services.links import merge_if_agreed
from buyerguard.services.unit_of_work import OrderKey, UnitOfWork


@dataclass(frozen=True)
class PendingOrder:
    seller_id: int
    buyer_id: int
    order_ref: str
    completed_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_order_ref(self.order_ref)


@dataclass(frozen=True)
class StoredOrders:
    stored: list[bool]  # per order given: False marks one already completed
    merged: dict[int, int]  # each buyer merged into the buyer of an order: the buyer kept


def store_completed_orders(
    uow: UnitOfWork, pending: Sequence[PendingOrder], *, now: datetime
) -> StoredOrders:
    """Record clean orders. An order seen before (screened or from an event) is completed in place,
    and a buyer other than its own named on it is merged with its own where domain.links allows:
    one order has one buyer, so identifiers given on it are one person's, as on events. Tags on
    these orders become order-backed."""
    existing = uow.orders.existing((p.seller_id, p.order_ref) for p in pending)
    merged = _link_order_buyers(uow, pending, existing, now=now)
    rows: list[OrderRecord] = []
    stored: list[bool] = []
    done: dict[OrderKey, int] = {}  # the buyer of each order completed here
    for item in pending:
        key = (item.seller_id, item.order_ref)
        at = item.completed_at or now
        if (key in existing and existing[key].completed) or key in done:
            stored.append(False)
            continue
        stored.append(True)
        # A known order keeps its own buyer, whether or not the one named here merged into it.
        named = existing[key].buyer_id if key in existing else item.buyer_id
        done[key] = buyer_id = _final(merged, named)
        if key in existing:
            uow.orders.complete(item.seller_id, item.order_ref, at=at)
        else:
            rows.append(OrderRecord(item.seller_id, buyer_id, item.order_ref, True, at))
    uow.orders.add_many(rows)
    backed = uow.tags.back_with_orders([(s, b, ref) for (s, ref), b in done.items()])
    kept = {_final(merged, buyer) for buyer in merged.values()}
    refresh_stats(uow, backed | kept | set(done.values()), now=now)
    return StoredOrders(stored, merged)


def _link_order_buyers(
    uow: UnitOfWork,
    pending: Sequence[PendingOrder],
    existing: Mapping[OrderKey, KnownOrder],
    *,
    now: datetime,
) -> dict[int, int]:
    """Merge the buyer named on each order with the order's own (the registry's, or the first one
    named on it here) when they differ and domain.links allows, keeping the older as when
    identifiers join two buyers. Returns what each merged-away buyer became."""
    merged: dict[int, int] = {}
    owners = {key: order.buyer_id for key, order in existing.items()}
    for item in pending:
        buyer = _final(merged, item.buyer_id)
        owner = _final(merged, owners.setdefault((item.seller_id, item.order_ref), buyer))
        if owner != buyer:
            keep, other = sorted((owner, buyer))
            if merge_if_agreed(uow, keep, other, seller_id=item.seller_id, now=now):
                merged[other] = keep
    return merged


def _final(merged: Mapping[int, int], buyer: int) -> int:
    while buyer in merged:
        buyer = merged[buyer]
    return buyer


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
    if completed_at is not None:
        refuse_future(completed_at, field="completed_at", now=now)
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        (buyer_id,) = resolve_buyers(uow, [identifiers], sellers=[seller_id], now=now)
        (stored,) = store_completed_orders(
            uow, [PendingOrder(seller_id, buyer_id, order_ref, completed_at)], now=now
        ).stored
        uow.commit()
    return stored

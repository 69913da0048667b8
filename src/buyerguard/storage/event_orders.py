"""The registry's orders and automatic tags, read and changed as the event rules need them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, or_, select, update
from sqlalchemy.orm import Session

from buyerguard.domain.tags import Confirmation, Tag, TagSource, TagStatus
from buyerguard.storage import tables as t
from buyerguard.storage.events import KEYS_PER_QUERY, OrderKey, Pair, per_seller
from buyerguard.storage.repositories import batched
from buyerguard.storage.tables import Base

_O, _TAG = t.OrderRow, t.TagRow
_BUYERS: BindParameter[list[int]] = bindparam("buyers", expanding=True)
# Read by buyer, for the (seller, buyer) pairs a batch of events touched (see `_of_pairs`).
ORDERS_OF_BUYERS = select(_O.seller_id, _O.buyer_id, _O.order_ref, _O.completed).where(
    _O.buyer_id.in_(_BUYERS)
)
ACTIVE_TAGS_OF_BUYERS = select(_TAG).where(
    _TAG.buyer_id.in_(_BUYERS), _TAG.status == TagStatus.ACTIVE.value
)
RETRACTIONS_OF_BUYERS = select(_TAG.seller_id, _TAG.buyer_id, _TAG.reason, _TAG.ended_at).where(
    _TAG.buyer_id.in_(_BUYERS),
    or_(_TAG.source == TagSource.EVENT.value, _TAG.confirmed_order_ref.is_not(None)),
    _TAG.status == TagStatus.RETRACTED.value,
    _TAG.withdrawn_by_rules.is_(False),
    _TAG.ended_at.is_not(None),
)


class SqlEventOrderRepository:
    """The registry's orders and automatic tags, read and changed as the event rules need."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def orders_of_pairs(self, pairs: Iterable[Pair]) -> dict[Pair, dict[str, bool]]:
        """Each (seller, buyer)'s orders: order reference -> completed."""
        found: dict[Pair, dict[str, bool]] = {}
        for row in _of_pairs(self.session.execute, ORDERS_OF_BUYERS, pairs):
            found.setdefault((row.seller_id, row.buyer_id), {})[row.order_ref] = row.completed
        return found

    def active_tags(self, pairs: Iterable[Pair]) -> dict[Pair, list[Tag]]:
        """Each (seller, buyer)'s active tags, whatever their source."""
        found: dict[Pair, list[Tag]] = {}
        for row in _of_pairs(self.session.scalars, ACTIVE_TAGS_OF_BUYERS, pairs):
            found.setdefault((row.seller_id, row.buyer_id), []).append(_tag(row))
        return found

    def seller_retractions(self, pairs: Iterable[Pair]) -> dict[Pair, dict[str, datetime]]:
        """When each (seller, buyer)'s seller last retracted an automatic tag, or one of its own
        tags the events confirmed, by reason."""
        found: dict[Pair, dict[str, datetime]] = {}
        for row in _of_pairs(self.session.execute, RETRACTIONS_OF_BUYERS, pairs):
            last = found.setdefault((row.seller_id, row.buyer_id), {})
            last[row.reason] = max(row.ended_at, last.get(row.reason, row.ended_at))
        return found

    def withdraw_tags(self, tag_ids: Sequence[int], *, now: datetime) -> None:
        for chunk in batched(tag_ids):
            self.session.execute(
                update(t.TagRow)
                .where(t.TagRow.id.in_(chunk), t.TagRow.status == TagStatus.ACTIVE.value)
                .values(status=TagStatus.RETRACTED.value, ended_at=now, withdrawn_by_rules=True)
            )

    def set_confirmations(self, confirmations: Sequence[Confirmation]) -> None:
        """Give events' backing to active tags, or take it back, in one executemany."""
        if confirmations:
            tag = Base.metadata.tables[t.TagRow.__tablename__]
            self.session.connection().execute(
                update(tag)
                .where(tag.c.id == bindparam("b_id"), tag.c.status == TagStatus.ACTIVE.value)
                .values(
                    confirmed_order_ref=bindparam("b_ref"),
                    confirmed_at=bindparam("b_at"),
                    expires_at=bindparam("b_expires"),
                ),
                [
                    {
                        "b_id": c.tag_id,
                        "b_ref": c.order_ref,
                        "b_at": c.confirmed_at,
                        "b_expires": c.expires_at,
                    }
                    for c in confirmations
                ],
            )

    def buyers_of_orders(self, keys: Iterable[OrderKey]) -> dict[OrderKey, int]:
        """The buyer of each of these orders the registry knows."""
        found: dict[OrderKey, int] = {}
        o = t.OrderRow
        query = select(o.seller_id, o.order_ref, o.buyer_id).where(
            o.seller_id == bindparam("seller"), o.order_ref.in_(bindparam("refs", expanding=True))
        )
        for seller, refs in per_seller(keys):
            for row in self.session.execute(query, {"seller": seller, "refs": refs}):
                found[(row.seller_id, row.order_ref)] = row.buyer_id
        return found

    def complete_orders(self, completed: Sequence[tuple[int, str, datetime]]) -> None:
        """Mark known orders (seller, reference, when) completed, in one executemany."""
        if completed:
            o = Base.metadata.tables[t.OrderRow.__tablename__]
            self.session.connection().execute(
                update(o)
                .where(o.c.seller_id == bindparam("b_seller"), o.c.order_ref == bindparam("b_ref"))
                .values(completed=True, completed_at=bindparam("b_at")),
                [{"b_seller": s, "b_ref": ref, "b_at": at} for s, ref, at in completed],
            )

    def reopen_orders(self, keys: Sequence[OrderKey]) -> None:
        """A completed order that later went wrong (a chargeback on day 60) is clean no more."""
        if keys:
            o = Base.metadata.tables[t.OrderRow.__tablename__]
            self.session.connection().execute(
                update(o)
                .where(o.c.seller_id == bindparam("b_seller"), o.c.order_ref == bindparam("b_ref"))
                .values(completed=False, completed_at=None),
                [{"b_seller": s, "b_ref": ref} for s, ref in keys],
            )

    def open_orders(
        self, buyer_ids: Iterable[int], *, since: datetime
    ) -> dict[int, dict[int, list[str]]]:
        """Buyer -> seller -> references of orders not completed and placed since `since`."""
        found: dict[int, dict[int, list[str]]] = {}
        o = t.OrderRow
        for chunk in batched(set(buyer_ids)):
            rows = self.session.execute(
                select(o.buyer_id, o.seller_id, o.order_ref).where(
                    o.buyer_id.in_(chunk), o.completed.is_(False), o.created_at >= since
                )
            )
            for row in rows:
                found.setdefault(row.buyer_id, {}).setdefault(row.seller_id, []).append(
                    row.order_ref
                )
        return found


def _of_pairs(
    run: Callable[..., Iterable[Any]], query: Any, pairs: Iterable[Pair]
) -> Iterator[Any]:
    """The rows of `query`, which reads by `buyers`, that belong to these (seller, buyer) pairs.

    One statement per KEYS_PER_QUERY buyers, on the index that starts with the buyer, however many
    sellers the pairs name: the job reads these for every batch, and a statement per seller cost a
    short batch more than its own work. A buyer's rows with other sellers are read, then dropped.
    """
    wanted = set(pairs)
    for buyers in batched({buyer for _, buyer in wanted}, KEYS_PER_QUERY):
        for row in run(query, {"buyers": buyers}):
            if (row.seller_id, row.buyer_id) in wanted:
                yield row


def _tag(row: t.TagRow) -> Tag:
    return Tag(
        id=row.id,
        seller_id=row.seller_id,
        buyer_id=row.buyer_id,
        reason=row.reason,
        note=row.note,
        order_ref=row.order_ref,
        source=TagSource(row.source),
        status=TagStatus(row.status),
        order_backed=row.order_backed,
        created_at=row.created_at,
        expires_at=row.expires_at,
        confirmed_order_ref=row.confirmed_order_ref,
        confirmed_at=row.confirmed_at,
    )

"""Repositories built on select() statements; they return domain objects, never rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from buyerguard.domain.errors import TagNotFoundError
from buyerguard.domain.orders import KnownOrder, OrderRecord
from buyerguard.domain.profiles import BuyerStats, ReasonStats, TagFacts, tag_facts
from buyerguard.domain.tags import (
    DatedTagKey,
    OwnReason,
    Tag,
    TagRecord,
    TagSource,
    TagStatus,
)
from buyerguard.storage import imports
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t

T = TypeVar("T")
BATCH = 500  # keeps IN lists under SQLite's bound-parameter limit


def core_table(row: type[t.Base]) -> Table:
    """The Core table of a mapped row: bulk inserts through it skip the ORM's per-row work."""
    return cast(Table, row.__table__)


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def tag_from_row(row: t.TagRow | Row[*tuple[Any, ...]]) -> Tag:
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


class SqlTagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, rows: Sequence[TagRecord], *, returning: bool = False) -> list[int]:
        """Insert the rows; their ids only when asked (RETURNING costs bulk imports dearly)."""
        if not rows:
            return []
        if not returning:
            imports.insert_tags(self.session, rows)
            return []
        values = [{**r._asdict(), "source": r.source.value, "status": r.status.value} for r in rows]
        table = core_table(t.TagRow)
        result = self.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), values
        )
        return list(result.scalars())

    def get_for_seller(self, tag_id: int, seller_id: int) -> Tag:
        row = self.session.get(t.TagRow, tag_id)
        if row is None or row.seller_id != seller_id:
            raise TagNotFoundError(f"no tag {tag_id} among your tags")
        return tag_from_row(row)

    def active_keys(self, keys: Iterable[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
        """Which of these (seller, buyer, reason) have an active tag. Read by buyer, then filtered:
        SQLite would scan the table for a row-value IN list."""
        wanted = set(keys)
        found: set[tuple[int, int, str]] = set()
        for chunk in batched({buyer for _, buyer, _ in wanted}):
            rows = self.session.execute(
                select(t.TagRow.seller_id, t.TagRow.buyer_id, t.TagRow.reason).where(
                    t.TagRow.buyer_id.in_(chunk), t.TagRow.status == TagStatus.ACTIVE.value
                )
            )
            found.update(
                key for r in rows if (key := (r.seller_id, r.buyer_id, r.reason)) in wanted
            )
        return found

    def stored_keys(
        self, keys: Iterable[tuple[int, int, str]], dated: Iterable[DatedTagKey]
    ) -> tuple[set[tuple[int, int, str]], set[DatedTagKey]]:
        """Which of `keys` (seller, buyer, reason) have an active tag, and which of `dated` (the
        same and a time) were stored whatever became of them: one read of their buyers' tags."""
        wanted, wanted_dated = set(keys), set(dated)
        active: set[tuple[int, int, str]] = set()
        found: set[DatedTagKey] = set()
        tag = t.TagRow
        columns = (tag.seller_id, tag.buyer_id, tag.reason, tag.created_at, tag.status)
        buyers = {key[1] for key in wanted} | {key[1] for key in wanted_dated}
        for chunk in batched(buyers):
            rows = self.session.execute(select(*columns).where(tag.buyer_id.in_(chunk)))
            for seller, buyer, reason, at, status in rows:
                if (seller, buyer, reason, at) in wanted_dated:
                    found.add((seller, buyer, reason, at))
                if status == TagStatus.ACTIVE.value and (seller, buyer, reason) in wanted:
                    active.add((seller, buyer, reason))
        return active, found

    def set_status(self, tag_id: int, status: TagStatus, *, now: datetime) -> None:
        self.session.execute(
            update(t.TagRow).where(t.TagRow.id == tag_id).values(status=status.value, ended_at=now)
        )

    def list_for_seller(self, seller_id: int, *, after_id: int | None, limit: int) -> list[Tag]:
        query = select(t.TagRow).where(t.TagRow.seller_id == seller_id)
        if after_id is not None:
            query = query.where(t.TagRow.id < after_id)
        rows = self.session.scalars(query.order_by(t.TagRow.id.desc()).limit(limit))
        return [tag_from_row(r) for r in rows]

    def list_for_buyer_by_seller(self, buyer_id: int, seller_id: int) -> list[Tag]:
        params = {"buyer": buyer_id, "seller": seller_id}
        return [tag_from_row(r) for r in sql.OWN_ACTIVE_TAGS.rows(self.session, params)]

    def own_reasons(self, buyer_id: int, seller_id: int) -> list[OwnReason]:
        params = {"buyer": buyer_id, "seller": seller_id}
        return [OwnReason(*r) for r in sql.OWN_ACTIVE_REASONS.rows(self.session, params)]

    def active_for_buyers(self, buyer_ids: Iterable[int]) -> list[Tag]:
        """The active tags of these buyers, in the order they were given."""
        table = core_table(t.TagRow)
        found: list[Tag] = []
        for chunk in batched(buyer_ids):
            rows = self.session.execute(
                select(table).where(
                    table.c.buyer_id.in_(chunk), table.c.status == TagStatus.ACTIVE.value
                )
            )
            found.extend(tag_from_row(row) for row in rows)
        # Sorted here: an ORDER BY could lure SQLite's planner into a scan in id order.
        return sorted(found, key=lambda tag: tag.id)

    def active_facts_for_buyers(self, buyer_ids: Iterable[int]) -> dict[int, list[TagFacts]]:
        found: dict[int, list[TagFacts]] = {}
        tag = t.TagRow
        columns = (tag.buyer_id, tag.seller_id, tag.reason, tag.order_backed, tag.source)
        for chunk in batched(buyer_ids):
            rows = self.session.execute(
                select(*columns, tag.created_at, tag.confirmed_at, tag.expires_at).where(
                    tag.buyer_id.in_(chunk), tag.status == TagStatus.ACTIVE.value
                )
            )
            for r in rows:
                found.setdefault(r.buyer_id, []).append(
                    tag_facts(
                        r.seller_id,
                        r.reason,
                        order_backed=r.order_backed,
                        source=TagSource(r.source),
                        created_at=r.created_at,
                        confirmed_at=r.confirmed_at,
                        expires_at=r.expires_at,
                    )
                )
        return found

    def back_with_orders(self, orders: Sequence[tuple[int, int, str]]) -> set[int]:
        """Mark tags on these (seller, buyer, order_ref) orders order-backed; return the buyers."""
        wanted = set(orders)
        touched: set[int] = set()
        tag = t.TagRow
        for chunk in batched({buyer for _, buyer, _ in wanted}):
            rows = self.session.execute(
                select(tag.id, tag.seller_id, tag.buyer_id, tag.order_ref).where(
                    tag.buyer_id.in_(chunk), tag.order_ref.is_not(None), tag.order_backed.is_(False)
                )
            )
            hits = [r for r in rows if (r.seller_id, r.buyer_id, r.order_ref) in wanted]
            for ids in batched([r.id for r in hits]):
                self.session.execute(update(tag).where(tag.id.in_(ids)).values(order_backed=True))
            touched.update(r.buyer_id for r in hits)
        return touched

    def expire(self, *, now: datetime, buyer_ids: Iterable[int] | None = None) -> set[int]:
        return expire_tags(self.session, now=now, buyer_ids=buyer_ids)


def expire_tags(
    session: Session, *, now: datetime, buyer_ids: Iterable[int] | None = None
) -> set[int]:
    """Mark the active tags past their expiry at `now` expired (of these buyers only, when given);
    return the buyers whose tags these were."""
    tag = t.TagRow
    due = update(tag).where(tag.status == TagStatus.ACTIVE.value, tag.expires_at <= now)
    due = due.values(status=TagStatus.EXPIRED.value, ended_at=now).returning(tag.buyer_id)
    if buyer_ids is None:
        return set(session.scalars(due))
    found: set[int] = set()
    for chunk in batched(set(buyer_ids)):
        found.update(session.scalars(due.where(tag.buyer_id.in_(chunk))))
    return found


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def existing(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], KnownOrder]:
        wanted = set(keys)
        if len(wanted) == 1:  # a screening's one order: the prebuilt statement
            ((seller_id, ref),) = wanted
            params = {"seller": seller_id, "ref": ref}
            row = sql.ONE_ORDER.first(self.session, params)
            return {} if row is None else {(seller_id, ref): KnownOrder(*row)}
        return imports.known_orders(self.session, wanted)

    def add_many(self, rows: Sequence[OrderRecord]) -> None:
        values = [
            {
                "seller_id": r.seller_id,
                "buyer_id": r.buyer_id,
                "order_ref": r.order_ref,
                "completed": r.completed,
                "created_at": r.at,
                "completed_at": r.at if r.completed else None,
            }
            for r in rows
        ]
        if len(values) == 1:  # a screening's order: the prepared statement
            sql.INSERT_ONE_ORDER.run(self.session, values[0])
        elif values:
            self.session.connection().execute(sql.INSERT_ORDER, values)

    def complete(self, seller_id: int, order_ref: str, *, at: datetime) -> None:
        self.session.execute(
            update(t.OrderRow)
            .where(t.OrderRow.seller_id == seller_id, t.OrderRow.order_ref == order_ref)
            .values(completed=True, completed_at=at)
        )

    def clean_sellers_for_buyers(self, buyer_ids: Iterable[int]) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for chunk in batched(buyer_ids):
            rows = self.session.execute(
                select(t.OrderRow.buyer_id, t.OrderRow.seller_id)
                .where(t.OrderRow.buyer_id.in_(chunk), t.OrderRow.completed.is_(True))
                .distinct()
            )
            for r in rows:
                found.setdefault(r.buyer_id, set()).add(r.seller_id)
        return found


class SqlStatsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, buyer_id: int) -> BuyerStats | None:
        row = sql.BUYER_STATS.first(self.session, {"buyer": buyer_id})
        if row is None:
            return None
        reasons = tuple(
            ReasonStats(*r) for r in sql.REASON_STATS.rows(self.session, {"buyer": buyer_id})
        )
        reporters, clean, weight, first, last, next_expiry = row
        return BuyerStats(reporters, clean, weight, first, last, reasons, next_expiry)

    def replace(self, stats: Mapping[int, BuyerStats]) -> None:
        for chunk in batched(stats):
            for table in (t.BuyerStatsRow, t.BuyerReasonStatsRow):
                self.session.execute(delete(table).where(table.buyer_id.in_(chunk)))
        self.add(stats)

    def add(self, stats: Mapping[int, BuyerStats]) -> None:
        """The aggregates of buyers that have none stored."""
        imports.insert_stats(self.session, stats)

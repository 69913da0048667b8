"""Repositories built on select() statements; they return domain objects, never rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from buyerguard.domain.errors import TagNotFoundError
from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.orders import KnownOrder, OrderRecord
from buyerguard.domain.profiles import BuyerStats, ReasonStats, TagFacts, tag_facts
from buyerguard.domain.tags import (
    DatedTagKey,
    OwnReason,
    Tag,
    TagRecord,
    TagSource,
    TagStatus,
    evidence_rank,
)
from buyerguard.storage import imports
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.links import rekey_links
from buyerguard.storage.screening import merge_list_entries

T = TypeVar("T")
BATCH = 500  # keeps IN lists under SQLite's bound-parameter limit


def _table(row: type[t.Base]) -> Table:
    """The Core table of a mapped row: bulk inserts through it skip the ORM's per-row work."""
    return cast(Table, row.__table__)


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _tag(row: t.TagRow | Row[*tuple[Any, ...]]) -> Tag:
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


class SqlBuyerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_buyers(self, digests: Iterable[str]) -> dict[str, int]:
        wanted = list(digests)
        if not wanted:
            return {}
        if len(wanted) <= sql.FEW_DIGESTS:  # a request's buyer: the prepared statement
            params = {f"d{i}": digest for i, digest in enumerate(wanted)}
            return dict(sql.find_few_buyers(len(wanted)).rows(self.session, params))
        return imports.buyer_ids(self.session, wanted)

    def create(self, count: int, *, now: datetime) -> list[int]:
        return imports.create_buyers(self.session, count, now=now) if count else []

    def link(self, links: Sequence[tuple[int, HashedIdentifier]], *, now: datetime) -> None:
        imports.link_identifiers(self.session, links, now=now)

    def merge(self, keep: int, others: Sequence[int], *, now: datetime) -> None:
        """Fold `others` into `keep`, one at a time: everything kept by buyer moves to `keep`,
        but of two active tags by one seller for one reason only the better backed stays. Tags
        past their expiry at `now` are marked expired first: they stand in no other's way."""
        for other in others:
            expire_tags(self.session, now=now, buyer_ids=(keep, other))
            self._merge_one(keep, other)
        self.session.execute(
            update(t.BuyerRow).where(t.BuyerRow.id.in_(others)).values(merged_into=keep)
        )
        self._back_with_own_orders(keep)

    def _back_with_own_orders(self, buyer: int) -> None:
        """A tag and the order it cites may have come on two buyers now one: the tag is backed."""
        tag, order = t.TagRow, t.OrderRow
        own_order = exists().where(
            order.seller_id == tag.seller_id,
            order.order_ref == tag.order_ref,
            order.buyer_id == buyer,
        )
        self.session.execute(
            update(tag)
            .where(tag.buyer_id == buyer, tag.order_backed.is_(False), own_order)
            .values(order_backed=True)
        )

    def live_buyers(self, buyer_ids: Iterable[int]) -> dict[int, int]:
        """What each buyer is now: itself, or the buyer it was merged into, followed to the end
        (the buyer merged into may have been merged away later)."""
        wanted = set(buyer_ids)
        moved: dict[int, int] = {}
        asked: set[int] = set()
        ask = wanted
        while ask:
            asked |= ask
            b = t.BuyerRow
            for chunk in batched(ask):
                rows = self.session.execute(
                    select(b.id, b.merged_into).where(b.id.in_(chunk), b.merged_into.is_not(None))
                )
                moved.update({row.id: row.merged_into for row in rows})
            ask = set(moved.values()) - asked
        found: dict[int, int] = {}
        for buyer in wanted:
            live = buyer
            while live in moved:
                live = moved[live]
            found[buyer] = live
        return found

    def _merge_one(self, keep: int, other: int) -> None:
        s = self.session
        # The decision log follows too: a screening's outcome is read from its buyer's tags.
        for table in (t.OrderRow, t.BuyerIdentifierRow, t.ScreeningRow):
            s.execute(update(table).where(table.buyer_id == other).values(buyer_id=keep))
        self._remove_weaker_duplicates(keep, other)
        s.execute(update(t.TagRow).where(t.TagRow.buyer_id == other).values(buyer_id=keep))
        merge_list_entries(s, keep, other)
        rekey_links(s, keep, other)
        for stats in (t.BuyerStatsRow, t.BuyerReasonStatsRow):
            s.execute(delete(stats).where(stats.buyer_id == other))

    def _remove_weaker_duplicates(self, keep: int, other: int) -> None:
        """Where both buyers have an active tag by one seller for one reason, mark the one with
        the weaker evidence (domain.tags.evidence_rank) removed: only one may stay active.

        Runs once both buyers' orders are `keep`'s: a tag citing an order of the other record is
        judged as the order-backed tag it becomes."""
        pairs = self.session.execute(_DUPLICATE_TAGS, {"keep": keep, "other": other}).all()
        if not pairs:
            return
        table = _table(t.TagRow)
        tags: dict[int, Tag] = {}
        for chunk in batched([tag_id for pair in pairs for tag_id in pair]):
            rows = self.session.execute(select(table).where(table.c.id.in_(chunk)))
            tags.update((row.id, _tag(row)) for row in rows)
        cited = {(g.seller_id, g.order_ref) for g in tags.values() if g.order_ref is not None}
        orders = imports.known_orders(self.session, cited)
        own = {key for key, order in orders.items() if order.buyer_id == keep}
        judged = {
            i: replace(g, order_backed=True) if (g.seller_id, g.order_ref) in own else g
            for i, g in tags.items()
        }
        weaker = [max(judged[a], judged[b], key=_weakest_last).id for a, b in pairs]
        for chunk in batched(weaker):
            self.session.execute(
                update(t.TagRow)
                .where(t.TagRow.id.in_(chunk))
                .values(status=TagStatus.REMOVED.value)
            )


def _weakest_last(tag: Tag) -> tuple[tuple[bool, bool], int]:
    """evidence_rank, then the tag given first (the lower id) before the other."""
    return evidence_rank(tag), tag.id


# Built once: a bulk import may merge thousands of buyers, and aliasing a table costs more than
# running the query.
_KEPT, _MERGED = aliased(t.TagRow), aliased(t.TagRow)
_DUPLICATE_TAGS = (
    select(_KEPT.id, _MERGED.id)
    .join(_MERGED, and_(_MERGED.seller_id == _KEPT.seller_id, _MERGED.reason == _KEPT.reason))
    .where(_KEPT.buyer_id == bindparam("keep"), _KEPT.status == TagStatus.ACTIVE.value)
    .where(_MERGED.buyer_id == bindparam("other"), _MERGED.status == TagStatus.ACTIVE.value)
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
        table = _table(t.TagRow)
        result = self.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), values
        )
        return list(result.scalars())

    def get_for_seller(self, tag_id: int, seller_id: int) -> Tag:
        row = self.session.get(t.TagRow, tag_id)
        if row is None or row.seller_id != seller_id:
            raise TagNotFoundError(f"no tag {tag_id} among your tags")
        return _tag(row)

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
        return [_tag(r) for r in rows]

    def list_for_buyer_by_seller(self, buyer_id: int, seller_id: int) -> list[Tag]:
        params = {"buyer": buyer_id, "seller": seller_id}
        return [_tag(r) for r in sql.OWN_ACTIVE_TAGS.rows(self.session, params)]

    def own_reasons(self, buyer_id: int, seller_id: int) -> list[OwnReason]:
        params = {"buyer": buyer_id, "seller": seller_id}
        return [OwnReason(*r) for r in sql.OWN_ACTIVE_REASONS.rows(self.session, params)]

    def active_for_buyers(self, buyer_ids: Iterable[int]) -> list[Tag]:
        """The active tags of these buyers, in the order they were given."""
        table = _table(t.TagRow)
        found: list[Tag] = []
        for chunk in batched(buyer_ids):
            rows = self.session.execute(
                select(table).where(
                    table.c.buyer_id.in_(chunk), table.c.status == TagStatus.ACTIVE.value
                )
            )
            found.extend(_tag(row) for row in rows)
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

"""Buyers: finding them by identifier, creating and linking them, and merging two records of one
person (everything kept by buyer follows the merged-away record)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.merges import Merge
from buyerguard.domain.tags import Tag, TagStatus, evidence_rank
from buyerguard.storage import imports
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.links import rekey_links
from buyerguard.storage.merges import (
    BACKED_TAG,
    REMOVED_TAG,
    MergeJournal,
    list_merges,
    undo_merge,
)
from buyerguard.storage.repositories import batched, core_table, expire_tags, tag_from_row
from buyerguard.storage.screening import merge_list_entries


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

    def merge(
        self, keep: int, others: Sequence[int], *, seller_id: int | None, now: datetime
    ) -> None:
        """Fold `others` into `keep`, one at a time: everything kept by buyer moves to `keep`,
        but of two active tags by one seller for one reason only the better backed stays. Tags
        past their expiry at `now` are marked expired first: they stand in no other's way. Each
        merge is journaled with `seller_id`, whose word made it (None: an operator's), for an
        operator to undo (storage.merges)."""
        for other in others:
            expire_tags(self.session, now=now, buyer_ids=(keep, other))
            journal = MergeJournal.start(self.session, keep, other, seller_id=seller_id, now=now)
            self._merge_one(keep, other, journal)
            self.session.execute(
                update(t.BuyerRow).where(t.BuyerRow.id == other).values(merged_into=keep)
            )
            journal.note(BACKED_TAG, self._back_with_own_orders(keep))

    def created_at(self, buyer_id: int) -> datetime | None:
        """When the buyer record was made; None when there is none."""
        return self.session.scalar(select(t.BuyerRow.created_at).where(t.BuyerRow.id == buyer_id))

    def identifier_kinds(self, buyer_id: int) -> dict[str, int]:
        ident = t.BuyerIdentifierRow
        rows = self.session.execute(
            select(ident.kind, func.count().label("count"))
            .where(ident.buyer_id == buyer_id)
            .group_by(ident.kind)
            .order_by(ident.kind)
        )
        return {kind: int(count) for kind, count in rows}

    def merges(self, buyer_id: int | None, *, limit: int) -> list[Merge]:
        return list_merges(self.session, buyer_id, limit=limit)

    def undo_merge(self, merge_id: int, *, now: datetime) -> Merge:
        return undo_merge(self.session, merge_id, now=now)

    def _back_with_own_orders(self, buyer: int) -> list[int]:
        """A tag and the order it cites may have come on two buyers now one: the tag is backed.
        Returns the tags backed so."""
        tag, order = t.TagRow, t.OrderRow
        own_order = exists().where(
            order.seller_id == tag.seller_id,
            order.order_ref == tag.order_ref,
            order.buyer_id == buyer,
        )
        backed = self.session.execute(
            update(tag)
            .where(tag.buyer_id == buyer, tag.order_backed.is_(False), own_order)
            .values(order_backed=True)
            .returning(tag.id)
        )
        return list(backed.scalars())

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

    def _merge_one(self, keep: int, other: int, journal: MergeJournal) -> None:
        s = self.session
        # The decision log follows too: a screening's outcome is read from its buyer's tags.
        for table in (t.OrderRow, t.BuyerIdentifierRow, t.ScreeningRow):
            s.execute(update(table).where(table.buyer_id == other).values(buyer_id=keep))
        journal.note(REMOVED_TAG, self._remove_weaker_duplicates(keep, other))
        s.execute(update(t.TagRow).where(t.TagRow.buyer_id == other).values(buyer_id=keep))
        merge_list_entries(s, keep, other)
        rekey_links(s, keep, other)
        for stats in (t.BuyerStatsRow, t.BuyerReasonStatsRow):
            s.execute(delete(stats).where(stats.buyer_id == other))

    def _remove_weaker_duplicates(self, keep: int, other: int) -> list[int]:
        """Where both buyers have an active tag by one seller for one reason, mark the one with
        the weaker evidence (domain.tags.evidence_rank) removed: only one may stay active.

        Runs once both buyers' orders are `keep`'s: a tag citing an order of the other record is
        judged as the order-backed tag it becomes."""
        pairs = self.session.execute(_DUPLICATE_TAGS, {"keep": keep, "other": other}).all()
        if not pairs:
            return []
        table = core_table(t.TagRow)
        tags: dict[int, Tag] = {}
        for chunk in batched([tag_id for pair in pairs for tag_id in pair]):
            rows = self.session.execute(select(table).where(table.c.id.in_(chunk)))
            tags.update((row.id, tag_from_row(row)) for row in rows)
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
        return weaker


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

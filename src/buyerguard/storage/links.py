"""Sellers' word that two buyers are one person, kept until enough sellers agree (domain.links)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from buyerguard.domain.links import Claim, Pair, PendingLink, pair_of
from buyerguard.domain.tags import TagStatus
from buyerguard.storage import tables as t
from buyerguard.storage.repositories import core_table

_LINKS = core_table(t.BuyerLinkRow)


def _insert_missing(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the claims, leaving those already there (two requests may make one at once)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(module.insert(_LINKS).on_conflict_do_nothing(), rows)


def rekey_links(session: Session, keep: int, other: int) -> None:
    """`other` is folded into `keep`: its claims become `keep`'s, and those between the two go."""
    link = t.BuyerLinkRow
    involved = or_(link.buyer_id == other, link.other_id == other)
    rows = session.execute(
        select(link.buyer_id, link.other_id, link.seller_id, link.created_at).where(involved)
    ).all()
    if not rows:
        return
    session.execute(delete(link).where(involved))
    moved = []
    for row in rows:
        one, two = (keep if b == other else b for b in (row.buyer_id, row.other_id))
        if one != two:
            low, high = pair_of(one, two)
            moved.append(
                {
                    "buyer_id": low,
                    "other_id": high,
                    "seller_id": row.seller_id,
                    "created_at": row.created_at,
                }
            )
    if moved:
        _insert_missing(session, moved)


class SqlBuyerLinkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def known_by(self, buyer_id: int, *, limit: int) -> frozenset[int]:
        """Up to `limit` sellers that know the buyer: by an active tag, an order or a list entry
        (each read stops at `limit` along the buyer's index)."""
        sellers: set[int] = set()
        for row, extra in (
            (t.TagRow, t.TagRow.status == TagStatus.ACTIVE.value),
            (t.OrderRow, None),
            (t.ListEntryRow, None),
        ):
            query = select(row.seller_id).where(row.buyer_id == buyer_id)
            if extra is not None:
                query = query.where(extra)
            sellers.update(self.session.scalars(query.distinct().limit(limit)))
            if len(sellers) >= limit:
                break
        return frozenset(sellers)

    def sellers_for(self, pairs: Iterable[Pair]) -> dict[Pair, set[int]]:
        """The sellers that said each pair of buyers is one person."""
        wanted = sorted(set(pairs))
        found: dict[Pair, set[int]] = {pair: set() for pair in wanted}
        if not wanted:
            return found
        link = t.BuyerLinkRow
        query = select(link.buyer_id, link.other_id, link.seller_id).where(
            tuple_(link.buyer_id, link.other_id).in_(wanted)
        )
        for row in self.session.execute(query):
            found[(row.buyer_id, row.other_id)].add(row.seller_id)
        return found

    def pending(self, *, limit: int) -> list[PendingLink]:
        """The pairs claimed most recently first, with who claimed them."""
        link, seller = t.BuyerLinkRow, t.SellerRow
        last = func.max(link.created_at).label("last_at")
        pairs = self.session.execute(
            select(link.buyer_id, link.other_id, last)
            .group_by(link.buyer_id, link.other_id)
            .order_by(last.desc(), link.buyer_id, link.other_id)
            .limit(limit)
        ).all()
        found: dict[Pair, list[tuple[datetime, str]]] = {(p[0], p[1]): [] for p in pairs}
        if not found:
            return []
        claims = select(link.buyer_id, link.other_id, link.created_at, seller.name).join(
            seller, seller.id == link.seller_id
        )
        wanted = tuple_(link.buyer_id, link.other_id).in_(sorted(found))
        for row in self.session.execute(claims.where(wanted)):
            found[(row.buyer_id, row.other_id)].append((row.created_at, row.name))
        return [
            PendingLink(
                pair,
                tuple(name for _, name in sorted(said)),
                min(at for at, _ in said),
                max(at for at, _ in said),
            )
            for pair, said in found.items()
        ]

    def add(self, claims: Sequence[Claim], *, now: datetime) -> None:
        rows = [
            {
                "buyer_id": c.pair[0],
                "other_id": c.pair[1],
                "seller_id": c.seller_id,
                "created_at": now,
            }
            for c in dict.fromkeys(claims)
        ]
        if rows:
            _insert_missing(self.session, rows)

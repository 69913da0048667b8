"""Sellers' word that two buyers are one person, kept until enough sellers agree (domain.links)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from buyerguard.domain.links import Claim, Pair, PendingLink, pair_of
from buyerguard.domain.tags import TagStatus
from buyerguard.storage import tables as t
from buyerguard.storage.repositories import core_table

_LINKS = core_table(t.BuyerLinkRow)
_APART = core_table(t.BuyerLinkApartRow)


def _insert_missing(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, leaving those already there (two requests may make one at once)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(module.insert(table).on_conflict_do_nothing(), rows)


def rekey_links(session: Session, keep: int, other: int) -> None:
    """`other` is folded into `keep`: its claims and rulings become `keep`'s, and those between
    the two go."""
    for table in (_LINKS, _APART):
        involved = or_(table.c.buyer_id == other, table.c.other_id == other)
        rows = session.execute(select(table).where(involved)).mappings().all()
        if not rows:
            continue
        session.execute(delete(table).where(involved))
        moved = []
        for row in rows:
            one, two = (keep if b == other else b for b in (row["buyer_id"], row["other_id"]))
            if one != two:
                low, high = pair_of(one, two)
                moved.append({**row, "buyer_id": low, "other_id": high})
        if moved:
            _insert_missing(session, table, moved)


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
            _insert_missing(self.session, _LINKS, rows)

    def apart(self, pairs: Iterable[Pair]) -> set[Pair]:
        """Which of these pairs an operator ruled apart."""
        wanted = sorted(set(pairs))
        if not wanted:
            return set()
        query = select(_APART.c.buyer_id, _APART.c.other_id).where(
            tuple_(_APART.c.buyer_id, _APART.c.other_id).in_(wanted)
        )
        return {(row.buyer_id, row.other_id) for row in self.session.execute(query)}

    def keep_apart(self, pair: Pair, *, note: str | None, now: datetime) -> int:
        """Rule the pair apart, dropping its claims; returns how many claims there were."""
        link = t.BuyerLinkRow
        dropped = self.session.execute(
            delete(link).where(link.buyer_id == pair[0], link.other_id == pair[1])
        )
        ruling = {"buyer_id": pair[0], "other_id": pair[1], "note": note, "decided_at": now}
        _insert_missing(self.session, _APART, [ruling])
        return int(dropped.rowcount)  # type: ignore[attr-defined]  # DML results carry rowcount

"""The writes of bulk imports, and the reads they need per chunk rather than per line.

The repositories call these; what is specific to one engine stays here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.orders import KnownOrder
from buyerguard.domain.profiles import BuyerStats
from buyerguard.domain.sellers import Role, seller_name_key
from buyerguard.domain.tags import TagRecord
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.bulk import BulkInsert
from buyerguard.storage.prepared import Prepared

BATCH = 500  # keeps IN lists under SQLite's bound-parameter limit
ORDERS_AT_ONCE = 100
DIGESTS_AT_ONCE = 250  # an OR of as many equalities: well within SQLite's expression depth


def _table(row: type[t.Base]) -> Table:
    return cast(Table, row.__table__)


INSERT_BUYERS = BulkInsert(_table(t.BuyerRow), ("id", "created_at"))
INSERT_ONE_BUYER = Prepared(
    insert(_table(t.BuyerRow)).returning(_table(t.BuyerRow).c.id), column_keys=["created_at"]
)

INSERT_TAGS = BulkInsert(
    _table(t.TagRow),
    (
        "buyer_id",
        "seller_id",
        "reason",
        "note",
        "order_ref",
        "source",
        "status",
        "order_backed",
        "created_at",
        "expires_at",
    ),
)
LINK_IDENTIFIERS = BulkInsert(
    _table(t.BuyerIdentifierRow), ("digest", "kind", "buyer_id", "created_at")
)
INSERT_BUYER_STATS = BulkInsert(
    _table(t.BuyerStatsRow),
    (
        "buyer_id",
        "distinct_reporters",
        "clean_sellers",
        "clean_weight",
        "first_reported_at",
        "last_reported_at",
        "next_expiry_at",
    ),
)
INSERT_REASON_STATS = BulkInsert(
    _table(t.BuyerReasonStatsRow),
    ("buyer_id", "reason", "sellers", "order_backed", "anchored_weight", "first_at", "last_at"),
)


_SELLER_IDS = select(t.SellerRow.name, t.SellerRow.name_key, t.SellerRow.id).where(
    or_(
        t.SellerRow.name.in_(bindparam("names", expanding=True)),
        t.SellerRow.name_key.in_(bindparam("keys", expanding=True)),
    )
)


def create_buyers(session: Session, count: int, *, now: datetime) -> list[int]:
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        result = session.execute(
            insert(t.BuyerRow).returning(t.BuyerRow.id, sort_by_parameter_order=True),
            [{"created_at": now}] * count,
        )
        return list(result.scalars())
    # SQLite gives a new row the largest id plus one. The first row goes in alone: that takes the
    # database's only write lock, held until commit, so its successors are free for the others,
    # which are then inserted at once rather than RETURNed a row at a time.
    first = int(INSERT_ONE_BUYER.rows(session, {"created_at": now})[0].id)
    ids = list(range(first, first + count))
    INSERT_BUYERS.run(session, [(buyer_id, now) for buyer_id in ids[1:]])
    return ids


def link_identifiers(
    session: Session, links: Sequence[tuple[int, HashedIdentifier]], *, now: datetime
) -> None:
    # In digest order: the digests are random, and SQLite inserts neighbours faster.
    rows = sorted((h.digest, str(h.kind), buyer_id, now) for buyer_id, h in links)
    LINK_IDENTIFIERS.run(session, rows)


def insert_tags(session: Session, rows: Sequence[TagRecord]) -> None:
    if not rows:
        return
    seller, buyer, reason, note, ref, source, status, backed, created, expires = zip(
        *rows, strict=True
    )
    # str() of a StrEnum is its value, in C; `.value` is a Python property.
    columns = [buyer, seller, reason, note, ref, [*map(str, source)], [*map(str, status)], backed]
    INSERT_TAGS.run_columns(session, [*columns, created, expires])


def insert_stats(session: Session, stats: Mapping[int, BuyerStats]) -> None:
    rows = [
        (
            b,
            s.distinct_reporters,
            s.clean_sellers,
            s.clean_weight,
            s.first_reported_at,
            s.last_reported_at,
            s.next_expiry_at,
        )
        for b, s in stats.items()
        if s.distinct_reporters or s.clean_sellers
    ]
    INSERT_BUYER_STATS.run(session, rows)
    INSERT_REASON_STATS.run(
        session,
        [
            (b, r.reason, r.sellers, r.order_backed, r.anchored_weight, r.first_at, r.last_at)
            for b, s in stats.items()
            for r in s.reasons
        ],
    )


def seller_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Each name's seller: the one of exactly that name, else the one sharing its name key."""
    found: dict[str, int] = {}
    wanted = list(names)
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        keys = {name: seller_name_key(name) for name in chunk}
        rows = session.execute(_SELLER_IDS, {"names": chunk, "keys": list(keys.values())}).all()
        by_name = {row.name: row.id for row in rows}
        by_key = {row.name_key: row.id for row in rows}
        for name, key in keys.items():
            seller_id = by_name.get(name, by_key.get(key))
            if seller_id is not None:
                found[name] = seller_id
    return found


def add_sellers(
    session: Session, names: Sequence[str], *, role: Role, trust: float, now: datetime
) -> list[int]:
    if not names:
        return []
    result = session.execute(
        insert(t.SellerRow).returning(t.SellerRow.id, sort_by_parameter_order=True),
        [
            {
                "name": n,
                "name_key": seller_name_key(n),
                "role": role.value,
                "trust": trust,
                "created_at": now,
            }
            for n in names
        ],
    )
    return list(result.scalars())


def buyer_ids(session: Session, digests: Sequence[str]) -> dict[str, int]:
    """The buyers of these identifier digests, of those that have one."""
    found: dict[str, int] = {}
    statement = sql.find_few_buyers(DIGESTS_AT_ONCE)
    for start in range(0, len(digests), DIGESTS_AT_ONCE):
        chunk = list(digests[start : start + DIGESTS_AT_ONCE])
        chunk += [chunk[-1]] * (DIGESTS_AT_ONCE - len(chunk))  # one statement for every chunk
        params = {f"d{i}": digest for i, digest in enumerate(chunk)}
        found.update((row.digest, row.buyer_id) for row in statement.rows(session, params))
    return found


def known_orders(
    session: Session, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], KnownOrder]:
    found: dict[tuple[int, str], KnownOrder] = {}
    wanted = list(keys)
    statement = _orders_statement(ORDERS_AT_ONCE)
    for start in range(0, len(wanted), ORDERS_AT_ONCE):
        chunk = wanted[start : start + ORDERS_AT_ONCE]
        chunk += [chunk[-1]] * (ORDERS_AT_ONCE - len(chunk))  # one statement for every chunk
        params: dict[str, object] = {f"s{i}": seller for i, (seller, _) in enumerate(chunk)}
        params.update({f"r{i}": ref for i, (_, ref) in enumerate(chunk)})
        for row in statement.rows(session, params):
            found[(row.seller_id, row.order_ref)] = KnownOrder(row.buyer_id, row.completed)
    return found


@cache
def _orders_statement(count: int) -> Prepared:
    # An OR of equalities: SQLite answers each from the unique index, where a row-value IN list
    # would scan it.
    o = t.OrderRow
    match = or_(
        *(
            and_(o.seller_id == bindparam(f"s{i}"), o.order_ref == bindparam(f"r{i}"))
            for i in range(count)
        )
    )
    return Prepared(select(o.seller_id, o.order_ref, o.buyer_id, o.completed).where(match))

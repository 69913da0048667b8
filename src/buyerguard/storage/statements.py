"""The statements of the hot path (lookups, screenings, authentication), built once at import.

They run as `Prepared` statements on the session's connection and return plain named tuples: the
ORM's statement construction and object loading, and Core's execution machinery, cost several
times what the database needs to answer them.
"""

from __future__ import annotations

from functools import cache
from typing import cast

from sqlalchemy import Table, bindparam, insert, or_, select

from buyerguard.domain.tags import TagStatus
from buyerguard.storage import tables as t
from buyerguard.storage.prepared import Prepared

BI, BS, RS, TG = t.BuyerIdentifierRow, t.BuyerStatsRow, t.BuyerReasonStatsRow, t.TagRow
LE, PO, OR, SE, AK = t.ListEntryRow, t.PolicyRow, t.OrderRow, t.SellerRow, t.ApiKeyRow

FEW_DIGESTS = 8


@cache
def find_few_buyers(count: int) -> Prepared:
    """The buyers of `count` identifier digests, bound as `d0`, `d1`, ... (a request names a buyer
    by a few; an import looks them up many at a time)."""
    digests = [bindparam(f"d{i}", type_=BI.digest.type) for i in range(count)]
    # Equalities, not IN: an IN list of parameters compiles to one expanding parameter.
    return Prepared(select(BI.digest, BI.buyer_id).where(or_(*(BI.digest == d for d in digests))))


BUYER_STATS = Prepared(
    select(
        BS.distinct_reporters,
        BS.clean_sellers,
        BS.clean_weight,
        BS.first_reported_at,
        BS.last_reported_at,
        BS.next_expiry_at,
    ).where(BS.buyer_id == bindparam("buyer"))
)
REASON_STATS = Prepared(
    select(
        RS.reason, RS.sellers, RS.order_backed, RS.anchored_weight, RS.first_at, RS.last_at
    ).where(RS.buyer_id == bindparam("buyer"))
)
TAG_COLUMNS = (
    TG.id,
    TG.seller_id,
    TG.buyer_id,
    TG.reason,
    TG.note,
    TG.order_ref,
    TG.source,
    TG.status,
    TG.order_backed,
    TG.created_at,
    TG.expires_at,
    TG.confirmed_order_ref,
    TG.confirmed_at,
)
OWN_ACTIVE_TAGS = Prepared(
    select(*TAG_COLUMNS)
    .where(
        TG.buyer_id == bindparam("buyer"),
        TG.seller_id == bindparam("seller"),
        TG.status == TagStatus.ACTIVE.value,
    )
    .order_by(TG.id)
)
OWN_ACTIVE_REASONS = Prepared(
    select(TG.reason, TG.order_ref, TG.order_backed, TG.expires_at).where(
        TG.buyer_id == bindparam("buyer"),
        TG.seller_id == bindparam("seller"),
        TG.status == TagStatus.ACTIVE.value,
    )
)
LIST_NAMES = Prepared(
    select(LE.list_name).where(
        LE.buyer_id == bindparam("buyer"),
        LE.seller_id == bindparam("seller"),
        or_(LE.expires_at.is_(None), LE.expires_at > bindparam("now", type_=t.UtcDateTime())),
    )
)
LATEST_POLICY = Prepared(
    select(PO.version, PO.source)
    .where(PO.seller_id == bindparam("seller"))
    .order_by(PO.version.desc())
    .limit(1)
)
ONE_ORDER = Prepared(
    select(OR.buyer_id, OR.completed).where(
        OR.seller_id == bindparam("seller"), OR.order_ref == bindparam("ref")
    )
)
SELLER_BY_KEY = Prepared(
    select(
        SE.id,
        SE.name,
        SE.role,
        SE.created_at,
        SE.trust,
        AK.id.label("key_id"),
        AK.last_used_at,
    )
    .join(AK, AK.seller_id == SE.id)
    .where(AK.key_hash == bindparam("key_hash"), AK.revoked_at.is_(None))
)
ORDER_TABLE = cast(Table, OR.__table__)
INSERT_ORDER = insert(ORDER_TABLE)
INSERT_ONE_ORDER = Prepared(
    insert(ORDER_TABLE),
    column_keys=("seller_id", "buyer_id", "order_ref", "completed", "created_at", "completed_at"),
)

"""Tagging use cases: add, retract, list and expire tags, keeping the buyer aggregates in step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import ConflictError
from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.orders import KnownOrder
from buyerguard.domain.tags import DatedTagKey, NewTag, Tag, TagRecord, TagStatus, expiry_for
from buyerguard.services.alerts import TagChange, alert_buyer_changes, risk_levels
from buyerguard.services.buyers import refresh_stats, resolve_buyers
from buyerguard.services.unit_of_work import UnitOfWork


class TagExistsError(ConflictError):
    code = "tag_exists"


@dataclass(frozen=True)
class PendingTag:
    buyer_id: int
    tag: NewTag


def store_tags(
    uow: UnitOfWork, pending: Sequence[PendingTag], *, now: datetime, returning: bool = True
) -> list[int | None]:
    """Insert the tags that are not already active; None marks a duplicate, and a stored tag is
    its id when `returning`, else 0 (bulk imports need no ids). Runs in the caller's transaction
    and refreshes the aggregates of every buyer touched."""
    # A tag past its expiry stands in no new tag's way: it is marked expired first, as the
    # expire-old-tags job would, whether or not the job has run since.
    lapsed = uow.tags.expire(now=now, buyer_ids={p.buyer_id for p in pending})
    keys = [(p.tag.seller_id, p.buyer_id, p.tag.reason) for p in pending]
    taken = uow.tags.active_keys(keys)
    history = _history(uow, keys, pending, now=now)
    refs = [(p.tag.seller_id, p.tag.order_ref) for p in pending if p.tag.order_ref]
    orders = uow.orders.existing(refs)
    rows: list[TagRecord] = []
    positions: list[int | None] = []
    for key, item in zip(keys, pending, strict=True):
        at = item.tag.created_at or now
        if key in taken or (*key, at) in history:
            positions.append(None)
            continue
        expires_at = expiry_for(item.tag.reason, at)
        ref = item.tag.order_ref
        status = TagStatus.ACTIVE if expires_at > now else TagStatus.EXPIRED
        if status is TagStatus.ACTIVE:
            # Only an active tag stands in the way of another: a tag already expired when given
            # is history, as it is against tags stored earlier.
            taken.add(key)
        else:
            history.add((*key, at))
        positions.append(len(rows))
        rows.append(
            TagRecord(
                seller_id=item.tag.seller_id,
                buyer_id=item.buyer_id,
                reason=item.tag.reason,
                note=item.tag.note,
                order_ref=ref,
                source=item.tag.source,
                status=status,
                order_backed=_order_backed(
                    orders.get((item.tag.seller_id, ref or "")), item.buyer_id
                ),
                created_at=at,
                expires_at=expires_at,
            )
        )
    ids = uow.tags.add_many(rows, returning=returning) or [0] * len(rows)
    refresh_stats(uow, {row.buyer_id for row in rows} | lapsed, now=now)
    return [None if pos is None else ids[pos] for pos in positions]


def _history(
    uow: UnitOfWork,
    keys: Sequence[tuple[int, int, str]],
    pending: Sequence[PendingTag],
    *,
    now: datetime,
) -> set[DatedTagKey]:
    """Of the tags that would be stored already expired, those stored so before: the same old fact
    given again (events judge an order's whole history every time) is not history twice."""
    expired = [
        (*key, at)
        for key, item in zip(keys, pending, strict=True)
        if (at := item.tag.created_at) is not None and expiry_for(item.tag.reason, at) <= now
    ]
    return uow.tags.stored_keys((), expired)[1] if expired else set()


def _order_backed(order: KnownOrder | None, buyer_id: int) -> bool:
    return order is not None and order.buyer_id == buyer_id


def add_tag(
    uow: UnitOfWork, buyer: Mapping[str, object], tag: NewTag, *, secret: bytes, now: datetime
) -> int:
    """Record one tag; a second active tag by the same seller for the same reason is refused."""
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        (buyer_id,) = resolve_buyers(uow, [identifiers], sellers=[tag.seller_id], now=now)
        subscribers, before = risk_levels(uow, [buyer_id], now=now)
        (tag_id,) = store_tags(uow, [PendingTag(buyer_id, tag)], now=now)
        if tag_id is None:
            # The identifiers it brought are linked all the same, as an import's duplicate line
            # links them: the same facts make the same buyer whichever way they arrive.
            uow.commit()
            raise TagExistsError(
                f"you already have an active {tag.reason!r} tag on this buyer; retract it first"
            )
        change = TagChange(buyer_id, tag.seller_id, tag.reason)
        alert_buyer_changes(uow, [change], subscribers=subscribers, before=before, now=now)
        uow.commit()
    return tag_id


def retract_tag(uow: UnitOfWork, tag_id: int, *, seller_id: int, now: datetime) -> None:
    """Withdraw one of the seller's own tags; another seller's tag is reported as not found. A tag
    that has expired stays expired, whether or not the expire-old-tags job has marked it yet."""
    with uow:
        tag = uow.tags.get_for_seller(tag_id, seller_id)
        if tag.active_at(now):
            uow.tags.set_status(tag_id, TagStatus.RETRACTED, now=now)
            refresh_stats(uow, [tag.buyer_id], now=now)
        uow.commit()


def get_tag(uow: UnitOfWork, tag_id: int, *, seller_id: int, now: datetime) -> Tag:
    """One of the seller's own tags, as it stands at `now`."""
    with uow:
        return uow.tags.get_for_seller(tag_id, seller_id).as_of(now)


def list_tags(
    uow: UnitOfWork, *, seller_id: int, after_id: int | None, limit: int, now: datetime
) -> list[Tag]:
    """The seller's own tags as they stand at `now`, newest first, a page at a time (keyset
    pagination on the id)."""
    with uow:
        found = uow.tags.list_for_seller(seller_id, after_id=after_id, limit=limit)
    return [tag.as_of(now) for tag in found]


def expire_old_tags(uow: UnitOfWork, *, now: datetime) -> int:
    """Mark tags past their reason's expiry as expired and drop them from the aggregates."""
    with uow:
        buyers = uow.tags.expire(now=now)
        refresh_stats(uow, buyers, now=now)
        uow.commit()
    return len(buyers)

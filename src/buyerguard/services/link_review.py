"""Operators' review of how buyer records are joined: sellers' claims that two records are one
person (domain.links), and the merges made, which an operator may undo (domain.merges)."""

from __future__ import annotations

from datetime import datetime

from buyerguard.domain.errors import BuyerNotFoundError, LinkClaimNotFoundError
from buyerguard.domain.links import Pair, PendingLink, pair_of
from buyerguard.domain.merges import Merge
from buyerguard.domain.profiles import build_profile
from buyerguard.domain.records import BuyerRecord, ReportedTag
from buyerguard.domain.text import validate_note
from buyerguard.services.buyers import current_stats, refresh_stats
from buyerguard.services.unit_of_work import UnitOfWork


def pending_links(uow: UnitOfWork, *, limit: int) -> list[PendingLink]:
    """Pairs of buyer records claimed to be one person that are not merged yet (a second seller's
    word or an operator's approval merges them), most recently claimed first."""
    with uow:
        return uow.buyer_links.pending(limit=limit)


def approve_link(uow: UnitOfWork, buyer_id: int, other_id: int, *, now: datetime) -> Pair:
    """Merge a claimed pair at once, into the older record; returns (kept, merged)."""
    pair = pair_of(buyer_id, other_id)
    with uow:
        _claimed(uow, pair)
        uow.buyers.merge(pair[0], [pair[1]], seller_id=None, now=now)
        refresh_stats(uow, [pair[0]], now=now)
        uow.commit()
    return pair


def reject_link(
    uow: UnitOfWork, buyer_id: int, other_id: int, *, note: str | None, now: datetime
) -> tuple[Pair, int]:
    """Rule a claimed pair apart: its claims go, and no seller's word merges the two records from
    now on. Returns the pair, older first, and how many sellers' claims were dropped."""
    if note is not None:
        validate_note(note)
    pair = pair_of(buyer_id, other_id)
    with uow:
        _claimed(uow, pair)
        dropped = uow.buyer_links.keep_apart(pair, note=note, now=now)
        uow.commit()
    return pair, dropped


def list_merges(uow: UnitOfWork, buyer_id: int | None, *, limit: int) -> list[Merge]:
    """Merges newest first: those that kept or folded away `buyer_id`, or all."""
    with uow:
        return uow.buyers.merges(buyer_id, limit=limit)


def undo_merge(uow: UnitOfWork, merge_id: int, *, now: datetime) -> Merge:
    """Take a merged record out of the one it was folded into, and rule the two apart so that no
    seller's word merges them again."""
    with uow:
        merge = uow.buyers.undo_merge(merge_id, now=now)
        pair = pair_of(merge.buyer_id, merge.merged_id)
        uow.buyer_links.keep_apart(pair, note=f"merge {merge_id} undone", now=now)
        uow.tags.expire(now=now, buyer_ids=pair)
        refresh_stats(uow, pair, now=now)
        uow.commit()
    return merge


def buyer_record(
    uow: UnitOfWork, buyer_id: int, *, now: datetime, viewer_id: int | None = None
) -> BuyerRecord:
    """A buyer record by id, for an operator: the record holding it now (the one it was merged
    into, if so), its kinds of identifiers, who reported it for what, and its profile."""
    with uow:
        live = uow.buyers.live_buyers([buyer_id])[buyer_id]
        created_at = uow.buyers.created_at(live)
        if created_at is None:
            raise BuyerNotFoundError(f"no buyer {buyer_id}")
        stats = current_stats(uow, live, now=now)
        active = [tag for tag in uow.tags.active_for_buyers([live]) if tag.active_at(now)]
        names = uow.sellers.names_for(tag.seller_id for tag in active)
        mine = [tag for tag in active if tag.seller_id == viewer_id]
        return BuyerRecord(
            asked_id=buyer_id,
            buyer_id=live,
            created_at=created_at,
            identifiers=uow.buyers.identifier_kinds(live),
            tags=[
                ReportedTag(
                    names[tag.seller_id],
                    tag.reason,
                    tag.order_backed,
                    tag.created_at,
                    tag.expires_at,
                )
                for tag in active
            ],
            profile=build_profile(live, stats, mine, now=now),
        )


def _claimed(uow: UnitOfWork, pair: Pair) -> None:
    if not uow.buyer_links.sellers_for([pair])[pair]:
        raise LinkClaimNotFoundError(
            f"no pending claim that buyers {pair[0]} and {pair[1]} are one person"
        )

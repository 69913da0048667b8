"""Operators' review of sellers' claims that two buyer records are one person (domain.links)."""

from __future__ import annotations

from datetime import datetime

from buyerguard.domain.errors import LinkClaimNotFoundError
from buyerguard.domain.links import Pair, PendingLink, pair_of
from buyerguard.domain.text import validate_note
from buyerguard.services.buyers import refresh_stats
from buyerguard.services.unit_of_work import UnitOfWork


def pending_links(uow: UnitOfWork, *, limit: int) -> list[PendingLink]:
    """Pairs of buyer records claimed to be one person that are not merged yet (a second seller's
    word or an operator's approval merges them), most recently claimed first."""
    with uow:
        return uow.buyer_links.pending(limit=limit)


def approve_link(uow: UnitOfWork, buyer_id: int, other_id: int, *, now: datetime) -> int:
    """Merge a claimed pair at once, into the older record; returns the buyer kept."""
    pair = pair_of(buyer_id, other_id)
    with uow:
        _claimed(uow, pair)
        uow.buyers.merge(pair[0], [pair[1]], now=now)
        refresh_stats(uow, [pair[0]], now=now)
        uow.commit()
    return pair[0]


def reject_link(
    uow: UnitOfWork, buyer_id: int, other_id: int, *, note: str | None, now: datetime
) -> int:
    """Rule a claimed pair apart: its claims go, and no seller's word merges the two records from
    now on. Returns how many sellers' claims were dropped."""
    if note is not None:
        validate_note(note)
    pair = pair_of(buyer_id, other_id)
    with uow:
        _claimed(uow, pair)
        dropped = uow.buyer_links.keep_apart(pair, note=note, now=now)
        uow.commit()
    return dropped


def _claimed(uow: UnitOfWork, pair: Pair) -> None:
    if not uow.buyer_links.sellers_for([pair])[pair]:
        raise LinkClaimNotFoundError(
            f"no pending claim that buyers {pair[0]} and {pair[1]} are one person"
        )

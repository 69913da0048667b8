"""For operators: sellers' claims that two buyer records are one person, and merges to undo."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from buyerguard.domain.links import PendingLink
from buyerguard.domain.merges import Merge
from buyerguard.services import link_review
from buyerguard.web.dependencies import (
    MAX_ID,
    BuyerFilter,
    CurrentAdmin,
    Id,
    Limit,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/link-claims",
    tags=["link claims"],
    responses=ERROR_RESPONSES,
    route_class=JsonRoute,
)
merges_router = APIRouter(
    prefix="/v1/merges", tags=["link claims"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

BuyerId = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description="A `buyer_id` of a lookup.")]


class ClaimOut(BaseModel):
    buyer_id: int = Field(description="The older record: the one kept if they merge.")
    other_buyer_id: int
    sellers: list[str] = Field(description="The sellers that made the claim, first first.")
    first_claimed_at: datetime
    last_claimed_at: datetime

    @classmethod
    def of(cls, link: PendingLink) -> ClaimOut:
        return cls(
            buyer_id=link.pair[0],
            other_buyer_id=link.pair[1],
            sellers=list(link.sellers),
            first_claimed_at=link.first_at,
            last_claimed_at=link.last_at,
        )


class ClaimList(BaseModel):
    claims: list[ClaimOut]


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_id: BuyerId
    other_buyer_id: BuyerId


class RejectIn(PairIn):
    note: str | None = Field(None, description="Why, for operators; never shown to sellers.")


class Approved(BaseModel):
    buyer_id: int = Field(description="The record kept: the older.")
    merged_buyer_id: int = Field(description="The record merged into it.")


class Rejected(BaseModel):
    buyer_id: int
    other_buyer_id: int
    claims_dropped: int = Field(description="How many sellers' claims of the pair were dropped.")


@router.get("", response_model=ClaimList)
def list_claims(_: CurrentAdmin, uow: UnitOfWorkDep, limit: Limit = 100) -> ClaimList:
    """Pairs of buyer records a seller gave together while other sellers know both: they merge
    once a second seller gives them together. Most recently claimed first."""
    pending = link_review.pending_links(uow, limit=limit)
    return ClaimList(claims=[ClaimOut.of(link) for link in pending])


@router.post("/approve", response_model=Approved)
def approve(body: PairIn, _: CurrentAdmin, uow: UnitOfWorkDep) -> Approved:
    """Merge a claimed pair into the older record now. 404 `link_claim_not_found` when no claim
    of the pair waits (merged already, ruled apart, or never claimed)."""
    kept, merged = link_review.approve_link(uow, body.buyer_id, body.other_buyer_id, now=utc_now())
    return Approved(buyer_id=kept, merged_buyer_id=merged)


@router.post("/reject", response_model=Rejected)
def reject(body: RejectIn, _: CurrentAdmin, uow: UnitOfWorkDep) -> Rejected:
    """Rule a claimed pair apart: its claims are dropped, and no seller's word merges the two
    records from now on."""
    (low, high), dropped = link_review.reject_link(
        uow, body.buyer_id, body.other_buyer_id, note=body.note, now=utc_now()
    )
    return Rejected(buyer_id=low, other_buyer_id=high, claims_dropped=dropped)


class MergeOut(BaseModel):
    id: int
    buyer_id: int = Field(description="The record kept.")
    merged_buyer_id: int = Field(description="The record folded into it.")
    merged_at: datetime
    undone_at: datetime | None
    seller: str | None = Field(description="Whose word made the merge; null: an operator's.")
    claimed_by: list[str] = Field(description="Sellers whose earlier claims it settled.")

    @classmethod
    def of(cls, merge: Merge) -> MergeOut:
        return cls(
            id=merge.id,
            buyer_id=merge.buyer_id,
            merged_buyer_id=merge.merged_id,
            merged_at=merge.merged_at,
            undone_at=merge.undone_at,
            seller=merge.seller,
            claimed_by=list(merge.claimed_by),
        )


class MergeList(BaseModel):
    merges: list[MergeOut]


@merges_router.get("", response_model=MergeList)
def list_merges(
    _: CurrentAdmin, uow: UnitOfWorkDep, buyer_id: BuyerFilter = None, limit: Limit = 100
) -> MergeList:
    """Merges of two buyer records, newest first."""
    found = link_review.list_merges(uow, buyer_id, limit=limit)
    return MergeList(merges=[MergeOut.of(merge) for merge in found])


@merges_router.post("/{merge_id}/undo", response_model=MergeOut)
def undo_merge(merge_id: Id, _: CurrentAdmin, uow: UnitOfWorkDep) -> MergeOut:
    """Undo a merge: what it moved goes back to the merged record, the duplicates it removed stand
    again, and the two records are ruled apart. 409 `merge_undone`, or `merge_covered` when the
    kept record was merged into another since (undo that merge first)."""
    return MergeOut.of(link_review.undo_merge(uow, merge_id, now=utc_now()))

"""Looking a buyer up: personal data travels in the body, never in the URL. Operators read a
record by id (the ids link claims and merges name)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from buyerguard.domain.records import BuyerRecord, ReportedTag
from buyerguard.services import buyers, link_review
from buyerguard.web.api.schemas import LookupIn, ProfileOut
from buyerguard.web.dependencies import (
    CurrentAdmin,
    CurrentSeller,
    Id,
    SecretDep,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/buyers", tags=["buyers"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("/lookup", response_model=ProfileOut)
def look_up_buyer(
    body: LookupIn, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> ProfileOut:
    """The buyer's record as you may see it: your own tags with notes, everyone else's as counts
    per reason, the sellers whose orders went fine, and the risk. An unknown buyer's is empty."""
    profile = buyers.look_up_buyer(
        uow, body.buyer.identifiers(), viewer_id=seller.id, secret=secret, now=utc_now()
    )
    return ProfileOut.of(profile)


class ReportedTagOut(BaseModel):
    seller: str
    reason: str
    order_backed: bool
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, tag: ReportedTag) -> ReportedTagOut:
        return cls(**tag.__dict__)


class BuyerRecordOut(BaseModel):
    asked_id: int
    buyer_id: int = Field(description="The record holding it now: the one it was merged into.")
    created_at: datetime
    identifiers: dict[str, int] = Field(description="How many identifiers of each kind.")
    tags: list[ReportedTagOut] = Field(description="Active tags, with their sellers' names.")
    profile: ProfileOut

    @classmethod
    def of(cls, record: BuyerRecord) -> BuyerRecordOut:
        return cls(
            asked_id=record.asked_id,
            buyer_id=record.buyer_id,
            created_at=record.created_at,
            identifiers=record.identifiers,
            tags=[ReportedTagOut.of(tag) for tag in record.tags],
            profile=ProfileOut.of(record.profile),
        )


@router.get("/{buyer_id}", response_model=BuyerRecordOut)
def buyer_record(buyer_id: Id, admin: CurrentAdmin, uow: UnitOfWorkDep) -> BuyerRecordOut:
    """Admin: a buyer record by id, to review a link claim or a merge: who reported it for what
    (never their notes), its kinds of identifiers (never an identifier), and its profile. 404
    `buyer_not_found`."""
    record = link_review.buyer_record(uow, buyer_id, viewer_id=admin.id, now=utc_now())
    return BuyerRecordOut.of(record)

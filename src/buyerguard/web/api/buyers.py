"""Looking a buyer up: personal data travels in the body, never in the URL."""

from __future__ import annotations

from fastapi import APIRouter

from buyerguard.services import buyers
from buyerguard.web.api.schemas import LookupIn, ProfileOut
from buyerguard.web.dependencies import CurrentSeller, SecretDep, UnitOfWorkDep, utc_now
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

"""Sellers: who you are, and (for admins) creating sellers and listing them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from buyerguard.domain.sellers import Role
from buyerguard.services import sellers
from buyerguard.web.api.schemas import SellerOut
from buyerguard.web.dependencies import CurrentAdmin, CurrentSeller, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/sellers", tags=["sellers"], responses=ERROR_RESPONSES)


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    admin: bool = False


class SellerCreated(BaseModel):
    seller_id: int
    api_key: str


@router.get("/me", response_model=SellerOut)
def who_am_i(seller: CurrentSeller, uow: UnitOfWorkDep) -> SellerOut:
    """Your seller record, with the trust your tags currently carry."""
    return SellerOut.of(sellers.get_seller(uow, seller.id))


@router.get("", response_model=list[SellerOut])
def list_sellers(_: CurrentAdmin, uow: UnitOfWorkDep) -> list[SellerOut]:
    return [SellerOut.of(s) for s in sellers.list_sellers(uow)]


@router.post("", status_code=201, response_model=SellerCreated)
def create_seller(body: SellerIn, _: CurrentAdmin, uow: UnitOfWorkDep) -> SellerCreated:
    """Create a seller; its API key is shown in this response only."""
    role = Role.ADMIN if body.admin else Role.SELLER
    created = sellers.create_seller(uow, body.name, role=role, now=utc_now())
    return SellerCreated(seller_id=created.seller.id, api_key=created.api_key)

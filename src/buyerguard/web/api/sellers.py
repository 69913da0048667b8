"""Sellers: who you are, and (for admins) creating sellers and listing them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from buyerguard.domain.sellers import Role
from buyerguard.services import sellers
from buyerguard.web.api.schemas import SellerOut
from buyerguard.web.dependencies import After, CurrentAdmin, CurrentSeller, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/sellers", tags=["sellers"], responses=ERROR_RESPONSES)


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    # Strict: "yes", "1" or 1 making an admin would hand out the operator's powers by accident.
    admin: StrictBool = False


class SellerCreated(BaseModel):
    seller_id: int
    api_key: str


@router.get("/me", response_model=SellerOut)
def who_am_i(seller: CurrentSeller, uow: UnitOfWorkDep) -> SellerOut:
    """Your seller record, with the trust your tags currently carry."""
    return SellerOut.of(sellers.get_seller(uow, seller.id))


class SellerPage(BaseModel):
    sellers: list[SellerOut]
    next_after: int | None = Field(
        description="Pass as `after` to get the next page; null at the end."
    )


@router.get("", response_model=SellerPage)
def list_sellers(
    _: CurrentAdmin,
    uow: UnitOfWorkDep,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SellerPage:
    """Every seller, oldest first."""
    found = sellers.list_sellers(uow, after_id=after, limit=limit)
    return SellerPage(
        sellers=[SellerOut.of(s) for s in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.post("", status_code=201, response_model=SellerCreated)
def create_seller(body: SellerIn, _: CurrentAdmin, uow: UnitOfWorkDep) -> SellerCreated:
    """Create a seller; its API key is shown in this response only."""
    role = Role.ADMIN if body.admin else Role.SELLER
    created = sellers.create_seller(uow, body.name, role=role, now=utc_now())
    return SellerCreated(seller_id=created.seller.id, api_key=created.api_key)

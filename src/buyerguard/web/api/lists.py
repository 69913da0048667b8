"""Your lists: `allow` ships whatever the community says, `block` declines; others feed policies."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from buyerguard.services import lists
from buyerguard.web.api.schemas import BuyerIn, FactTime
from buyerguard.web.dependencies import CurrentSeller, Id, SecretDep, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/lists", tags=["lists"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    buyer: BuyerIn
    note: str = Field("", max_length=2000)
    expires_at: FactTime | None = None


class EntryCreated(BaseModel):
    id: int


class EntryOut(BaseModel):
    id: int
    buyer_id: int
    note: str
    expires_at: datetime | None
    created_at: datetime


@router.post("/{list_name}/entries", status_code=201, response_model=EntryCreated)
def put_entry(
    list_name: str, body: EntryIn, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> EntryCreated:
    """Put a buyer on your list; putting it there again replaces the note and expiry."""
    entry_id = lists.put_entry(
        uow,
        list_name,
        body.buyer.identifiers(),
        seller_id=seller.id,
        note=body.note,
        expires_at=body.expires_at,
        secret=secret,
        now=utc_now(),
    )
    return EntryCreated(id=entry_id)


@router.get("/{list_name}/entries", response_model=list[EntryOut])
def list_entries(list_name: str, seller: CurrentSeller, uow: UnitOfWorkDep) -> list[EntryOut]:
    """Your entries (identifiers are not stored in clear, so entries show the buyer id and note)."""
    return [
        EntryOut(
            id=e.id,
            buyer_id=e.buyer_id,
            note=e.note,
            expires_at=e.expires_at,
            created_at=e.created_at,
        )
        for e in lists.list_entries(uow, list_name, seller_id=seller.id)
    ]


@router.delete("/{list_name}/entries/{entry_id}", status_code=204)
def remove_entry(
    list_name: str, entry_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep
) -> Response:
    lists.remove_entry(uow, list_name, entry_id, seller_id=seller.id)
    return Response(status_code=204)

"""Sellers: who you are and your API keys; for admins, creating and listing sellers and managing
their keys. A key revoked here is refused at once by this process (see KeyCache for others)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from buyerguard.domain.sellers import ApiKey, Role, shown_part
from buyerguard.services import sellers
from buyerguard.services.unit_of_work import UnitOfWork
from buyerguard.web.api.schemas import SellerOut
from buyerguard.web.dependencies import (
    After,
    CurrentAdmin,
    CurrentSeller,
    Id,
    KeyCache,
    KeyCacheDep,
    Limit,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/sellers", tags=["sellers"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    # Strict: "yes", "1" or 1 making an admin would hand out the operator's powers by accident.
    admin: StrictBool = False


class SellerCreated(BaseModel):
    seller_id: int
    api_key: str


class ListedSellerOut(SellerOut):
    active_keys: int = Field(description="Keys not revoked; the keys themselves are never shown.")

    @classmethod
    def of_listed(cls, listed: sellers.ListedSeller) -> ListedSellerOut:
        return cls(**SellerOut.of(listed.seller).model_dump(), active_keys=listed.active_keys)


class SellerPage(BaseModel):
    sellers: list[ListedSellerOut]
    next_after: int | None = Field(
        description="Pass as `after` to get the next page; null at the end."
    )


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revoke_others: StrictBool = Field(
        False, description="Revoke every other active key of the seller with this issue."
    )


class KeyIssued(BaseModel):
    key_id: int
    prefix: str
    api_key: str = Field(description="Shown in this response only.")
    revoked: list[int] = Field(description="The ids of the keys revoked with this issue.")


class KeyOut(BaseModel):
    id: int
    prefix: str | None = Field(description="The key's first characters; null for older keys.")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When a request last used the key, to five minutes; null if never (or not "
        "since this was kept)."
    )

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            id=key.id,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class KeyList(BaseModel):
    keys: list[KeyOut]


class KeysRevoked(BaseModel):
    revoked: list[int] = Field(description="The ids of the keys this revoked.")


@router.get("/me", response_model=SellerOut)
def who_am_i(seller: CurrentSeller, uow: UnitOfWorkDep) -> SellerOut:
    """Your seller record, with the trust your tags currently carry."""
    return SellerOut.of(sellers.get_seller(uow, seller.id))


@router.post("/me/keys", status_code=201, response_model=KeyIssued)
def issue_own_key(
    seller: CurrentSeller, uow: UnitOfWorkDep, cache: KeyCacheDep, body: KeyIn | None = None
) -> KeyIssued:
    """A new key of yours, shown once; with `revoke_others`, the key you called with and every
    other key of yours stop working at once: rotation in one call."""
    return _issue(uow, cache, seller.id, body)


@router.get("/me/keys", response_model=KeyList)
def list_own_keys(seller: CurrentSeller, uow: UnitOfWorkDep) -> KeyList:
    """Your keys, newest first, revoked ones too (never the keys themselves)."""
    return KeyList(keys=[KeyOut.of(k) for k in sellers.list_api_keys(uow, seller.id)])


@router.delete("/me/keys/{key_id}", status_code=204)
def revoke_own_key(
    key_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep, cache: KeyCacheDep
) -> None:
    """Revoke one of your keys, even the one you call with."""
    _revoke(uow, cache, seller.id, key_ids=[key_id])


@router.get("", response_model=SellerPage)
def list_sellers(
    _: CurrentAdmin,
    uow: UnitOfWorkDep,
    after: After = None,
    limit: Limit = 100,
) -> SellerPage:
    """Every seller, oldest first."""
    found = sellers.list_sellers(uow, after_id=after, limit=limit)
    return SellerPage(
        sellers=[ListedSellerOut.of_listed(s) for s in found],
        next_after=found[-1].seller.id if len(found) == limit else None,
    )


@router.post("", status_code=201, response_model=SellerCreated)
def create_seller(body: SellerIn, _: CurrentAdmin, uow: UnitOfWorkDep) -> SellerCreated:
    """Create a seller; its API key is shown in this response only."""
    role = Role.ADMIN if body.admin else Role.SELLER
    created = sellers.create_seller(uow, body.name, role=role, now=utc_now())
    return SellerCreated(seller_id=created.seller.id, api_key=created.api_key)


@router.post("/{seller_id}/keys", status_code=201, response_model=KeyIssued)
def issue_key(
    seller_id: Id,
    _: CurrentAdmin,
    uow: UnitOfWorkDep,
    cache: KeyCacheDep,
    body: KeyIn | None = None,
) -> KeyIssued:
    """Admin: a new key of the seller, shown once (`revoke_others` as for your own)."""
    return _issue(uow, cache, seller_id, body)


@router.get("/{seller_id}/keys", response_model=KeyList)
def list_keys(seller_id: Id, _: CurrentAdmin, uow: UnitOfWorkDep) -> KeyList:
    """Admin: the seller's keys, as `GET /v1/sellers/me/keys` shows yours."""
    return KeyList(keys=[KeyOut.of(k) for k in sellers.list_api_keys(uow, seller_id)])


@router.delete("/{seller_id}/keys/{key_id}", status_code=204)
def revoke_key(
    seller_id: Id, key_id: Id, _: CurrentAdmin, uow: UnitOfWorkDep, cache: KeyCacheDep
) -> None:
    """Admin: revoke one key of the seller."""
    _revoke(uow, cache, seller_id, key_ids=[key_id])


@router.delete("/{seller_id}/keys", response_model=KeysRevoked)
def revoke_keys(
    seller_id: Id, _: CurrentAdmin, uow: UnitOfWorkDep, cache: KeyCacheDep
) -> KeysRevoked:
    """Admin: revoke every key of the seller, which can then reach nothing until issued one."""
    return KeysRevoked(revoked=_revoke(uow, cache, seller_id, key_ids=None))


def _issue(uow: UnitOfWork, cache: KeyCache, seller_id: int, body: KeyIn | None) -> KeyIssued:
    revoke_others = body is not None and body.revoke_others
    issued = sellers.issue_api_key(uow, seller_id, revoke_others=revoke_others, now=utc_now())
    if issued.revoked:
        cache.forget(seller_id)
    return KeyIssued(
        key_id=issued.key.id,
        prefix=shown_part(issued.api_key),
        api_key=issued.api_key,
        revoked=issued.revoked,
    )


def _revoke(
    uow: UnitOfWork, cache: KeyCache, seller_id: int, *, key_ids: list[int] | None
) -> list[int]:
    revoked = sellers.revoke_api_keys(uow, seller_id, key_ids=key_ids, now=utc_now())
    if revoked:
        cache.forget(seller_id)
    return revoked

"""Annotated dependencies the routes share: the unit of work, the caller, the secret, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from buyerguard.domain.errors import AuthenticationError, PermissionDeniedError
from buyerguard.domain.sellers import Seller
from buyerguard.services import sellers
from buyerguard.services.unit_of_work import UnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


def uow_for(request: Request) -> UnitOfWork:
    factory: Callable[[], UnitOfWork] = request.app.state.uow_factory
    return factory()


def secret_for(request: Request) -> bytes:
    secret: bytes = request.app.state.identifier_secret
    return secret


# No I/O in these two: async keeps them off the thread pool, a hand-off per request saved.
async def get_uow(request: Request) -> UnitOfWork:
    return uow_for(request)


async def get_secret(request: Request) -> bytes:
    return secret_for(request)


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_uow)]
SecretDep = Annotated[bytes, Depends(get_secret)]


def get_current_seller(
    uow: UnitOfWorkDep,
    authorization: Annotated[str | None, Header(description="`Bearer <api key>`")] = None,
) -> Seller:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    return sellers.authenticate(uow, key.strip())


CurrentSeller = Annotated[Seller, Depends(get_current_seller)]


def get_admin(seller: CurrentSeller) -> Seller:
    if not seller.is_admin:
        raise PermissionDeniedError("this needs an admin key")
    return seller


CurrentAdmin = Annotated[Seller, Depends(get_admin)]


# Ids are 64-bit in the database: a larger number is a 422 here, not an overflow below.
MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="The `next_after` of the previous page.")
]

"""Annotated dependencies the routes share: the unit of work, the caller, the secret, the clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

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


class KeyCache:
    """API key -> seller for a few seconds, so that a busy client does not cost a query per
    request. Only good keys are kept; a seller's name, role and trust may lag by `seconds`, and
    so may a key revoked by another process. A revocation through this one `forget`s the seller."""

    MAX_KEYS = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._found: dict[str, tuple[float, Seller]] = {}
        # Revocations run on the thread pool, lookups on the event loop: the lock keeps `forget`
        # from reading the table while `put` changes it. `generation` counts revocations, so that
        # a lookup that read the database before one does not put back what it forgot.
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: str) -> Seller | None:
        hit = self._found.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return None
        return hit[1]

    def put(self, key: str, seller: Seller, *, generation: int) -> None:
        """Remember a seller found when the cache was at `generation`."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._found) >= self.MAX_KEYS:
                self._found.clear()  # many keys at once: start over rather than grow
            self._found[key] = (time.monotonic() + self.seconds, seller)

    def forget(self, seller_id: int) -> None:
        """Drop every key of the seller: the next request with one asks the database again."""
        with self._lock:
            self.generation += 1
            self._found = {k: hit for k, hit in self._found.items() if hit[1].id != seller_id}


async def get_key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


KeyCacheDep = Annotated[KeyCache, Depends(get_key_cache)]


async def get_current_seller(
    request: Request,
    authorization: Annotated[str | None, Header(description="`Bearer <api key>`")] = None,
) -> Seller:
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    cache = await get_key_cache(request)
    seller = cache.get(key)
    if seller is None:
        generation = cache.generation
        seller = await run_in_threadpool(sellers.authenticate, uow_for(request), key, now=utc_now())
        cache.put(key, seller, generation=generation)
    return seller


CurrentSeller = Annotated[Seller, Depends(get_current_seller)]


def get_admin(seller: CurrentSeller) -> Seller:
    if not seller.is_admin:
        raise PermissionDeniedError("this needs an admin key")
    return seller


CurrentAdmin = Annotated[Seller, Depends(get_admin)]


def _digits(value: object) -> object:
    """A path or query number as digits only: lax parsing would read "1.0" or "1_0" as 1 too."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    raise ValueError("expected a whole number, in digits")


# Ids are 64-bit in the database: a larger number is a 422 here, not an overflow below.
MAX_ID = 2**63 - 1
Id = Annotated[int, BeforeValidator(_digits), Path(ge=1, le=MAX_ID)]
After = Annotated[
    int | None,
    BeforeValidator(_digits),
    Query(ge=1, le=MAX_ID, description="The `next_after` of the previous page."),
]
Limit = Annotated[int, BeforeValidator(_digits), Query(ge=1, le=500)]
BuyerFilter = Annotated[
    int | None,
    BeforeValidator(_digits),
    Query(ge=1, le=MAX_ID, description="Only those of this buyer (a lookup's `buyer_id`)."),
]

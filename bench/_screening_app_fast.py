"""A what-if application factory for bench/screening_http.py: NOT shipped code.

`app` is the shipped application (bench/_screening_app.py's `app`) with the web-layer changes
suggested for the request path, applied the way a change to src/buyerguard/web/dependencies.py
would apply them. (FastAPI's `dependency_overrides` re-analyses each override on every request,
which costs more than it saves, so the dependencies are swapped before the routes are imported.)

- `get_uow` and `get_secret` as `async def`: they do no I/O, yet as plain `def` FastAPI runs each
  in the thread pool (a hand-off to a worker thread and back, per request);
- `get_current_seller` as `async def` with a 30-second in-process cache of API key -> seller; a
  miss authenticates in the thread pool as before (a revoked key keeps working up to 30 s).

    .venv/bin/uvicorn --app-dir bench --factory _screening_app_fast:app --workers 2
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from starlette.concurrency import run_in_threadpool

import buyerguard.web.dependencies as dependencies
from buyerguard.domain.errors import AuthenticationError
from buyerguard.domain.sellers import Seller
from buyerguard.services import sellers

AUTH_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, Seller]] = {}


async def get_uow(request: Request) -> Any:
    return request.app.state.uow_factory()


async def get_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.identifier_secret
    return secret


async def get_current_seller(
    request: Request,
    authorization: Annotated[str | None, Header(description="`Bearer <api key>`")] = None,
) -> Seller:
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    hit = _cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    seller = await run_in_threadpool(sellers.authenticate, request.app.state.uow_factory(), key)
    _cache[key] = (time.monotonic() + AUTH_CACHE_SECONDS, seller)
    return seller


def _swap_dependencies() -> None:
    if "buyerguard.web.api.screenings" in sys.modules:
        raise RuntimeError("the routes are imported already: swap the dependencies first")
    for annotated, function in (
        (dependencies.UnitOfWorkDep, get_uow),
        (dependencies.SecretDep, get_secret),
        (dependencies.CurrentSeller, get_current_seller),
    ):
        depends = annotated.__metadata__[0]
        object.__setattr__(depends, "dependency", function)  # a frozen dataclass


_swap_dependencies()

import _screening_app  # noqa: E402  (after the swap: it imports the routes)


def app() -> FastAPI:
    return _screening_app.app()

"""Screening orders, one or in batches, and the decision log."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from buyerguard.domain.errors import BuyerGuardError
from buyerguard.services import screening
from buyerguard.services.screening import Screened, ScreeningRequest
from buyerguard.web.api.schemas import (
    RiskOut,
    ScreeningIn,
    ScreeningLogOut,
    ScreeningOut,
    SearchTime,
    screening_lines,
)
from buyerguard.web.dependencies import (
    After,
    CurrentSeller,
    Id,
    Limit,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES, error_fields
from buyerguard.web.group_commit import GroupCommitter
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/screenings", tags=["screenings"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
Decision = Literal["ship", "review", "require_prepayment", "decline"]


ScreeningCommitter = GroupCommitter[ScreeningRequest, Screened | BuyerGuardError]


@router.post("", status_code=201, response_model=ScreeningOut)
async def create_screening(request: Request, body: ScreeningIn, seller: CurrentSeller) -> Response:
    """Ship, review, require prepayment or decline? Decided by your policy, with its reasons; the
    order is recorded, so a later tag on it is order-backed."""
    committer: ScreeningCommitter = request.app.state.screenings
    screened = await committer.submit(
        ScreeningRequest(seller.id, body.order.to_order(), body.buyer.identifiers(), utc_now())
    )
    if isinstance(screened, BuyerGuardError):
        raise screened
    out = ScreeningOut.of(screened.screening, RiskOut.of(screened.risk), screened.errors)
    # Serialised here: the model is built from validated values, so FastAPI need not check it again.
    return Response(out.model_dump_json(), status_code=201, media_type="application/json")


class BatchLineOut(BaseModel):
    line: int
    result: ScreeningOut | None = None
    error: dict[str, Any] | None = Field(
        None, description="As a single screening's error: code, message, and field if known."
    )


class BatchOut(BaseModel):
    results: list[BatchLineOut]


@router.post("/batch", response_model=BatchOut)
async def screen_batch(request: Request, seller: CurrentSeller) -> BatchOut:
    """JSON Lines of screening requests in, one result or error per line out (a bad line does not
    stop the others)."""
    lines = await run_in_threadpool(screening_lines, await request.body())
    now = utc_now()
    valid = [
        ScreeningRequest(seller.id, order, buyer, now)
        for _, order, buyer in lines
        if not isinstance(order, BuyerGuardError)
    ]
    screened = iter(await _in_turns(request.app.state.screenings, valid))
    return BatchOut(
        results=[
            _line_out(line, order if isinstance(order, BuyerGuardError) else next(screened))
            for line, order, _ in lines
        ]
    )


async def _in_turns(
    committer: ScreeningCommitter, requests: list[ScreeningRequest]
) -> list[Screened | BuyerGuardError]:
    """Each request through the group commit, one transaction's worth at a time: single
    screenings arriving meanwhile wait for one of those, never for the whole batch (with a
    transaction of its own, a batch held SQLite's write lock for seconds)."""
    results: list[Screened | BuyerGuardError] = []
    for start in range(0, len(requests), committer.max_batch):
        turn = requests[start : start + committer.max_batch]
        results += await asyncio.gather(*(committer.submit(r) for r in turn))
    return results


def _line_out(line: int, outcome: Screened | BuyerGuardError) -> BatchLineOut:
    if isinstance(outcome, BuyerGuardError):
        return BatchLineOut(line=line, error=error_fields(outcome))
    risk = RiskOut.of(outcome.risk)
    return BatchLineOut(line=line, result=ScreeningOut.of(outcome.screening, risk, outcome.errors))


class ScreeningPage(BaseModel):
    screenings: list[ScreeningLogOut]
    next_after: int | None


@router.get("", response_model=ScreeningPage)
def list_screenings(
    seller: CurrentSeller,
    uow: UnitOfWorkDep,
    decision: Annotated[Decision | None, Query()] = None,
    since: Annotated[SearchTime | None, Query()] = None,
    until: Annotated[SearchTime | None, Query()] = None,
    after: After = None,
    limit: Limit = 100,
) -> ScreeningPage:
    """Your decision log, newest first, filtered by decision and time."""
    found = screening.list_screenings(
        uow,
        seller_id=seller.id,
        action=decision,
        since=since,
        until=until,
        after_id=after,
        limit=limit,
    )
    return ScreeningPage(
        screenings=[ScreeningLogOut.of(s) for s in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.get("/{screening_id}", response_model=ScreeningLogOut)
def get_screening(screening_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep) -> ScreeningLogOut:
    return ScreeningLogOut.of(screening.get_screening(uow, screening_id, seller_id=seller.id))

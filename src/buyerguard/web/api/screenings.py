"""Screening orders, one or in batches, and the decision log."""

from __future__ import annotations

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
    SecretDep,
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
async def screen_batch(
    request: Request, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> BatchOut:
    """JSON Lines of screening requests in, one result or error per line out (a bad line does not
    stop the others)."""
    requests = screening_lines(await request.body())
    items = await run_in_threadpool(
        screening.screen_batch, uow, requests, seller_id=seller.id, secret=secret, now=utc_now()
    )
    return BatchOut(
        results=[
            BatchLineOut(
                line=item.line,
                result=None
                if item.screened is None
                else ScreeningOut.of(
                    item.screened.screening, RiskOut.of(item.screened.risk), item.screened.errors
                ),
                error=None if item.error is None else error_fields(item.error),
            )
            for item in items
        ]
    )


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

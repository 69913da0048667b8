"""Orders that went fine: the positive evidence every complaint is weighed against."""

from __future__ import annotations

from fastapi import APIRouter, Response

from buyerguard.services import orders
from buyerguard.web.api.schemas import CompletedOrderIn, CompletedOrderOut
from buyerguard.web.dependencies import CurrentSeller, SecretDep, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/orders", tags=["orders"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("/completed", status_code=201, response_model=CompletedOrderOut)
def record_completed_order(
    body: CompletedOrderIn,
    seller: CurrentSeller,
    uow: UnitOfWorkDep,
    secret: SecretDep,
    response: Response,
) -> CompletedOrderOut:
    """Record an order completed without a problem; recording it again is a harmless 200."""
    stored = orders.record_completed_order(
        uow,
        body.buyer.identifiers(),
        seller_id=seller.id,
        order_ref=body.order_ref,
        completed_at=body.completed_at,
        secret=secret,
        now=utc_now(),
    )
    if not stored:
        response.status_code = 200
    return CompletedOrderOut(order_ref=body.order_ref, duplicate=not stored)

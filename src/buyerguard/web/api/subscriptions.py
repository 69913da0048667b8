"""Alert subscriptions: a URL that receives signed `buyer.flagged` and `screening.decided` posts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from buyerguard.services import alerts
from buyerguard.web.api.event_schemas import (
    DeliveryOut,
    DeliveryPage,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from buyerguard.web.dependencies import After, CurrentSeller, Id, Limit, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/subscriptions", tags=["alerts"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("", status_code=201, response_model=SubscriptionCreated)
def subscribe(
    body: SubscriptionIn, seller: CurrentSeller, uow: UnitOfWorkDep
) -> SubscriptionCreated:
    """Subscribe an http(s) URL. The signing secret is shown in this response only."""
    created = alerts.subscribe(
        uow,
        seller_id=seller.id,
        url=body.url,
        kinds=body.events,
        secret=body.secret,
        now=utc_now(),
    )
    shown = SubscriptionOut.of(created.subscription)
    return SubscriptionCreated(**shown.model_dump(), secret=created.secret)


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(seller: CurrentSeller, uow: UnitOfWorkDep) -> list[SubscriptionOut]:
    return [SubscriptionOut.of(s) for s in alerts.list_subscriptions(uow, seller_id=seller.id)]


@router.delete("/{subscription_id}", status_code=204)
def unsubscribe(subscription_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep) -> Response:
    """Stop it; deliveries not yet sent are cancelled, and its delivery log stays readable."""
    alerts.unsubscribe(uow, subscription_id, seller_id=seller.id, now=utc_now())
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    subscription_id: Id,
    seller: CurrentSeller,
    uow: UnitOfWorkDep,
    after: After = None,
    limit: Limit = 100,
) -> DeliveryPage:
    """The delivery log, newest first: status, attempts, the last HTTP status and error."""
    found = alerts.list_deliveries(
        uow, subscription_id, seller_id=seller.id, after_id=after, limit=limit
    )
    return DeliveryPage(
        deliveries=[DeliveryOut.of(d) for d in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryOut,
)
def replay(
    subscription_id: Id, delivery_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep
) -> DeliveryOut:
    """Send a delivery again, with the same body and id, at the next `deliver-alerts` run."""
    delivery = alerts.replay_delivery(
        uow, delivery_id, seller_id=seller.id, subscription_id=subscription_id, now=utc_now()
    )
    return DeliveryOut.of(delivery)

"""Platform integrations: connect a provider, and receive its signed webhooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from buyerguard.services import integrations
from buyerguard.web.api.event_schemas import (
    IntegrationIn,
    IntegrationOut,
    IntegrationUpdate,
    WebhookOut,
)
from buyerguard.web.dependencies import CurrentSeller, SecretDep, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/integrations",
    tags=["integrations"],
    responses=ERROR_RESPONSES,
    route_class=JsonRoute,
)

WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
NOT_NEW: dict[int | str, dict[str, Any]] = {
    200: {"model": WebhookOut, "description": "`duplicate` or `ignored`"}
}


@router.post("", status_code=201, response_model=IntegrationOut)
def connect(body: IntegrationIn, seller: CurrentSeller, uow: UnitOfWorkDep) -> IntegrationOut:
    """Connect a provider; point its webhooks at the returned `webhook_path`. The secrets are
    kept to verify webhooks, and never shown again."""
    connection = integrations.connect(
        uow,
        seller_id=seller.id,
        provider=body.provider,
        secrets=body.secrets,
        settings=body.settings(),
        now=utc_now(),
    )
    return IntegrationOut.of(connection)


@router.get("", response_model=list[IntegrationOut])
def list_integrations(seller: CurrentSeller, uow: UnitOfWorkDep) -> list[IntegrationOut]:
    return [IntegrationOut.of(c) for c in integrations.list_connections(uow, seller_id=seller.id)]


@router.put("/{integration_id}", response_model=IntegrationOut)
def update_integration(
    integration_id: str, body: IntegrationUpdate, seller: CurrentSeller, uow: UnitOfWorkDep
) -> IntegrationOut:
    """Replace the secrets and settings: list the new secret beside the old one to rotate."""
    connection = integrations.update_connection(
        uow, integration_id, seller_id=seller.id, secrets=body.secrets, settings=body.settings()
    )
    return IntegrationOut.of(connection)


@router.delete("/{integration_id}", status_code=204)
def disconnect(integration_id: str, seller: CurrentSeller, uow: UnitOfWorkDep) -> Response:
    integrations.disconnect(uow, integration_id, seller_id=seller.id)
    return Response(status_code=204)


@router.post(
    "/{integration_id}/webhook",
    status_code=202,
    response_model=WebhookOut,
    openapi_extra=WEBHOOK_BODY,
    responses=NOT_NEW,
)
async def receive_webhook(
    integration_id: str,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    secret: SecretDep,
    topic: Annotated[
        str | None,
        Query(description="Only for a body that names no topic (a bare Stripe object replayed)."),
    ] = None,
) -> WebhookOut:
    """For the provider: no API key, the provider's signature proves the body (401
    `bad_signature` otherwise, and nothing is stored). 202 when new events were queued; 200
    `duplicate` for a replay; 200 `ignored` for a topic buyerguard does not read."""
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    result = await run_in_threadpool(
        integrations.receive_webhook,
        uow,
        integration_id,
        headers=headers,
        body=body,
        secret=secret,
        now=utc_now(),
        topic=topic,
    )
    if result.status != "accepted":
        response.status_code = 200
    return WebhookOut.of(result)

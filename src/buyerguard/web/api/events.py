"""Order-lifecycle events: accepted into the inbox at once, applied by the `process-events` job."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from buyerguard.domain import json_lines
from buyerguard.domain.errors import BuyerGuardError, InvalidInputError
from buyerguard.services import events
from buyerguard.web.api.event_schemas import (
    EventRulesBody,
    EventsAccepted,
    ImportAccepted,
    StoredEventList,
    StoredEventOut,
)
from buyerguard.web.dependencies import (
    CurrentSeller,
    SecretDep,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.group_commit import GroupCommitter
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/events", tags=["events"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
EventsCommitter = GroupCommitter[events.EventsRequest, events.Accepted | BuyerGuardError]

EVENT_EXAMPLE = (
    '{"event_id": "shop-42:evt-1", "type": "chargeback.created", '
    '"occurred_at": "2026-03-01T14:00:00+02:00", "order_ref": "A-1001", '
    '"buyer": {"email": "buyer@example.com"}, "data": {"reason": "fraudulent"}}'
)
EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [{"type": "object"}, {"type": "array"}]},
                "example": EVENT_EXAMPLE,
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
HISTORY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}, "example": EVENT_EXAMPLE},
            "text/csv": {
                "schema": {"type": "string"},
                "example": "type,occurred_at,order_ref,email,reason\n"
                "cod.refused,2025-01-02T10:00:00Z,A-7,b@example.com,\n",
            },
        },
    }
}
DUPLICATE: dict[int | str, dict[str, Any]] = {
    200: {"model": EventsAccepted, "description": "every event was a duplicate"}
}


async def _text(request: Request, *, csv_format: bool = False) -> str:
    """The body as text. JSON keeps bytes that are not UTF-8 for the line holding them to be
    refused with its number (domain.json_lines); CSV, whose rows may span lines, is refused
    whole."""
    raw = await request.body()
    if not csv_format:
        return raw.decode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("body: not UTF-8 text") from None


def _media_type(request: Request) -> str:
    """`Text/CSV; charset=utf-8` is `text/csv`: media types ignore case, and parameters follow."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


@router.post(
    "",
    status_code=202,
    response_model=EventsAccepted,
    openapi_extra=EVENTS_BODY,
    responses=DUPLICATE,
)
async def post_events(
    request: Request, response: Response, seller: CurrentSeller
) -> EventsAccepted:
    """One event, a JSON array of up to 1000, or JSON Lines. 202 once stored (committed);
    200 `duplicate` when every event id was seen before. See docs/events.md."""
    committer: EventsCommitter = request.app.state.events
    # Requests that arrive together are parsed and stored by one writer thread in one transaction.
    result = await committer.submit(
        events.EventsRequest(seller.id, await _text(request), utc_now())
    )
    if isinstance(result, BuyerGuardError):
        raise result
    if not result.new:
        response.status_code = 200
    return EventsAccepted.of(result)


@router.post("/import", status_code=202, response_model=ImportAccepted, openapi_extra=HISTORY_BODY)
async def import_history(
    request: Request, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> ImportAccepted:
    """Past orders and outcomes as events: JSON Lines, or CSV (`Content-Type: text/csv`) with
    the columns in docs/events.md. All lines or none; the same rules apply once processed."""
    csv_format = _media_type(request) == "text/csv"
    text = await _text(request, csv_format=csv_format)
    result = await run_in_threadpool(
        events.import_event_history,
        uow,
        # CSV keeps its line endings (a quoted cell may span lines); JSON Lines end at \n only.
        io.StringIO(text, newline="") if csv_format else json_lines.lines(text),
        csv_format=csv_format,
        seller_id=seller.id,
        secret=secret,
        now=utc_now(),
    )
    return ImportAccepted(accepted=result.new, duplicates=result.duplicates)


@router.get("", response_model=StoredEventList)
def list_order_events(
    seller: CurrentSeller,
    uow: UnitOfWorkDep,
    order_ref: Annotated[str, Query(description="Your order reference.")],
) -> StoredEventList:
    """The events stored for one of your orders, oldest first, and whether they were processed."""
    found = events.list_order_events(uow, order_ref, seller_id=seller.id)
    return StoredEventList(events=[StoredEventOut.of(stored) for stored in found])


@router.get("/rules", response_model=EventRulesBody)
def get_rules(seller: CurrentSeller, uow: UnitOfWorkDep) -> EventRulesBody:
    """Your automatic-tagging settings (the defaults until you set yours)."""
    return EventRulesBody.of(events.get_event_rules(uow, seller_id=seller.id))


@router.put("/rules", response_model=EventRulesBody)
def put_rules(body: EventRulesBody, seller: CurrentSeller, uow: UnitOfWorkDep) -> EventRulesBody:
    """Replace your settings; orders are judged by them from their next event on."""
    saved = events.save_event_rules(uow, body.to_rules(), seller_id=seller.id, now=utc_now())
    return EventRulesBody.of(saved)

"""Bulk import of tags and completed orders as JSON Lines."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from buyerguard.domain import json_lines
from buyerguard.services import imports
from buyerguard.web.api.schemas import ImportOut
from buyerguard.web.dependencies import CurrentSeller, SecretDep, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/imports", tags=["imports"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

JSONL_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"type": "tag", "buyer": {"email": "b@example.com"}, '
                '"reason": "unpaid_order"}\n',
            }
        },
    }
}


@router.post("", status_code=201, response_model=ImportOut, openapi_extra=JSONL_BODY)
async def import_records(
    request: Request, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> ImportOut:
    """One JSON object a line: `{"type": "tag", "buyer", "reason", "note"?, "order_ref"?, "at"?}` or
    `{"type": "completed_order", "buyer", "order_ref", "at"?}`; an admin key may add `"seller"`.
    All or nothing: one bad line imports nothing and every bad line is listed with its number."""
    # Bytes that are not UTF-8 are left in the text for their line to be reported with its number.
    text = (await request.body()).decode("utf-8", "surrogateescape")
    result = await _run(uow, text, seller, secret)
    return ImportOut(
        tags=result.tags, completed_orders=result.completed_orders, duplicates=result.duplicates
    )


async def _run(
    uow: UnitOfWorkDep, text: str, seller: CurrentSeller, secret: bytes
) -> imports.ImportResult:
    # The import is synchronous database work: keep it off the event loop.
    return await run_in_threadpool(
        imports.import_lines,
        uow,
        json_lines.lines(text),
        importer=seller,
        secret=secret,
        now=utc_now(),
    )

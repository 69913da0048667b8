"""Tags: a seller's own complaints about buyers."""

from __future__ import annotations

from fastapi import APIRouter, Response

from buyerguard.domain.tags import NewTag
from buyerguard.services import tags
from buyerguard.web.api.schemas import TagCreated, TagIn, TagOut, TagPage
from buyerguard.web.dependencies import (
    After,
    CurrentSeller,
    Id,
    Limit,
    SecretDep,
    UnitOfWorkDep,
    utc_now,
)
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/tags", tags=["tags"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("", status_code=201, response_model=TagCreated)
def create_tag(
    body: TagIn, seller: CurrentSeller, uow: UnitOfWorkDep, secret: SecretDep
) -> TagCreated:
    """Tag a buyer for a reason. One active tag per buyer and reason; the note stays yours."""
    new = NewTag(seller_id=seller.id, reason=body.reason, note=body.note, order_ref=body.order_ref)
    tag_id = tags.add_tag(uow, body.buyer.identifiers(), new, secret=secret, now=utc_now())
    return TagCreated(id=tag_id)


@router.get("", response_model=TagPage)
def list_tags(
    seller: CurrentSeller,
    uow: UnitOfWorkDep,
    after: After = None,
    limit: Limit = 100,
) -> TagPage:
    """Your own tags, newest first."""
    found = tags.list_tags(uow, seller_id=seller.id, after_id=after, limit=limit, now=utc_now())
    return TagPage(
        tags=[TagOut.of(tag) for tag in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.get("/{tag_id}", response_model=TagOut)
def get_tag(tag_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep) -> TagOut:
    return TagOut.of(tags.get_tag(uow, tag_id, seller_id=seller.id, now=utc_now()))


@router.delete("/{tag_id}", status_code=204)
def retract_tag(tag_id: Id, seller: CurrentSeller, uow: UnitOfWorkDep) -> Response:
    """Retract one of your tags; it stops counting at once."""
    tags.retract_tag(uow, tag_id, seller_id=seller.id, now=utc_now())
    return Response(status_code=204)

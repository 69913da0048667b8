"""Tags: one seller's complaint about one buyer for one reason, and the rules they live by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.text import check_text, validate_note

MAX_ORDER_REF_LENGTH = 200


class TagStatus(StrEnum):
    ACTIVE = "active"
    RETRACTED = "retracted"  # withdrawn by its author, or by a later event
    EXPIRED = "expired"
    REMOVED = "removed"  # removed by moderation or merged away as a duplicate


class TagSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    EVENT = "event"


@dataclass(frozen=True)
class NewTag:
    """What a seller asks to record; validated on construction."""

    seller_id: int
    reason: str
    note: str = ""
    order_ref: str | None = None
    source: TagSource = TagSource.MANUAL
    created_at: datetime | None = None  # when it happened; defaults to now

    def __post_init__(self) -> None:
        get_reason(self.reason)
        validate_note(self.note)
        validate_order_ref(self.order_ref)


@dataclass(frozen=True)
class Tag:
    id: int
    seller_id: int
    buyer_id: int
    reason: str
    note: str
    order_ref: str | None
    source: TagSource
    status: TagStatus
    order_backed: bool
    created_at: datetime
    expires_at: datetime
    # The order whose events confirm this manual or imported tag (docs/events.md, "Events confirm
    # your tags"): the tag then carries the event's backing, as the automatic tag would.
    confirmed_order_ref: str | None = None
    confirmed_at: datetime | None = None  # when that confirming fact happened

    @property
    def active(self) -> bool:
        return self.status is TagStatus.ACTIVE

    def active_at(self, now: datetime) -> bool:
        """Whether the tag counts at `now`: active, and not past its expiry."""
        return self.active and not past_expiry(self.expires_at, now=now)

    def as_of(self, now: datetime) -> Tag:
        """The tag as it stands at `now`: an active tag past its expiry is expired."""
        if self.active and past_expiry(self.expires_at, now=now):
            return replace(self, status=TagStatus.EXPIRED)
        return self

    @property
    def event_backed(self) -> bool:
        return self.source is TagSource.EVENT or self.confirmed_order_ref is not None


def evidence_rank(tag: Tag) -> tuple[bool, bool]:
    """Sorts the tag with the strongest evidence first, when two records of one buyer turn out to
    carry the same seller's active tag for the same reason and only one may stay: an order-backed
    tag (about a real trade) before one that is not, then one made from an event (a third party's
    fact) before a seller's bare claim. Between equals the one given first stays, as against a
    duplicate given later."""
    return (not tag.order_backed, tag.source is not TagSource.EVENT)


def one_per_seller_and_reason(tags: Iterable[Tag]) -> list[Tag]:
    """The tags that stay when the records carrying them are merged, given in the order they were
    given: of one seller's tags for one reason, the first of those with the strongest evidence."""
    kept: dict[tuple[int, str], Tag] = {}
    for tag in tags:
        key = (tag.seller_id, tag.reason)
        if key not in kept or evidence_rank(tag) < evidence_rank(kept[key]):
            kept[key] = tag
    return list(kept.values())


def validate_order_ref(order_ref: str | None) -> None:
    if order_ref is None:
        return
    if not order_ref.strip():
        raise InvalidInputError("order_ref: must not be blank")
    if len(order_ref.strip()) > MAX_ORDER_REF_LENGTH:
        raise InvalidInputError(f"order_ref: at most {MAX_ORDER_REF_LENGTH} characters")
    check_text("order_ref", order_ref)


def expiry_for(reason: str, created_at: datetime) -> datetime:
    return created_at + get_reason(reason).expires_after


def past_expiry(expires_at: datetime, *, now: datetime) -> bool:
    """A tag stops counting the moment it expires, whether or not the expire-old-tags job has
    marked it `expired` yet: every read judges an active tag by its `expires_at` against `now`."""
    return expires_at <= now


# A tag as a seller reported it: (seller id, buyer id, reason, when it happened). Two reports with
# the same four are one report given twice, whatever became of the first.
DatedTagKey = tuple[int, int, str, datetime]


class TagRecord(NamedTuple):
    """A tag to insert; the storage assigns its id (a named tuple: an import makes one a tag)."""

    seller_id: int
    buyer_id: int
    reason: str
    note: str
    order_ref: str | None
    source: TagSource
    status: TagStatus
    order_backed: bool
    created_at: datetime
    expires_at: datetime


class Confirmation(NamedTuple):
    """Events' backing given to one of a seller's own tags, or taken back (`order_ref` None).

    A confirmed tag is dated and expires as the automatic tag would (`confirmed_at`, the fact's
    time); one that loses its confirmation expires again by its own date."""

    tag_id: int
    order_ref: str | None
    confirmed_at: datetime | None
    expires_at: datetime


class OwnReason(NamedTuple):
    """One of a seller's own active tags on a buyer, as a screening reads it."""

    reason: str
    order_ref: str | None
    order_backed: bool
    expires_at: datetime

    def active_at(self, now: datetime) -> bool:
        return not past_expiry(self.expires_at, now=now)

"""A buyer record as an operator reviews it, before approving or rejecting a claim that it and
another are one person, or undoing a merge.

The identifiers are kept only as keyed hashes, so an operator cannot look a record up by email;
it is read by id (the ids claims and merges name). An operator sees which sellers reported it
and the kinds of identifiers it holds, never an identifier, and never a seller's note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.profiles import Profile


@dataclass(frozen=True)
class ReportedTag:
    seller: str
    reason: str
    order_backed: bool
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class BuyerRecord:
    asked_id: int
    buyer_id: int  # the record that holds it now: `asked_id`, or the one it was merged into
    created_at: datetime
    identifiers: dict[str, int]  # how many identifiers of each kind
    tags: list[ReportedTag]  # the active ones, in the order they were given
    profile: Profile

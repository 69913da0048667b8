"""Sellers' own lists of buyers: allow and block override the community, others feed policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.text import validate_note

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class ListEntry:
    id: int
    buyer_id: int
    list_name: str
    note: str
    expires_at: datetime | None
    created_at: datetime


def list_name_problem(name: str) -> str | None:
    """What is wrong with `name` as a list's name, or None: the one rule for the lists' routes and
    for the names policies read, so that a policy cannot name a list that cannot exist."""
    if _NAME.fullmatch(name):
        return None
    return "1 to 32 lower-case letters, digits, '_' or '-', starting with a letter"


def validate_list_name(name: str) -> str:
    """Lower-case names such as `allow`, `block`, `watch` or `vip`, usable as `list("vip")`."""
    problem = list_name_problem(name)
    if problem is not None:
        raise InvalidInputError(f"list name: {problem}")
    return name


def validate_entry(note: str, expires_at: datetime | None, *, now: datetime) -> None:
    validate_note(note)
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("expires_at: must be in the future")


def combine_entries(kept: ListEntry, other: ListEntry) -> ListEntry:
    """One entry for two, when one seller listed two records of one buyer on the same list and
    the records turn out to be one person: `kept`'s entry, listing the buyer for as long as either
    did (no expiry beats any, else the later), since the earlier of the two, with both notes."""
    first, second = sorted((kept, other), key=lambda entry: (entry.created_at, entry.id))
    notes = [note for note in dict.fromkeys((first.note, second.note)) if note]
    expires_at = (
        None
        if kept.expires_at is None or other.expires_at is None
        else max(kept.expires_at, other.expires_at)
    )
    return ListEntry(
        kept.id, kept.buyer_id, kept.list_name, "\n".join(notes), expires_at, first.created_at
    )

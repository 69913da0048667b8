"""Sellers' own lists of buyers: allow and block override the community, others feed policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.text import check_text

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class ListEntry:
    id: int
    buyer_id: int
    list_name: str
    note: str
    expires_at: datetime | None
    created_at: datetime


def validate_list_name(name: str) -> str:
    """Lower-case names such as `allow`, `block`, `watch` or `vip`, usable as `list("vip")`."""
    if not _NAME.fullmatch(name):
        raise InvalidInputError(
            "list name: 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter"
        )
    return name


def validate_entry(note: str, expires_at: datetime | None, *, now: datetime) -> None:
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInputError(f"note: at most {MAX_NOTE_LENGTH} characters")
    check_text("note", note, free_text=True)
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("expires_at: must be in the future")

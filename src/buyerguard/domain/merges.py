"""Merges of two buyer records, as operators see them, and when one may be undone.

A merge folds one record into another for good as far as sellers can tell; an operator who finds
it wrong (two colluding sellers' word, a mistaken approval) undoes it. The undo moves back what
the merge moved and restores what it changed; what reached the kept record after the merge stays
there, since nothing tells which of the two people it was about. Merges are undone newest first
along a chain: a record folded into another since must be taken out of it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import MergeCoveredError, MergeUndoneError


@dataclass(frozen=True)
class Merge:
    id: int
    buyer_id: int  # the record kept
    merged_id: int  # the record folded into it
    merged_at: datetime
    undone_at: datetime | None
    seller: str | None = None  # whose word made it; None: an operator's approval
    claimed_by: tuple[str, ...] = ()  # the sellers whose earlier claims it settled


def check_undoable(merge: Merge, *, kept_into: int | None, later_id: int | None) -> None:
    """Refuse to undo a merge undone already, or one whose kept record was merged since into
    `kept_into` (by merge `later_id`; None for a merge made before merges were kept)."""
    if merge.undone_at is not None:
        raise MergeUndoneError(f"merge {merge.id} was undone already")
    if kept_into is not None:
        by = f", by merge {later_id}: undo that one first" if later_id else ", for good"
        raise MergeCoveredError(
            f"buyer {merge.buyer_id} was merged into buyer {kept_into} since{by}"
        )

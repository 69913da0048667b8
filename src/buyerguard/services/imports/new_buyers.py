"""The buyers an import created, whose every active tag the import itself stored.

Their aggregates and duplicate checks need no reads: they are kept here as tags are stored and
written once, rather than recomputed from storage after every chunk. A buyer stops being tracked
when something the import does not see tag by tag changes it (a merge, a completed order); from
then on its aggregates are recomputed from storage like any pre-existing buyer's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from buyerguard.domain.profiles import TagFacts, summarise
from buyerguard.domain.tags import TagSource
from buyerguard.services.unit_of_work import UnitOfWork

TagKey = tuple[int, int, str]  # (seller id, buyer id, reason)
Fact = tuple[int, str, bool, datetime]  # an imported tag's seller, reason, backing, time


class NewBuyers:
    def __init__(self) -> None:
        # Tuples of plain values, not TagFacts (whose source is an enum): the garbage collector
        # stops tracking them, and an import keeps hundreds of thousands.
        self._tags: dict[int, tuple[Fact, ...]] = {}
        self._active: set[TagKey] = set()
        self._pending: set[int] = set()  # aggregates not written since their last tag
        self._written: set[int] = set()  # aggregates written at least once

    def __contains__(self, buyer_id: int) -> bool:
        return buyer_id in self._tags

    def add(self, buyer_ids: Iterable[int]) -> None:
        for buyer_id in buyer_ids:
            self._tags[buyer_id] = ()

    def forget(self, buyer_ids: Iterable[int]) -> None:
        """Stop tracking these buyers; whoever changed them refreshes their aggregates."""
        for buyer_id in buyer_ids:
            for seller_id, reason, _, _ in self._tags.pop(buyer_id, ()):
                self._active.discard((seller_id, buyer_id, reason))
            self._pending.discard(buyer_id)
            self._written.discard(buyer_id)

    def active(self, key: TagKey) -> bool:
        return key in self._active

    def record(
        self, buyer_id: int, seller_id: int, reason: str, *, order_backed: bool, at: datetime
    ) -> None:
        """An active imported tag stored for a tracked buyer."""
        self._tags[buyer_id] += ((seller_id, reason, order_backed, at),)
        self._active.add((seller_id, buyer_id, reason))
        self._pending.add(buyer_id)

    def write_aggregates(self, uow: UnitOfWork) -> None:
        """Write the aggregates of the buyers with tags stored since the last call."""
        if not self._pending:
            return
        buyers = sorted(self._pending)
        sellers = {tag[0] for buyer in buyers for tag in self._tags[buyer]}
        trust = uow.sellers.trust_for(sellers)
        stats = {
            buyer: summarise([_facts(*tag) for tag in self._tags[buyer]], (), trust)
            for buyer in buyers
        }
        uow.stats.add({b: s for b, s in stats.items() if b not in self._written})
        uow.stats.replace({b: s for b, s in stats.items() if b in self._written})
        self._written.update(buyers)
        self._pending.clear()


def _facts(seller_id: int, reason: str, order_backed: bool, at: datetime) -> TagFacts:
    return TagFacts(seller_id, reason, order_backed, TagSource.IMPORT, at)

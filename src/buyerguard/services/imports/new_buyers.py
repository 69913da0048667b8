"""The buyers an import created, whose every active tag the import itself stored.

Their aggregates and duplicate checks need no reads: they are kept here as tags are stored and
written once, rather than recomputed from storage after every chunk. A buyer stops being tracked
when something the import does not see tag by tag changes it (a merge, a completed order); from
then on its aggregates are recomputed from storage like any pre-existing buyer's.
"""

from __future__ import annotations

from collections.abc import Iterable, KeysView
from datetime import datetime

from buyerguard.domain.profiles import TagFacts, summarise
from buyerguard.domain.tags import DatedTagKey
from buyerguard.services.unit_of_work import UnitOfWork

TagKey = tuple[int, int, str]  # (seller id, buyer id, reason)


class NewBuyers:
    def __init__(self) -> None:
        self._tags: dict[int, list[TagFacts]] = {}
        self._active: set[TagKey] = set()
        self._expired: dict[int, set[DatedTagKey]] = {}  # tags stored already expired, by buyer
        self._pending: set[int] = set()  # aggregates not written since their last tag
        self._written: set[int] = set()  # aggregates written at least once

    def __contains__(self, buyer_id: int) -> bool:
        return buyer_id in self._tags

    def ids(self) -> KeysView[int]:
        """The buyers tracked, as they change: a test of membership without a Python call."""
        return self._tags.keys()

    def add(self, buyer_ids: Iterable[int]) -> None:
        for buyer_id in buyer_ids:
            self._tags[buyer_id] = []

    def forget(self, buyer_ids: Iterable[int]) -> None:
        """Stop tracking these buyers; whoever changed them refreshes their aggregates."""
        for buyer_id in buyer_ids:
            for tag in self._tags.pop(buyer_id, ()):
                self._active.discard((tag.seller_id, buyer_id, tag.reason))
            self._expired.pop(buyer_id, None)
            self._pending.discard(buyer_id)
            self._written.discard(buyer_id)

    def active(self, keys: Iterable[TagKey]) -> set[TagKey]:
        """Which of these keys have an active tag of a tracked buyer."""
        return self._active.intersection(keys)

    def dated(self, keys: Iterable[DatedTagKey]) -> set[DatedTagKey]:
        """Which of these keys of tracked buyers were stored already expired (an active one is
        found by `active`)."""
        expired = self._expired
        return {key for key in keys if key in expired.get(key[1], ())}

    def record(self, tags: Iterable[tuple[int, int, str, bool, datetime, datetime, bool]]) -> None:
        """Imported tags stored for tracked buyers: (seller, buyer, reason, backed, at, expires_at,
        active)."""
        all_tags, active, pending = self._tags, self._active, self._pending
        for seller_id, buyer_id, reason, order_backed, at, expires_at, is_active in tags:
            if not is_active:
                self._expired.setdefault(buyer_id, set()).add((seller_id, buyer_id, reason, at))
                continue
            facts = TagFacts(seller_id, reason, order_backed, False, at, expires_at)
            all_tags[buyer_id].append(facts)
            active.add((seller_id, buyer_id, reason))
            pending.add(buyer_id)

    def write_aggregates(self, uow: UnitOfWork, *, now: datetime) -> None:
        """Write the aggregates of the buyers with tags stored since the last call."""
        if not self._pending:
            return
        buyers = sorted(self._pending)
        sellers = {tag[0] for buyer in buyers for tag in self._tags[buyer]}
        trust = uow.sellers.trust_for(sellers)
        tags = self._tags
        stats = {buyer: summarise(tags[buyer], (), trust, now=now) for buyer in buyers}
        uow.stats.add({b: s for b, s in stats.items() if b not in self._written})
        uow.stats.replace({b: s for b, s in stats.items() if b in self._written})
        self._written.update(buyers)
        self._pending.clear()

"""Storing the records of an import, chunk by chunk, in the caller's transaction.

The same steps as adding tags and completed orders one by one (services.tags, services.orders),
done for a chunk at once and with what the import already knows kept in memory: the sellers it
named, the identifiers it linked, and the buyers it created (see new_buyers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.alerts import BUYER_FLAGGED
from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.imports import ImportRecord
from buyerguard.domain.sellers import Role, Seller, seller_name_key, validate_seller_name
from buyerguard.domain.tags import DatedTagKey, TagRecord, TagSource, TagStatus, expiry_for
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.services.alerts import TagChange, alert_buyer_changes, risk_levels
from buyerguard.services.buyers import link_buyers, refresh_stats
from buyerguard.services.imports.new_buyers import NewBuyers, TagKey
from buyerguard.services.orders import PendingOrder, StoredOrders, store_completed_orders
from buyerguard.services.unit_of_work import UnitOfWork


@dataclass
class ImportResult:
    tags: int = 0
    completed_orders: int = 0
    duplicates: int = 0


class ImportStore:
    """What one import has stored so far; `store` a chunk at a time, then `finish`."""

    def __init__(self, uow: UnitOfWork, importer: Seller, *, now: datetime) -> None:
        self.uow = uow
        self.importer = importer
        self.now = now
        self.result = ImportResult()
        self._sellers: dict[str | None, int] = {}
        self._linked: dict[str, int] = {}  # digests this import linked: the buyer linked to
        self._folded: dict[int, int] = {}  # buyers merged by this import: the one kept
        self._created: set[int] = set()  # buyers this import made
        self._new = NewBuyers()

    def store(self, records: Sequence[ImportRecord]) -> None:
        uow, now = self.uow, self.now
        sellers = self._seller_ids(records)
        buyers = self._buyer_ids(records, sellers)
        orders = [
            PendingOrder(s, b, r.order_ref or "", r.at)
            for r, s, b in zip(records, sellers, buyers, strict=True)
            if r.type == "completed_order"
        ]
        done = store_completed_orders(uow, orders, now=now) if orders else StoredOrders([], {})
        stored_orders = done.stored
        if done.merged:
            self._fold(done.merged)
            buyers = [self._buyer_of(b) for b in buyers]
        # Their aggregates were just refreshed from storage, completed orders and all.
        self._new.forget(o.buyer_id for o, ok in zip(orders, stored_orders, strict=True) if ok)
        tags = [
            (s, b, r) for r, s, b in zip(records, sellers, buyers, strict=True) if r.type == "tag"
        ]
        if uow.subscriptions.subscribers(BUYER_FLAGGED):
            self._new.write_aggregates(uow, now=now)  # the risk before the change reads them
        subscribers, before = risk_levels(uow, {b for _, b, _ in tags}, now=now)
        stored_tags = self._store_tags(tags)
        if subscribers:
            self._new.write_aggregates(uow, now=now)  # and the risk after
            changes = [
                TagChange(b, s, r.reason or "")
                for (s, b, r), stored in zip(tags, stored_tags, strict=True)
                if stored
            ]
            alert_buyer_changes(uow, changes, subscribers=subscribers, before=before, now=now)
        self.result.completed_orders += sum(stored_orders)
        self.result.tags += sum(stored_tags)
        self.result.duplicates += stored_orders.count(False) + stored_tags.count(False)

    def finish(self) -> ImportResult:
        self._new.write_aggregates(self.uow, now=self.now)
        return self.result

    def _seller_ids(self, records: Sequence[ImportRecord]) -> list[int]:
        importer, cache = self.importer, self._sellers
        missing = [
            name
            for name in dict.fromkeys(r.seller for r in records)
            if name is not None and name != importer.name and name not in cache
        ]
        if missing:
            self._find_or_add_sellers(missing)
        ids = {**cache, None: importer.id, importer.name: importer.id}
        return [ids[r.seller] for r in records]

    def _find_or_add_sellers(self, names: list[str]) -> None:
        """A name is looked up cleaned, as `seller create` stores it, and added so when missing:
        " Shop", "Shop" and "shop" are one seller, named as the first line naming it spells it."""
        cleaned = [validate_seller_name(name) for name in names]
        stored = self.uow.sellers.ids_by_name(cleaned)
        missing: dict[str, str] = {}
        for clean in cleaned:
            if clean not in stored:
                missing.setdefault(seller_name_key(clean), clean)
        ids = self.uow.sellers.add_many(
            list(missing.values()), role=Role.SELLER, trust=NEW_SELLER_TRUST, now=self.now
        )
        added = dict(zip(missing, ids, strict=True))
        for name, clean in zip(names, cleaned, strict=True):
            found = stored.get(clean)
            self._sellers[name] = added[seller_name_key(clean)] if found is None else found

    def _buyer_ids(self, records: Sequence[ImportRecord], sellers: Sequence[int]) -> list[int]:
        """As resolve_buyers; identifiers this import linked are known without a read (no other
        transaction can have moved them: they are not committed)."""
        rows = [record.buyer for record in records]
        linked = self._linked
        digests = {h.digest for row in rows for h in row}
        known = {d: self._buyer_of(linked[d]) for d in digests if d in linked}
        known.update(self.uow.buyers.find_buyers(d for d in digests if d not in linked))
        # A row whose identifiers all belong to one buyer is that buyer's, or the one another row
        # merges it into: only the other rows need grouping.
        found = [_one_buyer(row, known) for row in rows]
        grouped = [index for index, buyer in enumerate(found) if buyer is None]
        resolution = link_buyers(
            self.uow,
            [rows[i] for i in grouped],
            known,
            sellers=[sellers[i] for i in grouped],
            now=self.now,
            fresh=self._created,
        )
        self._created.update(resolution.created)
        self._new.add(resolution.created)
        for keep, others in resolution.merged.items():
            self._new.forget((keep, *others))
            self._folded.update((other, keep) for other in others)
        linked.update((h.digest, buyer) for buyer, h in resolution.linked)
        resolved = dict(zip(grouped, resolution.buyer_ids, strict=True))
        return [self._buyer_of(resolved[i] if b is None else b) for i, b in enumerate(found)]

    def _fold(self, merged: Mapping[int, int]) -> None:
        """Buyers merged as the buyer of an order and another named on it: neither is tracked."""
        self._new.forget((*merged, *merged.values()))
        self._folded.update(merged)

    def _buyer_of(self, buyer: int) -> int:
        """The buyer itself, or the one this import merged it into."""
        while buyer in self._folded:
            buyer = self._folded[buyer]
        return buyer

    def _store_tags(self, tags: Sequence[tuple[int, int, ImportRecord]]) -> list[bool]:
        """As services.tags.store_tags: False marks a duplicate of an active tag (or of an earlier
        line of the chunk), and also of any tag stored with the same time, whatever became of it:
        importing a file again neither doubles its history nor revives what was retracted."""
        uow, now, new = self.uow, self.now, self._new
        new_ids = new.ids()
        # As in store_tags: a tag past its expiry is marked expired before it could stand in a
        # line's way. The buyers this import created have none.
        lapsed = uow.tags.expire(now=now, buyer_ids={b for _, b, _ in tags if b not in new_ids})
        keys: list[TagKey] = [(s, b, r.reason or "") for s, b, r in tags]
        taken, reported = self._stored(keys, tags)
        orders = uow.orders.existing((s, r.order_ref) for s, _, r in tags if r.order_ref)
        rows: list[TagRecord] = []
        stored: list[bool] = []
        tracked = []  # active tags of the buyers this import created
        source, active, expired = TagSource.IMPORT, TagStatus.ACTIVE, TagStatus.EXPIRED
        for key, (seller, buyer, record) in zip(keys, tags, strict=True):
            if key in taken or (record.at is not None and (*key, record.at) in reported):
                stored.append(False)
                continue
            stored.append(True)
            reason = key[2]
            at = record.at or now
            reported.add((*key, at))
            expires_at = expiry_for(reason, at)
            ref = record.order_ref
            order = orders.get((seller, ref)) if ref else None
            backed = order is not None and order.buyer_id == buyer
            status = active if expires_at > now else expired
            if status is active:  # an expired tag is history: it duplicates nothing
                taken.add(key)
            rows.append(
                TagRecord(
                    seller, buyer, reason, record.note, ref, source, status, backed, at, expires_at
                )
            )
            if buyer in new_ids:
                tracked.append((seller, buyer, reason, backed, at, expires_at, status is active))
        new.record(tracked)
        uow.tags.add_many(rows)
        touched = {row.buyer_id for row in rows if row.buyer_id not in new_ids}
        refresh_stats(uow, touched | lapsed, now=now)
        return stored

    def _stored(
        self, keys: Sequence[TagKey], tags: Sequence[tuple[int, int, ImportRecord]]
    ) -> tuple[set[TagKey], set[DatedTagKey]]:
        """Which keys have an active tag, and which lines that say when they happened were stored
        with that time: read for the buyers this import did not create, known for the others."""
        new = self._new
        dated = [(*k, r.at) for k, (_, _, r) in zip(keys, tags, strict=True) if r.at is not None]
        taken, reported = self.uow.tags.stored_keys(
            (k for k in keys if k[1] not in new), (k for k in dated if k[1] not in new)
        )
        taken.update(new.active(keys))
        reported.update(new.dated(dated))
        return taken, reported


def _one_buyer(row: Sequence[HashedIdentifier], known: Mapping[str, int]) -> int | None:
    first = known.get(row[0].digest)
    if first is None or any(known.get(h.digest) != first for h in row[1:]):
        return None
    return first

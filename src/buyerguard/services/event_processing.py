"""The `process-events` job: apply the event rules to every order the inbox touched.

Each batch is one transaction: the events are marked processed together with the tags, orders and
alerts they caused, so a crash mid-way loses nothing and repeats nothing. Each order is judged on
its whole stored history, so events may arrive in any order and a replay changes nothing. Batches
are short (tens of milliseconds), so that other writers never wait long for SQLite's lock.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.automatic_tags import PairPlan, diff_tags, plan_pair
from buyerguard.domain.events import Event, EventRules
from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.inbox import PendingEvent
from buyerguard.domain.orders import OrderRecord
from buyerguard.domain.tags import Confirmation, NewTag, Tag, TagSource
from buyerguard.services.alerts import TagChange, alert_buyer_changes, risk_levels
from buyerguard.services.buyers import refresh_stats, resolve_buyers
from buyerguard.services.collector import COLLECTOR
from buyerguard.services.links import merge_if_agreed
from buyerguard.services.tags import PendingTag, store_tags
from buyerguard.services.unit_of_work import OrderKey, UnitOfWork

BATCH_SIZE = 2000
# On SQLite a batch holds the one write lock from its first write to its commit, and every other
# writer (`POST /v1/events`, a screening) waits for it: batches are sized to take about this long,
# from FIRST_BATCH events on, and never fewer than MIN_BATCH (each batch has a fixed cost of
# queries, so tiny ones would slow the job without shortening the wait much).
BATCH_SECONDS = 0.05
FIRST_BATCH = 100
MIN_BATCH = 50
# Orders whose history one run keeps in memory (a few kilobytes each), so that an order touched
# by several batches is read from the database once.
CACHED_ORDERS = 200_000


@dataclass
class ProcessReport:
    events: int = 0
    orders: int = 0
    tags_created: int = 0
    tags_withdrawn: int = 0
    tags_confirmed: int = 0  # the seller's own tags the events now back
    confirmations_withdrawn: int = 0
    orders_completed: int = 0
    orders_reopened: int = 0
    alerts: int = 0
    batches: int = 0


def process_events(
    uow: UnitOfWork,
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    batch_seconds: float = BATCH_SECONDS,
    max_batches: int = 1000,
    clock: Callable[[], float] = time.perf_counter,
) -> ProcessReport:
    """Process the inbox, oldest first, and the orders whose clean-order window has closed, a
    batch a transaction, until both are empty (or `max_batches` ran). A batch holds at most
    `batch_size` events, and as many as take about `batch_seconds` by `clock`; between batches
    other writers may go first (UnitOfWork.give_way)."""
    report = ProcessReport()
    histories = Histories()
    size = min(batch_size, FIRST_BATCH)
    for _ in range(max_batches):
        started = clock()
        # No collection inside a batch's transaction: a full pass over the run's cached histories
        # would hold the write lock all that time; what is due runs after the commit.
        with uow, COLLECTOR.paused():
            pending = uow.events.pending(size)
            rechecks = uow.events.due_rechecks(now=now, limit=size)
            if not pending and not rechecks:
                break
            _process_batch(uow, pending, rechecks, report, histories, now=now)
            uow.commit()
            took = clock() - started
        report.batches += 1
        size = _next_size(size, took, target=batch_seconds, largest=batch_size)
        uow.give_way()
    return report


def _next_size(size: int, took: float, *, target: float, largest: int) -> int:
    """The next batch's size, scaled by how far this one's time was from `target`: at most
    doubled or halved at once, so that one slow batch (the machine busy elsewhere) costs little."""
    scale = min(2.0, max(0.5, target / took)) if took > 0 else 2.0
    return min(largest, max(MIN_BATCH, round(size * scale)))


class Histories:
    """Order histories read during one run, kept up to date with each batch's events.

    Events are only ever added, and an event added during the run is read in a later batch as
    pending: appending the pending events of each batch keeps every kept history complete. The
    oldest are dropped beyond CACHED_ORDERS.
    """

    def __init__(self) -> None:
        self._kept: OrderedDict[OrderKey, dict[str, Event]] = OrderedDict()

    def for_orders(
        self, uow: UnitOfWork, orders: Iterable[OrderKey], pending: Sequence[PendingEvent]
    ) -> dict[OrderKey, list[Event]]:
        wanted = set(orders)
        for item in pending:
            kept = self._kept.get((item.seller_id, item.order_ref))
            if kept is not None:
                kept.setdefault(item.event.event_id, item.event)
        missing = wanted - self._kept.keys()
        loaded = uow.events.history(missing)
        for key in missing:
            self._kept[key] = {e.event_id: e for e in loaded.get(key, [])}
        for key in wanted:
            self._kept.move_to_end(key)
        while len(self._kept) > CACHED_ORDERS:
            self._kept.popitem(last=False)
        return {key: list(self._kept[key].values()) for key in wanted}


def _process_batch(
    uow: UnitOfWork,
    pending: Sequence[PendingEvent],
    rechecks: Sequence[OrderKey],
    report: ProcessReport,
    histories: Histories,
    *,
    now: datetime,
) -> None:
    touched = {(e.seller_id, e.order_ref) for e in pending} | set(rechecks)
    buyers = _order_buyers(uow, pending, touched, now=now)
    pairs = set(buyers.values())
    orders = uow.event_orders.orders_of_pairs(pairs)
    history = histories.for_orders(
        uow, ((s, ref) for (s, _), refs in orders.items() for ref in refs), pending
    )
    rules = uow.event_rules.get_many({seller for seller, _ in pairs})
    retracted = uow.event_orders.seller_retractions(pairs)
    by_seller: dict[int, dict[str, list[Event]]] = {}
    for (seller, ref), events in history.items():
        by_seller.setdefault(seller, {})[ref] = events
    plans = [
        plan_pair(
            s,
            b,
            orders.get((s, b), {}),
            by_seller.get(s, {}),
            rules.get(s, EventRules()),
            retracted=retracted.get((s, b)),
            now=now,
        )
        for s, b in sorted(pairs)
    ]
    _apply(uow, plans, report, now=now)
    due: dict[OrderKey, datetime | None] = dict.fromkeys(rechecks)
    for plan in plans:
        due.update(
            {
                (plan.seller_id, ref): at
                for ref, at in plan.rechecks.items()
                if (plan.seller_id, ref) in touched
            }
        )
    uow.events.set_rechecks(due)
    uow.events.mark_processed([e.id for e in pending], now=now)
    report.events += len(pending)
    report.orders += len(touched)


def _order_buyers(
    uow: UnitOfWork, pending: Sequence[PendingEvent], touched: set[OrderKey], *, now: datetime
) -> dict[OrderKey, tuple[int, int]]:
    """(seller, buyer) of each touched order whose buyer is known: from the registry's orders, or
    from the identifiers on its events, which are linked as one person. Records new orders."""
    known = uow.event_orders.buyers_of_orders(touched)
    seen: dict[OrderKey, dict[str, HashedIdentifier]] = {}
    first_at: dict[OrderKey, datetime] = {}
    for stored in pending:
        key = (stored.seller_id, stored.order_ref)
        first_at[key] = min(first_at.get(key, stored.occurred_at), stored.occurred_at)
        if stored.identifiers:
            seen.setdefault(key, {}).update((h.digest, h) for h in stored.identifiers)
    resolved = _resolve(uow, seen, known, now=now)
    merged = _merge_known(uow, known, resolved, now=now)
    recorded = [
        OrderRecord(key[0], merged.get(buyer, buyer), key[1], False, min(first_at[key], now))
        for key, buyer in sorted(resolved.items())
        if key not in known
    ]
    uow.orders.add_many(recorded)
    # Tags may have cited these orders before the registry knew them.
    backed = uow.tags.back_with_orders([(r.seller_id, r.buyer_id, r.order_ref) for r in recorded])
    refresh_stats(uow, backed, now=now)
    # Read again: a merge above may have moved orders of this batch to another buyer.
    found = uow.event_orders.buyers_of_orders(touched)
    return {key: (key[0], buyer) for key, buyer in found.items()}


def _resolve(
    uow: UnitOfWork,
    seen: Mapping[OrderKey, Mapping[str, HashedIdentifier]],
    known: Mapping[OrderKey, int],
    *,
    now: datetime,
) -> dict[OrderKey, int]:
    """The buyer of each order's identifiers. Most events repeat identifiers already linked to the
    order's buyer; only the others go through resolution (creating, linking, merging)."""
    linked = uow.buyers.find_buyers({d for digests in seen.values() for d in digests})
    resolved: dict[OrderKey, int] = {}
    unsettled = []
    for key, digests in seen.items():
        owners = {linked.get(d) for d in digests}
        owner = owners.pop() if len(owners) == 1 else None
        if owner is not None and known.get(key, owner) == owner:
            resolved[key] = owner
        else:
            unsettled.append(key)
    unsettled.sort()
    rows = [list(seen[k].values()) for k in unsettled]
    found = resolve_buyers(uow, rows, sellers=[seller for seller, _ in unsettled], now=now)
    resolved.update(zip(unsettled, found, strict=True))
    return resolved


def _merge_known(
    uow: UnitOfWork,
    known: Mapping[OrderKey, int],
    resolved: Mapping[OrderKey, int],
    *,
    now: datetime,
) -> dict[int, int]:
    """An order's identifiers belong to the buyer the registry already has on that order: merge,
    where domain.links allows (the order keeps its buyer otherwise).

    Both mappings were read before the resolution, which may have merged some of their buyers
    away since: each buyer is followed to the one it became, so that no merge targets a buyer
    that no longer exists, whatever the batch holds. Returns what each buyer named became.
    """
    live = uow.buyers.live_buyers({*known.values(), *resolved.values()})
    merged: dict[int, int] = {}

    def final(buyer: int) -> int:
        buyer = live.get(buyer, buyer)
        while buyer in merged:
            buyer = merged[buyer]
        return buyer

    for key, buyer in sorted(resolved.items()):
        if key in known and final(known[key]) != final(buyer):
            keep, other = sorted((final(known[key]), final(buyer)))
            if merge_if_agreed(uow, keep, other, seller_id=key[0], now=now):
                merged[other] = keep
    if merged:
        refresh_stats(uow, {final(b) for b in merged}, now=now)
    return {buyer: final(buyer) for buyer in live}


def _apply(
    uow: UnitOfWork, plans: Sequence[PairPlan], report: ProcessReport, *, now: datetime
) -> None:
    # A tag past its expiry is neither held, withdrawn nor confirmed: it is marked expired first,
    # as the expire-old-tags job would, whether or not the job has run since.
    lapsed = uow.tags.expire(now=now, buyer_ids={p.buyer_id for p in plans})
    create, withdraw, confirm = _changes(uow, plans, now=now)
    given = [buyer for buyer, c in confirm if c.order_ref is not None]
    reopen = [(p.seller_id, p.buyer_id, ref) for p in plans for ref in p.reopen]
    risky = {p.buyer_id for p in create} | set(given) | {buyer for _, buyer, _ in reopen}
    subscribers, before = risk_levels(uow, risky, now=now)
    uow.event_orders.withdraw_tags([t.id for t in withdraw], now=now)
    uow.event_orders.set_confirmations([c for _, c in confirm])
    created = store_tags(uow, create, now=now)
    # Every order judged here is in the registry already (recorded at its first event), so
    # completing is an update; a clean order has no tag to back.
    completed = [(p.seller_id, ref, at) for p in plans for ref, at in p.complete.items()]
    uow.event_orders.complete_orders(completed)
    uow.event_orders.reopen_orders([(seller, ref) for seller, _, ref in reopen])
    refresh_stats(
        uow,
        {t.buyer_id for t in withdraw}
        | {buyer for buyer, _ in confirm}
        | {buyer for _, buyer, _ in reopen}
        | {p.buyer_id for p in plans if p.complete}
        | lapsed,
        now=now,
    )
    changes = [
        TagChange(item.buyer_id, item.tag.seller_id, item.tag.reason)
        for item, tag_id in zip(create, created, strict=True)
        if tag_id is not None
    ]
    report.alerts += alert_buyer_changes(
        uow, changes, subscribers=subscribers, before=before, now=now
    )
    report.tags_created += len(changes)
    report.tags_withdrawn += len(withdraw)
    report.tags_confirmed += len(given)
    report.confirmations_withdrawn += len(confirm) - len(given)
    report.orders_completed += len(completed)
    report.orders_reopened += len(reopen)


def _changes(
    uow: UnitOfWork, plans: Sequence[PairPlan], *, now: datetime
) -> tuple[list[PendingTag], list[Tag], list[tuple[int, Confirmation]]]:
    """The automatic tags to make and to withdraw, and the confirmations to give or take back
    (with their buyer), so that each pair's tags carry exactly the facts its plan wants."""
    held = uow.event_orders.active_tags((p.seller_id, p.buyer_id) for p in plans)
    create: list[PendingTag] = []
    withdraw: list[Tag] = []
    confirm: list[tuple[int, Confirmation]] = []
    for plan in plans:
        diff = diff_tags(plan, held.get((plan.seller_id, plan.buyer_id), []), now=now)
        create.extend(
            PendingTag(
                plan.buyer_id,
                NewTag(
                    seller_id=plan.seller_id,
                    reason=want.reason,
                    note=want.note,
                    order_ref=want.order_ref,
                    source=TagSource.EVENT,
                    created_at=min(want.occurred_at, now),
                ),
            )
            for want in diff.create
        )
        withdraw.extend(diff.withdraw)
        confirm.extend((plan.buyer_id, c) for c in diff.confirm)
    return create, withdraw, confirm

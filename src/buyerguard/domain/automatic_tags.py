"""What the event rules want for one seller and one buyer: automatic tags, clean orders, rechecks.

`outcome_for_order` judges one order; this reads all of a buyer's orders with a seller, because a
seller holds one active tag per buyer and reason, and `frequent_returns` is about the buyer.
`diff_tags` compares what the rules want with the tags the seller holds on the buyer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from buyerguard.domain.events import (
    AutoTag,
    Event,
    EventRules,
    OrderOutcome,
    outcome_for_order,
    return_counts,
    returns_tag_due,
)
from buyerguard.domain.tags import Confirmation, Tag, TagSource, expiry_for

FREQUENT_RETURNS = "frequent_returns"
RETURN_TYPES = frozenset({"order.returned", "refund.requested"})
# Any of these makes an order a problem order for good (docs/events.md, "Clean orders").
PROBLEM_TYPES = frozenset(
    {
        "cod.refused",
        "order.returned",
        "refund.requested",
        "dispute.opened",
        "dispute.resolved",
        "chargeback.created",
        "chargeback.resolved",
    }
)


@dataclass(frozen=True)
class WantedTag:
    reason: str
    order_ref: str
    occurred_at: datetime
    note: str


@dataclass(frozen=True)
class PairPlan:
    """`complete` maps orders newly clean to when they were delivered; `reopen` lists completed
    orders that went wrong since; `rechecks` maps each order to when its clean-order window closes
    (None: nothing to wait for)."""

    seller_id: int
    buyer_id: int
    wanted: dict[str, WantedTag] = field(default_factory=dict)
    complete: dict[str, datetime] = field(default_factory=dict)
    reopen: list[str] = field(default_factory=list)
    rechecks: dict[str, datetime | None] = field(default_factory=dict)


def plan_pair(
    seller_id: int,
    buyer_id: int,
    orders: Mapping[str, bool],
    history: Mapping[str, Sequence[Event]],
    rules: EventRules,
    *,
    retracted: Mapping[str, datetime] | None = None,
    now: datetime,
) -> PairPlan:
    """Judge every order (`orders`: reference -> completed) of one seller with one buyer.

    A reason raised on several orders is wanted once, on the order that raised it first.
    `retracted` maps a reason to when the seller last retracted an automatic tag for it: the
    retraction stands for every fact up to then, so only an event after it that calls for the
    reason on its own (`AutoTag.raised_after`), or for `frequent_returns` a later return, raises
    the reason again.
    """
    retracted = retracted or {}
    plan = PairPlan(seller_id, buyer_id)
    outcomes: list[OrderOutcome] = []
    last_return: tuple[datetime, str] | None = None
    for ref, completed in sorted(orders.items()):
        events = history.get(ref, ())
        if not events:
            continue  # an order known from a screening only: nothing to judge
        outcome = outcome_for_order(events, rules, now=now)
        outcomes.append(outcome)
        for tag in outcome.tags:
            _want(plan, ref, tag, retracted.get(tag.reason))
        _judge_order(plan, ref, completed, events, outcome, rules, now=now)
        returns = [e.occurred_at for e in events if e.type in RETURN_TYPES]
        if returns and (last_return is None or (max(returns), ref) > last_return):
            last_return = (max(returns), ref)
    count, returned = return_counts(outcomes)
    if last_return is not None and returns_tag_due(count, returned, rules):
        retracted_at = retracted.get(FREQUENT_RETURNS)
        if retracted_at is None or last_return[0] > retracted_at:
            plan.wanted[FREQUENT_RETURNS] = WantedTag(
                FREQUENT_RETURNS,
                last_return[1],
                last_return[0],
                f"automatic: {returned} of {count} orders returned or refunded",
            )
    return plan


def _want(plan: PairPlan, ref: str, tag: AutoTag, retracted_at: datetime | None) -> None:
    """Want `tag` on order `ref` unless an earlier fact on another order raised its reason."""
    if retracted_at is not None:
        renewed = tag.raised_after(retracted_at)
        if renewed is None:
            return
        tag = renewed
    current = plan.wanted.get(tag.reason)
    if current is None or (tag.occurred_at, ref) < (current.occurred_at, current.order_ref):
        plan.wanted[tag.reason] = WantedTag(
            tag.reason, ref, tag.occurred_at, _note(tag.event_id, tag.confirmed_by)
        )


def _judge_order(
    plan: PairPlan,
    ref: str,
    completed: bool,
    events: Sequence[Event],
    outcome: OrderOutcome,
    rules: EventRules,
    *,
    now: datetime,
) -> None:
    deliveries = [e.occurred_at for e in events if e.type == "order.delivered"]
    troubled = bool(outcome.tags) or any(e.type in PROBLEM_TYPES for e in events)
    if outcome.clean and not completed:
        plan.complete[ref] = min(deliveries)
    if troubled and completed:
        plan.reopen.append(ref)
    window_closes = min(deliveries) + rules.clean_after if deliveries else None
    waiting = window_closes is not None and window_closes > now and not troubled
    plan.rechecks[ref] = window_closes if waiting else None


def _note(event_id: str, confirmed_by: Sequence[str]) -> str:
    note = f"automatic, from event {event_id}"
    if confirmed_by:
        note += f"; confirmed by {', '.join(confirmed_by)}"
    return note[:2000]


@dataclass(frozen=True)
class TagDiff:
    """What makes a pair's tags carry exactly the facts the rules want: automatic tags to make
    and to withdraw, and confirmations of the seller's own tags to give or to take back."""

    create: list[WantedTag] = field(default_factory=list)
    withdraw: list[Tag] = field(default_factory=list)
    confirm: list[Confirmation] = field(default_factory=list)


def diff_tags(plan: PairPlan, held: Iterable[Tag], *, now: datetime) -> TagDiff:
    """Compare what `plan` wants with `held`, the pair's active tags (one a reason).

    A wanted reason the seller holds as its own tag (manual or imported) is not tagged again: the
    fact confirms that tag, which carries it from then on and loses it when the rules stop
    wanting it. A fact already past its reason's expiry confirms nothing, as the automatic tag it
    would make is expired from the start. An automatic tag, like a confirmation, stays as long as
    its reason is wanted on the same order (on any order for `frequent_returns`).
    """
    diff = TagDiff()
    have = {tag.reason: tag for tag in held}
    for reason, want in sorted(plan.wanted.items()):
        tag = have.get(reason)
        if tag is None:
            diff.create.append(want)
        elif tag.source is not TagSource.EVENT:
            _confirm(diff, tag, want, now=now)
        elif _moved(want, tag.order_ref):
            diff.withdraw.append(tag)
            diff.create.append(want)
    for reason, tag in sorted(have.items()):
        if reason in plan.wanted:
            continue
        if tag.source is TagSource.EVENT:
            diff.withdraw.append(tag)
        elif tag.confirmed_order_ref is not None:
            diff.confirm.append(_unconfirmed(tag))
    return diff


def _confirm(diff: TagDiff, tag: Tag, want: WantedTag, *, now: datetime) -> None:
    if tag.confirmed_order_ref is not None and not _moved(want, tag.confirmed_order_ref):
        return
    at = min(want.occurred_at, now)
    expires_at = expiry_for(want.reason, at)
    if expires_at > now:
        diff.confirm.append(Confirmation(tag.id, want.order_ref, at, expires_at))
    elif tag.confirmed_order_ref is not None:
        diff.confirm.append(_unconfirmed(tag))


def _moved(want: WantedTag, order_ref: str | None) -> bool:
    return keeps_order_ref(want.reason) and want.order_ref != order_ref


def _unconfirmed(tag: Tag) -> Confirmation:
    return Confirmation(tag.id, None, None, expiry_for(tag.reason, tag.created_at))


def keeps_order_ref(reason: str) -> bool:
    """Whether an automatic tag moved to another order must be made again on it.

    A per-order tag names the order that proves it; `frequent_returns` is about the buyer, and
    re-making it at each new return would alert everyone each time.
    """
    return reason != FREQUENT_RETURNS

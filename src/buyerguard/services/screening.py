"""Screening orders: ship, review, require prepayment or decline, from the seller's own policy."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.identifiers import HashedIdentifier, hash_identifiers
from buyerguard.domain.orders import OrderRecord
from buyerguard.domain.policies import Rule
from buyerguard.domain.profiles import BuyerStats
from buyerguard.domain.reputation import Risk, score, shown
from buyerguard.domain.screening import (
    LoggedScreening,
    Order,
    build_facts,
    decide,
    facts_to_json,
)
from buyerguard.domain.tags import OwnReason
from buyerguard.services.alerts import record_alert
from buyerguard.services.buyers import (
    combined_stats,
    current_stats,
    refresh_stats,
    resolve_buyer,
)
from buyerguard.services.links import merge_if_agreed
from buyerguard.services.policies import policy_in_force
from buyerguard.services.unit_of_work import UnitOfWork, commit_once


@dataclass(frozen=True)
class Screened:
    """A decision as the seller receives it: the logged screening and the risk behind it."""

    screening: LoggedScreening
    risk: Risk

    @property
    def errors(self) -> tuple[str, ...]:
        return self.screening.errors


def _screen(
    uow: UnitOfWork,
    order: Order,
    identifiers: tuple[HashedIdentifier, ...],
    *,
    seller_id: int,
    now: datetime,
) -> Screened:
    named, apart = resolve_buyer(uow, identifiers, seller_id=seller_id, now=now)
    buyer_id, known, also = _order_buyer(uow, seller_id, order.ref, named, now=now)
    together = tuple(dict.fromkeys((buyer_id, *apart, *also)))
    stats, own, lists = _judged_together(uow, seller_id, together, now=now)
    risk = score(stats.evidence(), now=now)
    mine = frozenset(r.reason for r in own)
    facts = build_facts(stats, risk, mine=mine, lists=lists, order=order, now=now)
    policy = policy_in_force(uow, seller_id)
    verdict = decide(policy.policy, facts)
    logged = LoggedScreening(
        id=0,
        buyer_id=buyer_id,
        order=order,
        action=verdict.action,
        rule_line=None if verdict.rule is None else verdict.rule.line,
        rule_source=None if verdict.rule is None else _rule_text(verdict.rule),
        policy_version=policy.version,
        risk_score=risk.score,
        risk_level=risk.level,
        facts=facts,
        reasons=verdict.reasons,
        created_at=now,
        errors=verdict.errors,
    )
    if not known:
        _record_order(uow, order.ref, own, seller_id=seller_id, buyer_id=buyer_id, now=now)
    screening_id = uow.screenings.add(seller_id, logged, json.dumps(facts_to_json(facts)))
    logged = replace(logged, id=screening_id)
    record_alert(
        uow, seller_id=seller_id, kind="screening.decided", payload=_alert(logged), now=now
    )
    return Screened(logged, risk)


def _order_buyer(
    uow: UnitOfWork, seller_id: int, ref: str, named: int, *, now: datetime
) -> tuple[int, bool, tuple[int, ...]]:
    """The buyer of the order, whether the registry knew the order, and the buyer named on it if
    kept apart. One order has one buyer, as on completions and events: the buyer named on a known
    order is merged with the order's own, where domain.links allows."""
    known = uow.orders.existing([(seller_id, ref)]).get((seller_id, ref))
    if known is None:
        return named, False, ()
    if known.buyer_id == named:
        return named, True, ()
    keep, other = sorted((known.buyer_id, named))
    if merge_if_agreed(uow, keep, other, seller_id=seller_id, now=now):
        refresh_stats(uow, [keep], now=now)
        return keep, True, ()
    return known.buyer_id, True, (named,)


def _judged_together(
    uow: UnitOfWork, seller_id: int, buyers: tuple[int, ...], *, now: datetime
) -> tuple[BuyerStats, list[OwnReason], frozenset[str]]:
    """The aggregates, the seller's own active tags and its lists of the buyer of an order, with
    those of the other buyers the order named that were kept apart (domain.links): a buyer giving
    an identifier of a clean record beside its own is judged on both."""
    if len(buyers) == 1:
        stats = current_stats(uow, buyers[0], now=now)
    else:
        stats, _ = combined_stats(uow, buyers, now=now)
    own = [r for b in buyers for r in uow.tags.own_reasons(b, seller_id) if r.active_at(now)]
    lists = frozenset().union(*(uow.lists.names_for(seller_id, b, now=now) for b in buyers))
    return stats, own, lists


def _record_order(
    uow: UnitOfWork,
    ref: str,
    own: Sequence[OwnReason],
    *,
    seller_id: int,
    buyer_id: int,
    now: datetime,
) -> None:
    """Record a new order, which makes the seller's tags on it order-backed: a later tag as it is
    stored, an earlier one here. Only a tag citing this order costs the screening a write more."""
    uow.orders.add_many([OrderRecord(seller_id, buyer_id, ref, False, now)])
    if any(r.order_ref == ref and not r.order_backed for r in own):
        refresh_stats(uow, uow.tags.back_with_orders([(seller_id, buyer_id, ref)]), now=now)


def _alert(logged: LoggedScreening) -> dict[str, object]:
    """What a `screening.decided` subscriber receives: the decision, never identifiers."""
    return {
        "screening_id": logged.id,
        "order_ref": logged.order.ref,
        "decision": logged.action.code,
        "rule": None
        if logged.rule_line is None
        else {"line": logged.rule_line, "text": logged.rule_source},
        "reasons": [r.code for r in logged.reasons],
        "risk": {"score": shown(logged.risk_score), "level": logged.risk_level},
        "policy_version": logged.policy_version,
        "decided_at": logged.created_at.isoformat(),
    }


def _rule_text(rule: Rule) -> str:
    code = rule.action.code
    return code if rule.condition is None else f"{code} if {rule.condition}"


def screen_order(
    uow: UnitOfWork,
    order: Order,
    buyer: Mapping[str, object],
    *,
    seller_id: int,
    secret: bytes,
    now: datetime,
) -> Screened:
    """Decide one order and log the decision with its inputs; the order is recorded too."""
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        screened = _screen(uow, order, identifiers, seller_id=seller_id, now=now)
        uow.commit()
    return screened


@dataclass(frozen=True)
class ScreeningRequest:
    """One order to screen, as it arrived: whose, and when."""

    seller_id: int
    order: Order
    buyer: Mapping[str, object]
    now: datetime


def screen_together(
    uow: UnitOfWork, requests: Sequence[ScreeningRequest], *, secret: bytes
) -> list[Screened | BuyerGuardError]:
    """Screen orders of any sellers in one transaction (one commit for all): each gets its
    decision, or the error of its own input. Fails as a whole only on an unexpected error."""
    results: list[Screened | BuyerGuardError] = []
    with uow:
        for request in requests:
            try:
                identifiers = hash_identifiers(request.buyer, secret)
            except BuyerGuardError as error:
                results.append(error)
                continue
            results.append(
                _screen(
                    uow, request.order, identifiers, seller_id=request.seller_id, now=request.now
                )
            )
        commit_once(uow)  # the group-commit writer must not run the batch again after it
    return results


@dataclass(frozen=True)
class BatchItem:
    line: int
    screened: Screened | None = None
    error: BuyerGuardError | None = None


def screen_batch(
    uow: UnitOfWork,
    requests: Iterable[tuple[int, Order | BuyerGuardError, Mapping[str, object]]],
    *,
    seller_id: int,
    secret: bytes,
    now: datetime,
) -> list[BatchItem]:
    """Screen many orders in one transaction; a bad one gets its error and the others go on."""
    lines = list(requests)
    valid = [
        ScreeningRequest(seller_id, order, buyer, now)
        for _, order, buyer in lines
        if not isinstance(order, BuyerGuardError)
    ]
    screened = iter(screen_together(uow, valid, secret=secret))
    outcomes = [o if isinstance(o, BuyerGuardError) else next(screened) for _, o, _ in lines]
    return [
        BatchItem(line, error=o) if isinstance(o, BuyerGuardError) else BatchItem(line, o)
        for (line, _, _), o in zip(lines, outcomes, strict=True)
    ]


def list_screenings(
    uow: UnitOfWork,
    *,
    seller_id: int,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[LoggedScreening]:
    with uow:
        return uow.screenings.list_for_seller(
            seller_id, action=action, since=since, until=until, after_id=after_id, limit=limit
        )


def get_screening(uow: UnitOfWork, screening_id: int, *, seller_id: int) -> LoggedScreening:
    with uow:
        return uow.screenings.get(seller_id, screening_id)


def purge_old_screenings(uow: UnitOfWork, *, before: datetime) -> int:
    """Drop decisions older than the retention period; returns how many."""
    with uow:
        count = uow.screenings.purge(before=before)
        uow.commit()
    return count

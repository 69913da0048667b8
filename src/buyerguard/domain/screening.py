"""Screening one order: the order as validated, the facts a policy sees, and the decision."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pycountry

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.policies import (
    NEVER_TAGGED_DAYS,
    Action,
    Facts,
    OrderFacts,
    Policy,
    Rule,
    evaluate,
    explain,
)
from buyerguard.domain.profiles import BuyerStats
from buyerguard.domain.reputation import Risk
from buyerguard.domain.text import check_text

PAYMENT_METHODS = ("prepaid", "cod")
MAX_AMOUNT = 10_000_000.0  # larger than any plausible single order: a typo or an attack
ALLOW_LIST = "allow"
BLOCK_LIST = "block"


class InvalidOrderError(InvalidInputError):
    code = "invalid_order"


@dataclass(frozen=True)
class Order:
    """An order as screened; `currency` and `country` are given in any case and kept as ISO writes
    them (upper case), which is what policies compare them with."""

    ref: str
    amount: float
    currency: str
    payment_method: str
    country: str
    region: str = ""
    postal_code: str = ""

    def __post_init__(self) -> None:
        if not 0 < len(self.ref.strip()) <= 200:  # as any order reference
            raise InvalidOrderError("order.ref: 1 to 200 characters, not all blank")
        for name, text in (
            ("order.ref", self.ref),
            ("order.ship_to.region", self.region),
            ("order.ship_to.postal_code", self.postal_code),
        ):
            check_text(name, text, error=InvalidOrderError)
        if not math.isfinite(self.amount) or not 0 <= self.amount <= MAX_AMOUNT:
            raise InvalidOrderError(f"order.amount: between 0 and {MAX_AMOUNT:,.0f}")
        object.__setattr__(self, "currency", _iso_currency(self.currency))
        object.__setattr__(self, "country", _iso_country(self.country))
        if self.payment_method not in PAYMENT_METHODS:
            raise InvalidOrderError(f"order.payment_method: one of {', '.join(PAYMENT_METHODS)}")

    def facts(self) -> OrderFacts:
        return OrderFacts(
            amount=self.amount,
            currency=self.currency,
            payment_method=self.payment_method,
            country=self.country,
            region=self.region,
            postal_code=self.postal_code,
        )


def _iso_currency(code: str) -> str:
    # The lookup ignores case; its own spelling of the code is what the order keeps.
    found = pycountry.currencies.get(alpha_3=code)
    if found is None:
        raise InvalidOrderError(f"order.currency: {code!r} is not an ISO 4217 code")
    return str(found.alpha_3)


def _iso_country(code: str) -> str:
    found = None if len(code) != 2 else pycountry.countries.get(alpha_2=code)
    if found is None:
        raise InvalidOrderError(f"order.ship_to.country: {code!r} is not an ISO 3166 alpha-2 code")
    return str(found.alpha_2)


def build_facts(
    stats: BuyerStats,
    risk: Risk,
    *,
    mine: frozenset[str],
    lists: frozenset[str],
    order: Order,
    now: datetime,
) -> Facts:
    """The buyer's record as the screening seller sees it: community counts exclude its own tags."""
    last = stats.last_reported_at
    return Facts(
        risk=risk.score,
        level=risk.level,
        logistics_risk=risk.logistics_score,
        sellers={r.reason: r.sellers - (1 if r.reason in mine else 0) for r in stats.reasons},
        mine=mine,
        distinct_reporters=stats.distinct_reporters,
        clean_sellers=stats.clean_sellers,
        order_backed=sum(r.order_backed for r in stats.reasons),
        days_since_last_tag=NEVER_TAGGED_DAYS if last is None else max(0, (now - last).days),
        order=order.facts(),
        lists=lists,
    )


@dataclass(frozen=True)
class DecisionReason:
    code: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def overridden(lists: frozenset[str]) -> tuple[Action, DecisionReason] | None:
    """A seller's own block list beats everything; its allow list beats the community."""
    if BLOCK_LIST in lists:
        return Action.DECLINE, DecisionReason(
            "list", 'The buyer is on your "block" list', {"list": BLOCK_LIST}
        )
    if ALLOW_LIST in lists:
        return Action.SHIP, DecisionReason(
            "list", 'The buyer is on your "allow" list', {"list": ALLOW_LIST}
        )
    return None


@dataclass(frozen=True)
class Verdict:
    action: Action
    rule: Rule | None
    reasons: tuple[DecisionReason, ...]
    errors: tuple[str, ...] = ()


def decide(policy: Policy, facts: Facts) -> Verdict:
    """The seller's lists first, then its policy's first matching rule, with the reasons."""
    override = overridden(facts.lists)
    if override is not None:
        return Verdict(override[0], None, (override[1],))
    verdict = evaluate(policy, facts)
    reasons = tuple(DecisionReason(c, m, e) for c, m, e in explain(verdict.rule, facts))
    return Verdict(verdict.action, verdict.rule, reasons, verdict.errors)


OUTCOME_BAD = "bad"  # the seller later tagged the buyer for misconduct, or the order went wrong
OUTCOME_GOOD = "good"  # the order completed without a problem


@dataclass(frozen=True)
class LoggedScreening:
    """A decision from the log, with what is known since about how the order went.

    `errors` are the rules that could not be evaluated on these facts (they counted as not
    matching), as "line N: what went wrong".
    """

    id: int
    buyer_id: int
    order: Order
    action: Action
    rule_line: int | None
    rule_source: str | None
    policy_version: int
    risk_score: float
    risk_level: str
    facts: Facts
    reasons: tuple[DecisionReason, ...]
    created_at: datetime
    outcome: str | None = None
    errors: tuple[str, ...] = ()


def facts_to_json(facts: Facts) -> dict[str, Any]:
    return {
        "risk": facts.risk,
        "level": facts.level,
        "logistics_risk": facts.logistics_risk,
        "sellers": dict(facts.sellers),
        "mine": sorted(facts.mine),
        "distinct_reporters": facts.distinct_reporters,
        "clean_sellers": facts.clean_sellers,
        "order_backed": facts.order_backed,
        "days_since_last_tag": facts.days_since_last_tag,
        "lists": sorted(facts.lists),
    }


def facts_from_json(data: Mapping[str, Any], order: Order) -> Facts:
    return Facts(
        risk=float(data["risk"]),
        level=str(data["level"]),
        logistics_risk=float(data["logistics_risk"]),
        sellers={str(k): int(v) for k, v in data["sellers"].items()},
        mine=frozenset(data["mine"]),
        distinct_reporters=int(data["distinct_reporters"]),
        clean_sellers=int(data["clean_sellers"]),
        order_backed=int(data["order_backed"]),
        days_since_last_tag=int(data["days_since_last_tag"]),
        order=order.facts(),
        lists=frozenset(data["lists"]),
    )

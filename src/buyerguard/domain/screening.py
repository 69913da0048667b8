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
from buyerguard.domain.text import unstorable

PAYMENT_METHODS = ("prepaid", "cod")
MAX_AMOUNT = 10_000_000.0  # larger than any plausible single order: a typo or an attack
MAX_REF_LENGTH = 200  # as any order reference
MAX_REGION_LENGTH = 100
MAX_POSTAL_CODE_LENGTH = 32
ALLOW_LIST = "allow"
BLOCK_LIST = "block"


class InvalidOrderError(InvalidInputError):
    """A field of an order that cannot be screened; `field` is its path (`order.ship_to.region`)."""

    code = "invalid_order"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field}


# Longest text each field may hold, as the decision log's columns hold it on every database.
TEXT_LIMITS = {
    "order.ref": MAX_REF_LENGTH,
    "order.ship_to.region": MAX_REGION_LENGTH,
    "order.ship_to.postal_code": MAX_POSTAL_CODE_LENGTH,
}


@dataclass(frozen=True)
class Order:
    """An order as screened, checked here whoever builds it (the API, a batch line, the command
    line); `currency` and `country` are given in any case and kept as ISO writes them (upper
    case), which is what policies compare them with."""

    ref: str
    amount: float
    currency: str
    payment_method: str
    country: str
    region: str = ""
    postal_code: str = ""

    def __post_init__(self) -> None:
        if not self.ref.strip():
            raise InvalidOrderError("order.ref", f"1 to {MAX_REF_LENGTH} characters, not all blank")
        for name, text in (
            ("order.ref", self.ref),
            ("order.ship_to.region", self.region),
            ("order.ship_to.postal_code", self.postal_code),
        ):
            _check_field(name, text)
        if not math.isfinite(self.amount) or not 0 <= self.amount <= MAX_AMOUNT:
            raise InvalidOrderError("order.amount", f"between 0 and {MAX_AMOUNT:,.0f}")
        object.__setattr__(self, "currency", _iso_currency(self.currency))
        object.__setattr__(self, "country", _iso_country(self.country))
        if self.payment_method not in PAYMENT_METHODS:
            raise InvalidOrderError("order.payment_method", f"one of {', '.join(PAYMENT_METHODS)}")

    @classmethod
    def as_logged(
        cls,
        ref: str,
        amount: float,
        currency: str,
        payment_method: str,
        country: str,
        region: str,
        postal_code: str,
    ) -> Order:
        """An order as the decision log kept it, not checked again: a logged decision stays
        readable whatever rule an order has been held to since."""
        order = object.__new__(cls)
        order.__dict__.update(
            ref=ref,
            amount=amount,
            currency=currency,
            payment_method=payment_method,
            country=country,
            region=region,
            postal_code=postal_code,
        )
        return order

    def facts(self) -> OrderFacts:
        return OrderFacts(
            amount=self.amount,
            currency=self.currency,
            payment_method=self.payment_method,
            country=self.country,
            region=self.region,
            postal_code=self.postal_code,
        )


def _check_field(name: str, text: str) -> None:
    if len(text) > TEXT_LIMITS[name]:
        raise InvalidOrderError(name, f"at most {TEXT_LIMITS[name]} characters")
    found = unstorable(text)
    if found is not None:
        raise InvalidOrderError(name, found.message)


def _iso_currency(code: str) -> str:
    # The lookup ignores case; its own spelling of the code is what the order keeps.
    found = pycountry.currencies.get(alpha_3=code)
    if found is None:
        raise InvalidOrderError("order.currency", f"{code!r} is not an ISO 4217 code")
    return str(found.alpha_3)


def _iso_country(code: str) -> str:
    found = None if len(code) != 2 else pycountry.countries.get(alpha_2=code)
    if found is None:
        raise InvalidOrderError(
            "order.ship_to.country", f"{code!r} is not an ISO 3166 alpha-2 code"
        )
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

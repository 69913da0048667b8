"""The buyer risk model: turns per-reason aggregates kept on write into a score a seller can read.

A lookup must cost the same however many tags a buyer has, so the model never sees individual tags.
Storage keeps, per buyer and reason, a running sum of *anchored* tag weights (`anchored`), which
`decayed` brings to any `now` in O(1), and per buyer the trust-weighted count of clean-order sellers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buyerguard.domain.reasons import Reason, get_reason

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MODEL_VERSION = "beta-trust-1"

# Pseudo-counts of the Beta prior every buyer starts from: the prior risk is
# PRIOR_COMPLAINT / (PRIOR_COMPLAINT + PRIOR_CLEAN), about 5 %. The small clean side lets a
# single complaint from an established, order-backed seller reach "high" for a buyer nobody
# else knows, while one clean order from a trusted seller already pulls it back to "medium".
PRIOR_COMPLAINT = 0.05
PRIOR_CLEAN = 0.95
TROUBLE_RATE = 0.1

# A reason other than the buyer's strongest one adds only this share of its mass: a seller who
# tags one buyer with every reason must not count eight times, yet honest sellers who pick
# different reasons for the same buyer still reinforce each other.
SECONDARY_REASON_SHARE = 0.25

# What backs a tag multiplies its reporter's trust: an event (chargeback, payment timeout) is a
# fact, an order reference proves the seller traded with the buyer, a bare claim proves nothing.
EVENT_BACKED_FACTOR = 1.25
ORDER_BACKED_FACTOR = 1.0
UNBACKED_FACTOR = 0.4

HIGH_RISK = 0.5
MEDIUM_RISK = 0.25

_RECENT = timedelta(days=30)


def tag_weight(trust: float, *, order_backed: bool, event_backed: bool = False) -> float:
    """What one tag contributes before decay: its reporter's trust (clamped to [0, 1]) times its backing."""
    if event_backed:
        factor = EVENT_BACKED_FACTOR
    elif order_backed:
        factor = ORDER_BACKED_FACTOR
    else:
        factor = UNBACKED_FACTOR
    return min(max(trust, 0.0), 1.0) * factor


def anchored(weight: float, reason: Reason, at: datetime) -> float:
    """`weight` as seen from `EPOCH`: sums of these decay together, so storage keeps one number per reason.

    The value grows by a factor 2 per half-life after `EPOCH`; a float holds that for centuries.
    """
    return weight * 2.0 ** ((at - EPOCH) / reason.half_life)


def decayed(anchored_sum: float, reason: Reason, now: datetime) -> float:
    """The weight at `now` of a sum of `anchored` values: each tag halved once per half-life of its age."""
    return anchored_sum * 2.0 ** (-((now - EPOCH) / reason.half_life))


@dataclass(frozen=True)
class ReasonEvidence:
    reason: str
    sellers: int
    order_backed: int
    anchored_weight: float
    last_at: datetime | None


@dataclass(frozen=True)
class BuyerEvidence:
    reasons: tuple[ReasonEvidence, ...]
    clean_sellers: int
    clean_weight: float


@dataclass(frozen=True)
class Contribution:
    reason: str
    label: str
    kind: str
    misconduct: bool
    weight: float
    sellers: int
    order_backed: int
    explanation: str


@dataclass(frozen=True)
class Risk:
    score: float
    level: str
    contributions: tuple[Contribution, ...]
    model_version: str
    logistics_score: float


@dataclass(frozen=True)
class _Mass:
    evidence: ReasonEvidence
    reason: Reason
    mass: float


def score(evidence: BuyerEvidence, *, now: datetime) -> Risk:
    """The probability-like risk that an order with this buyer goes wrong, with its reasons.

    `score` is the mean of a Beta posterior over "an order with this buyer goes wrong":
    (PRIOR_COMPLAINT + M) / (PRIOR_COMPLAINT + PRIOR_CLEAN + M + clean_weight), where M is the
    misconduct complaint mass. Each reason's mass is its decayed, trust-weighted tag weight; M is
    the strongest reason's mass plus SECONDARY_REASON_SHARE of every other one. The score therefore
    rises with every complaint and falls with every trusted clean order, and never moves the other
    way (retractions lower M, a refreshed `last_at` only revives evidence).

    Logistics reasons (`misconduct` False) form `logistics_score` by the same formula, apart from
    `score`: they can make a buyer "medium" (prepayment) but never "high" on their own.

    A reason whose newest tag (`last_at`) is older than the reason's `expires_after` counts nothing:
    all its tags have expired, whether or not storage has dropped them yet.

    Each contribution's `weight` is the share of its own score (misconduct reasons of `score`,
    logistics reasons of `logistics_score`) attributable to that reason; the weights of one side add
    up to that score minus the prior's share, PRIOR_COMPLAINT / total mass.
    """
    masses = [m for m in (_mass(item, now) for item in evidence.reasons) if m is not None]
    clean = max(evidence.clean_weight, 0.0)
    misconduct, risk = _side([m for m in masses if m.reason.misconduct], clean, now)
    logistics, logistics_risk = _side([m for m in masses if not m.reason.misconduct], clean, now)
    contributions = sorted((*misconduct, *logistics), key=lambda c: (-c.weight, c.reason))
    return Risk(
        score=risk,
        level=_level(risk, logistics_risk),
        contributions=tuple(contributions),
        model_version=MODEL_VERSION,
        logistics_score=logistics_risk,
    )


def _mass(item: ReasonEvidence, now: datetime) -> _Mass | None:
    reason = get_reason(item.reason)
    if item.sellers <= 0 and item.anchored_weight <= 0.0:
        return None
    if item.last_at is not None and now - item.last_at > reason.expires_after:
        return None
    return _Mass(item, reason, max(decayed(item.anchored_weight, reason, now), 0.0))


def _side(masses: list[_Mass], clean: float, now: datetime) -> tuple[list[Contribution], float]:
    """Score one side (misconduct or logistics) and attribute it to its reasons."""
    ordered = sorted(masses, key=lambda m: (-m.mass, m.reason.code))
    shares = [m.mass if i == 0 else SECONDARY_REASON_SHARE * m.mass for i, m in enumerate(ordered)]
    mass = sum(shares)
    risk = _upper_tail(TROUBLE_RATE, PRIOR_COMPLAINT + mass, PRIOR_CLEAN + clean)
    contributions = [
        _contribution(m, risk * share / mass if mass > 0 else 0.0, now)
        for m, share in zip(ordered, shares, strict=True)
    ]
    return contributions, risk


def _contribution(item: _Mass, weight: float, now: datetime) -> Contribution:
    return Contribution(
        reason=item.reason.code,
        label=item.reason.label,
        kind=item.reason.kind.value,
        misconduct=item.reason.misconduct,
        weight=weight,
        sellers=item.evidence.sellers,
        order_backed=item.evidence.order_backed,
        explanation=_explain(item, now),
    )


def _explain(item: _Mass, now: datetime) -> str:
    sellers = item.evidence.sellers
    who = f"{sellers} seller{'' if sellers == 1 else 's'}"
    backed = f" ({item.evidence.order_backed} with orders)" if item.evidence.order_backed else ""
    sentence = f"{who}{backed} reported: {item.reason.label.lower()}; {_age(item, now)}"
    if sellers and item.mass < 0.1 * sellers * ORDER_BACKED_FACTOR * 0.5:
        sentence += "; reporters not yet trusted, so it counts little"
    return sentence


def _age(item: _Mass, now: datetime) -> str:
    last = item.evidence.last_at
    if last is None or now - last <= _RECENT:
        return "recent"
    months = (now - last).days // 30
    if months < 24:
        return f"last report {months} month{'' if months == 1 else 's'} ago"
    return f"last report {months // 12} years ago"


def _level(risk: float, logistics_risk: float) -> str:
    if risk >= HIGH_RISK:
        return "high"
    if risk >= MEDIUM_RISK or logistics_risk >= MEDIUM_RISK:
        return "medium"
    return "low"


def _upper_tail(x: float, a: float, b: float) -> float:
    """P(p > x) for p ~ Beta(a, b), via the continued fraction of the incomplete beta function."""
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return min(max(1.0 - front * _beta_fraction(a, b, x) / a, 0.0), 1.0)
    return min(max(front * _beta_fraction(b, a, 1.0 - x) / b, 0.0), 1.0)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Modified Lentz evaluation (Numerical Recipes `betacf`); converges in O(sqrt(max(a, b))) steps."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h

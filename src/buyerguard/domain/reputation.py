"""The buyer risk model: turns per-reason aggregates kept on write into a score a seller can read.

A lookup must cost the same however many tags a buyer has, so the model never sees single tags.
Storage keeps, per buyer and reason, a running sum of *anchored* tag weights (`anchored`), which
`decayed` brings to any `now` in O(1), and per buyer the trust-weighted count of clean-order
sellers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buyerguard.domain.reasons import Reason, get_reason

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MODEL_VERSION = "beta-trust-1"

# The Beta prior every buyer starts from, in units of trusted orders: a prior risk of 4 %, weak
# enough that one order-backed complaint from an established seller about a buyer nobody else knows
# is "high", strong enough that ten complaints from brand-new accounts without orders are not.
PRIOR_COMPLAINT = 0.02
PRIOR_CLEAN = 0.5

# A reason other than the buyer's strongest one adds only this share of its mass: a seller who
# tags one buyer with every reason must not count eight times, yet honest sellers who pick
# different reasons for the same buyer still reinforce each other.
SECONDARY_REASON_SHARE = 0.25

# What backs a tag scales its reporter's trust. An order-backed complaint weighs as much as a clean
# order (both are about a real order); an event (chargeback, payment timeout) is a fact from a
# third party and weighs more; a bare claim proves nothing about a trade and weighs less.
EVENT_BACKED_FACTOR = 1.25
ORDER_BACKED_FACTOR = 1.0
UNBACKED_FACTOR = 0.4

# `score` estimates the share of orders with this buyer that go wrong. Declining from one in five
# (and reviewing from one in ten) is where the simulated marketplace, attacked or not, catches most
# bad buyers while wrongly declining well under 1 % of honest ones: bench/evaluate_risk.py.
HIGH_RISK = 0.2
MEDIUM_RISK = 0.1

# Below this decayed weight per reporting seller, a reason is flagged as counting little.
_WEAK_PER_SELLER = 0.1
_RECENT = timedelta(days=30)


def shown(score: float, places: int = 4) -> float:
    """`score` cut, not rounded, to `places` decimals for display: rounding could show 0.2 for a
    score of 0.19999, a level below the one 0.2 reads as."""
    scale: float = 10.0**places
    # The nudge keeps a score that is exactly 0.29 (0.28999... in binary) from reading 0.28.
    return float(math.floor(score * scale + 1e-9) / scale)


def tag_weight(trust: float, *, order_backed: bool, event_backed: bool = False) -> float:
    """What one tag adds before decay: its reporter's trust (clamped to [0, 1]) times backing."""
    if event_backed:
        factor = EVENT_BACKED_FACTOR
    elif order_backed:
        factor = ORDER_BACKED_FACTOR
    else:
        factor = UNBACKED_FACTOR
    return min(max(trust, 0.0), 1.0) * factor


def anchored(weight: float, reason: Reason, at: datetime) -> float:
    """`weight` as seen from `EPOCH`, so tags of one reason decay together as one stored sum.

    The value doubles every half-life after `EPOCH`; a float holds that until about the year 2500
    for the shortest half-life (180 days), well past any tag's expiry.
    """
    return weight * math.exp2((at - EPOCH) / reason.half_life)


def decayed(anchored_sum: float, reason: Reason, now: datetime) -> float:
    """The weight at `now` of a sum of `anchored` values: each tag halved once per half-life."""
    return anchored_sum * math.exp2(-((now - EPOCH) / reason.half_life))


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
    """The expected share of this buyer's orders that go wrong, and the reasons behind it.

    `score` is the mean of a Beta posterior: (PRIOR_COMPLAINT + M) / (PRIOR_COMPLAINT +
    PRIOR_CLEAN + M + clean_weight). M is the misconduct complaint mass: each reason's tag weights
    decayed to `now`, the strongest reason counted fully and every other one at
    SECONDARY_REASON_SHARE. Trust enters through the weights: a tag is `tag_weight(trust, ...)`, a
    clean-order seller counts its trust. The score only rises with a complaint and only falls with
    a retraction or a clean order; a refreshed `last_at` can only revive evidence.

    Logistics reasons (`Reason.misconduct` False) make `logistics_score` by the same formula, apart
    from `score`: they can make a buyer "medium" (ask for prepayment), never "high".

    A reason whose newest tag (`last_at`) is `expires_after` old or older counts nothing: all its
    tags have expired, whether or not storage has dropped them yet. A reason with no sellers left
    counts nothing either, whatever rounding residue its stored sum holds.

    Contributions list the reasons with evidence, largest first. A misconduct reason's `weight` is
    the part of `score` its mass explains, a logistics reason's the part of `logistics_score`; on
    each side the weights add up to that score minus the prior's part, PRIOR_COMPLAINT / total.
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
    if item.sellers <= 0:
        return None
    if item.last_at is not None and now - item.last_at >= reason.expires_after:
        return None
    return _Mass(item, reason, max(decayed(item.anchored_weight, reason, now), 0.0))


def _side(masses: list[_Mass], clean: float, now: datetime) -> tuple[list[Contribution], float]:
    ordered = sorted(masses, key=lambda m: (-m.mass, m.reason.code))
    shares = [m.mass if i == 0 else SECONDARY_REASON_SHARE * m.mass for i, m in enumerate(ordered)]
    total = PRIOR_COMPLAINT + PRIOR_CLEAN + sum(shares) + clean
    contributions = [
        _contribution(m, share / total, now) for m, share in zip(ordered, shares, strict=True)
    ]
    return contributions, (PRIOR_COMPLAINT + sum(shares)) / total


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
    """One sentence, as "13 sellers (4 with orders) reported: extortion; recent"."""
    sellers = item.evidence.sellers
    who = f"{sellers} seller{'' if sellers == 1 else 's'}"
    backed = f" ({item.evidence.order_backed} with orders)" if item.evidence.order_backed else ""
    sentence = f"{who}{backed} reported: {_in_sentence(item.reason.label)}; {_age(item, now)}"
    if item.mass < _WEAK_PER_SELLER * sellers:
        sentence += "; counts little (new or often contradicted reporters, or old reports)"
    return sentence


def _in_sentence(label: str) -> str:
    """A label inside a sentence: only its first letter lower-cased, as names within it ("PayPal")
    keep their capitals; a label opening with an acronym keeps it."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


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

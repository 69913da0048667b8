"""A seeded marketplace of honest and bad buyers, honest and malicious sellers, to test the model.

Buyers place orders with trading sellers. Bad buyers misbehave on a share of their orders, each in
the way of one misconduct reason; logistics buyers cause shipping trouble (not misconduct). Honest
sellers tag trouble they see (mostly with the order attached), sometimes by mistake, and record
clean orders otherwise. Four kinds of malicious sellers attack the registry:

- saboteurs trade honestly but also tag honest customers of a competitor, without orders;
- indiscriminate taggers tag a large random share of the buyers they trade with;
- sybil rings are new accounts without orders that all accuse the same honest buyers;
- boosting rings are new accounts that all record clean orders for the same bad buyers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASONS
from buyerguard.evaluation.marketplace import BoolArray, FloatArray, IntArray, Marketplace

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86_400
MALICIOUS_KINDS = ("saboteur", "indiscriminate", "sybil", "booster")
RING_KINDS = ("sybil", "booster")
_MISCONDUCT = np.array([i for i, r in enumerate(REASONS) if r.misconduct], dtype=np.int64)
_LOGISTICS = np.array([i for i, r in enumerate(REASONS) if not r.misconduct], dtype=np.int64)


@dataclass(frozen=True)
class SimulationParams:
    """Sizes, shares and behaviour rates; every share and rate is a probability in [0, 1]."""

    buyers: int = 4000
    sellers: int = 400
    orders_per_buyer: float = 10.0
    bad_buyer_share: float = 0.15
    logistics_buyer_share: float = 0.05
    malicious_seller_share: float = 0.0
    saboteur_share: float = 0.25
    indiscriminate_share: float = 0.25
    sybil_share: float = 0.25
    booster_share: float = 0.25
    misbehave_rate: float = 0.6
    logistics_trouble_rate: float = 0.5
    report_rate: float = 0.9
    false_tag_rate: float = 0.01
    wrong_reason_rate: float = 0.1
    clean_record_rate: float = 0.7
    order_backed_rate: float = 0.9
    indiscriminate_tag_rate: float = 0.5
    saboteur_targets: int = 20
    ring_size: int = 10
    ring_targets: int = 20
    history_days: int = 730

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            whole = isinstance(field.default, int)
            if not _is_number(value, whole=whole):
                kind = "a whole number" if whole else "a number"
                raise InvalidInputError(f"{field.name} must be {kind}, got {value!r}")
            if value < 0:
                raise InvalidInputError(f"{field.name} must not be negative, got {value}")
            if field.name.endswith(("_share", "_rate")) and value > 1:
                raise InvalidInputError(f"{field.name} is a probability, got {value}")
        if self.buyers < 1 or self.sellers < 1 or self.ring_size < 1:
            raise InvalidInputError("buyers, sellers and ring_size must be at least 1")
        if self.orders_per_buyer < 1:
            raise InvalidInputError("orders_per_buyer must be at least 1")
        if self.bad_buyer_share + self.logistics_buyer_share > 1:
            raise InvalidInputError("bad_buyer_share + logistics_buyer_share must not exceed 1")


@dataclass(frozen=True)
class _World:
    """Who is who: seller kinds and ages, and how each buyer misbehaves (-1: it does not)."""

    params: SimulationParams
    kinds: npt.NDArray[np.str_]
    ages: FloatArray
    buyer_reason: IntArray
    now: int


@dataclass(frozen=True)
class _Orders:
    buyer: IntArray
    seller: IntArray
    time: IntArray


@dataclass(frozen=True)
class _Events:
    tag_seller: IntArray
    tag_buyer: IntArray
    tag_reason: IntArray
    tag_backed: BoolArray
    tag_time: IntArray
    clean_seller: IntArray
    clean_buyer: IntArray
    clean_time: IntArray


def _none() -> IntArray:
    return np.zeros(0, dtype=np.int64)


_NO_EVENTS = _Events(_none(), _none(), _none(), np.zeros(0, np.bool_), *(_none(),) * 4)


def _concat(parts: list[_Events]) -> _Events:
    return _Events(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Events)))


def simulate(params: SimulationParams, seed: int = 0) -> Marketplace:
    """Generate one marketplace; the same params and seed always give the same marketplace."""
    rng = np.random.default_rng(seed)
    world = _world(params, rng)
    orders = _orders(world, rng)
    events = _concat(
        [_order_outcomes(world, orders, rng), _sabotage(world, orders, rng), _rings(world, rng)]
    )
    return Marketplace(
        name=f"simulated, {params.malicious_seller_share:.0%} malicious sellers",
        now=world.now,
        n_sellers=params.sellers,
        n_buyers=params.buyers,
        tag_seller=events.tag_seller,
        tag_buyer=events.tag_buyer,
        tag_reason=events.tag_reason,
        tag_order_backed=events.tag_backed,
        tag_time=events.tag_time,
        clean_seller=events.clean_seller,
        clean_buyer=events.clean_buyer,
        clean_time=events.clean_time,
        seller_age_days=world.ages,
        seller_kind=tuple(str(k) for k in world.kinds),
        buyer_bad=np.isin(world.buyer_reason, _MISCONDUCT),
        buyer_labelled=np.ones(params.buyers, dtype=np.bool_),
        buyer_kind=tuple("honest" if r < 0 else REASONS[r].code for r in world.buyer_reason),
    )


def _world(params: SimulationParams, rng: np.random.Generator) -> _World:
    kinds = np.array(_seller_kinds(params))
    # Trading sellers are months to years old; ring accounts were opened within the last month.
    established = rng.uniform(30.0, 2.0 * params.history_days, len(kinds))
    new = rng.uniform(1.0, 30.0, len(kinds))
    ages = np.where(np.isin(kinds, RING_KINDS), new, established)
    return _World(params, kinds, ages, _buyer_reasons(params, rng), int(NOW.timestamp()))


def _seller_kinds(params: SimulationParams) -> list[str]:
    """Honest sellers first, then each malicious kind in `MALICIOUS_KINDS` order."""
    malicious = round(params.malicious_seller_share * params.sellers)
    weights = np.array(
        [
            params.saboteur_share,
            params.indiscriminate_share,
            params.sybil_share,
            params.booster_share,
        ]
    )
    counts = np.zeros(len(MALICIOUS_KINDS), dtype=np.int64)
    if malicious and weights.sum() > 0:
        exact = malicious * weights / weights.sum()
        counts = np.floor(exact).astype(np.int64)
        leftover = np.argsort(-(exact - counts))[: malicious - counts.sum()]
        counts[leftover] += 1
    kinds = ["honest"] * (params.sellers - int(counts.sum()))
    for kind, count in zip(MALICIOUS_KINDS, counts, strict=True):
        kinds += [kind] * int(count)
    return kinds


def _buyer_reasons(params: SimulationParams, rng: np.random.Generator) -> IntArray:
    u = rng.random(params.buyers)
    reason = np.full(params.buyers, -1, dtype=np.int64)
    bad = u < params.bad_buyer_share
    logistics = ~bad & (u < params.bad_buyer_share + params.logistics_buyer_share)
    reason[bad] = rng.choice(_MISCONDUCT, bad.sum())
    reason[logistics] = rng.choice(_LOGISTICS, logistics.sum())
    return reason


def _orders(world: _World, rng: np.random.Generator) -> _Orders:
    """Each buyer orders at least once from trading sellers, popular sellers more often."""
    params = world.params
    counts = 1 + rng.poisson(params.orders_per_buyer - 1.0, params.buyers)
    buyer = np.repeat(np.arange(params.buyers, dtype=np.int64), counts)
    trading = np.flatnonzero(~np.isin(world.kinds, RING_KINDS)).astype(np.int64)
    popularity = rng.lognormal(0.0, 1.0, len(trading))
    seller = rng.choice(trading, len(buyer), p=popularity / popularity.sum())
    span = np.minimum(world.ages[seller], params.history_days) * DAY
    time = world.now - (rng.random(len(buyer)) * span).astype(np.int64)
    return _Orders(buyer, seller, time)


def _order_outcomes(world: _World, orders: _Orders, rng: np.random.Generator) -> _Events:
    """What the seller of each order submits: a tag, a clean order, or nothing."""
    params, n = world.params, len(orders.buyer)
    reason = world.buyer_reason[orders.buyer]
    u = rng.random((6, n))
    trouble = (np.isin(reason, _MISCONDUCT) & (u[0] < params.misbehave_rate)) | (
        np.isin(reason, _LOGISTICS) & (u[0] < params.logistics_trouble_rate)
    )
    indiscriminate = world.kinds[orders.seller] == "indiscriminate"
    spurious = ~trouble & (u[1] < params.false_tag_rate)
    spurious |= indiscriminate & (u[1] < params.indiscriminate_tag_rate)
    tagged = (trouble & (u[2] < params.report_rate)) | spurious
    clean = ~tagged & ~trouble & (u[3] < params.clean_record_rate)
    # A seller may pick the wrong reason, but does not mistake a refused parcel for misconduct.
    wrong = u[4] < params.wrong_reason_rate
    tag_reason = np.where(wrong, rng.choice(_MISCONDUCT, n), reason)
    tag_reason = np.where(
        wrong & np.isin(reason, _LOGISTICS), rng.choice(_LOGISTICS, n), tag_reason
    )
    tag_reason = np.where(spurious, rng.choice(_MISCONDUCT, n), tag_reason)
    delay = (rng.random(n) * 14 * DAY).astype(np.int64)
    return _Events(
        orders.seller[tagged],
        orders.buyer[tagged],
        tag_reason[tagged],
        (u[5] < params.order_backed_rate)[tagged],
        np.minimum(orders.time[tagged] + delay[tagged], world.now),
        orders.seller[clean],
        orders.buyer[clean],
        orders.time[clean],
    )


def _sabotage(world: _World, orders: _Orders, rng: np.random.Generator) -> _Events:
    """Each saboteur picks an honest competitor and tags its honest customers, without orders."""
    rivals = np.flatnonzero(world.kinds == "honest")
    parts = [_NO_EVENTS]
    for saboteur in np.flatnonzero(world.kinds == "saboteur") if len(rivals) else ():
        customers = np.unique(orders.buyer[orders.seller == rng.choice(rivals)])
        customers = customers[world.buyer_reason[customers] < 0]
        targets = rng.permutation(customers)[: world.params.saboteur_targets].astype(np.int64)
        n = len(targets)
        time = world.now - (rng.random(n) * 90 * DAY).astype(np.int64)
        parts.append(
            replace(
                _NO_EVENTS,
                tag_seller=np.full(n, saboteur, dtype=np.int64),
                tag_buyer=targets,
                tag_reason=rng.choice(_MISCONDUCT, n),
                tag_backed=np.zeros(n, dtype=np.bool_),
                tag_time=time,
            )
        )
    return _concat(parts)


def _rings(world: _World, rng: np.random.Generator) -> _Events:
    """Sybil rings accuse the same honest buyers; boosting rings vouch for the same bad buyers."""
    parts = [_NO_EVENTS]
    honest = np.flatnonzero(world.buyer_reason < 0)
    bad = np.flatnonzero(np.isin(world.buyer_reason, _MISCONDUCT))
    size = world.params.ring_size
    for kind, pool in (("sybil", honest), ("booster", bad)):
        members = np.flatnonzero(world.kinds == kind)
        for start in range(0, len(members), size):
            targets = rng.permutation(pool)[: world.params.ring_targets]
            parts.append(_ring_events(world, kind, members[start : start + size], targets, rng))
    return _concat(parts)


def _ring_events(
    world: _World, kind: str, ring: IntArray, targets: IntArray, rng: np.random.Generator
) -> _Events:
    """Every member rates every target, at some time since the member's account was opened."""
    seller = np.repeat(ring, len(targets)).astype(np.int64)
    buyer = np.tile(targets, len(ring)).astype(np.int64)
    time = world.now - (rng.random(len(seller)) * world.ages[seller] * DAY).astype(np.int64)
    if kind == "booster":
        return replace(_NO_EVENTS, clean_seller=seller, clean_buyer=buyer, clean_time=time)
    return replace(
        _NO_EVENTS,
        tag_seller=seller,
        tag_buyer=buyer,
        tag_reason=np.full(len(seller), rng.choice(_MISCONDUCT), dtype=np.int64),
        tag_backed=np.zeros(len(seller), dtype=np.bool_),
        tag_time=time,
    )


def to_json(market: Marketplace, params: SimulationParams, seed: int) -> dict[str, Any]:
    """A plain-JSON dataset: sellers with kind and age, buyers with truth, tags and clean orders."""

    def iso(t: int) -> str:
        return datetime.fromtimestamp(int(t), tz=UTC).isoformat()

    return {
        "params": asdict(params),
        "seed": seed,
        "now": iso(market.now),
        "sellers": [
            {"id": i, "kind": kind, "age_days": round(float(age), 1)}
            for i, (kind, age) in enumerate(
                zip(market.seller_kind, market.seller_age_days, strict=True)
            )
        ],
        "buyers": [
            {"id": i, "kind": kind, "bad": bool(bad)}
            for i, (kind, bad) in enumerate(zip(market.buyer_kind, market.buyer_bad, strict=True))
        ],
        "tags": [
            {
                "seller": int(s),
                "buyer": int(b),
                "reason": REASONS[r].code,
                "order_backed": bool(o),
                "created_at": iso(t),
            }
            for s, b, r, o, t in zip(
                market.tag_seller,
                market.tag_buyer,
                market.tag_reason,
                market.tag_order_backed,
                market.tag_time,
                strict=True,
            )
        ],
        "clean_orders": [
            {"seller": int(s), "buyer": int(b), "completed_at": iso(t)}
            for s, b, t in zip(
                market.clean_seller, market.clean_buyer, market.clean_time, strict=True
            )
        ],
    }


def _is_number(value: object, *, whole: bool) -> bool:
    kinds = int if whole else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)


def params_from(**params: Any) -> SimulationParams:
    """`SimulationParams` from keyword parameters; an unknown name is an InvalidInputError."""
    known = {f.name for f in fields(SimulationParams)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInputError(
            f"unknown simulation parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return SimulationParams(**params)


def simulate_json(*, seed: int = 0, **params: Any) -> dict[str, Any]:
    """`to_json(simulate(...))` from keyword parameters named as in `SimulationParams`."""
    simulation = params_from(**params)
    return to_json(simulate(simulation, seed), simulation, seed)

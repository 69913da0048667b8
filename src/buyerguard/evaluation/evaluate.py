"""Scores a marketplace exactly as the registry would, and measures the scores against the truth.

Storage keeps one active tag per seller, buyer and reason (it refuses a second one) and drops
expired tags; a seller who accuses a buyer of misconduct is not among its clean-order sellers. The
trust job computes trust from the active tags and clean orders, then rebuilds the per-reason
anchored sums and the clean weights with it, and a lookup scores those aggregates. This module does
the same in memory, so the measured numbers are the ones a deployment would see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from buyerguard.domain.reasons import REASONS
from buyerguard.domain.reputation import (
    EPOCH,
    HIGH_RISK,
    BuyerEvidence,
    ReasonEvidence,
    score,
    tag_weight,
)
from buyerguard.domain.trust import TrustGraph, compute_trust
from buyerguard.evaluation.marketplace import BoolArray, FloatArray, IntArray, Marketplace
from buyerguard.evaluation.metrics import distinct_reporters, negative_share, roc_auc, share_above

_HALF_LIFE_SECONDS = np.array([r.half_life.total_seconds() for r in REASONS])
_EXPIRY_SECONDS = np.array([r.expires_after.total_seconds() for r in REASONS])


@dataclass(frozen=True)
class StoredTags:
    """Active tags as storage holds them: one per seller, buyer and reason, none expired."""

    seller: IntArray
    buyer: IntArray
    reason: IntArray
    order_backed: BoolArray
    time: IntArray


@dataclass(frozen=True)
class Evaluation:
    """Model and baselines on one dataset; `caught` and `wrongly_declined` are at HIGH_RISK."""

    name: str
    buyers: int
    bad_buyers: int
    tags: int
    clean_orders: int
    auc: float
    caught: float
    wrongly_declined: float
    negative_share_auc: float
    distinct_reporters_auc: float
    mean_rating_auc: float | None


def stored_tags(market: Marketplace) -> StoredTags:
    """Storage refuses a second active tag by one seller for one reason: the first one stays."""
    n_reasons = len(REASONS)
    key = (
        market.tag_seller.astype(np.int64) * market.n_buyers + market.tag_buyer
    ) * n_reasons + market.tag_reason
    order = np.lexsort((market.tag_time, key))
    keys, first = np.unique(key[order], return_index=True)
    kept = order[first]
    reason = keys % n_reasons
    pair = keys // n_reasons
    time = market.tag_time[kept].astype(np.int64)
    active = market.now - time <= _EXPIRY_SECONDS[reason]
    return StoredTags(
        seller=(pair // market.n_buyers)[active],
        buyer=(pair % market.n_buyers)[active],
        reason=reason[active],
        order_backed=market.tag_order_backed[kept][active],
        time=time[active],
    )


def trust_graph(market: Marketplace, tags: StoredTags) -> TrustGraph:
    """The trust job's input; these datasets have no appeals."""
    none = np.zeros(market.n_sellers, dtype=np.int64)
    return TrustGraph(
        n_sellers=market.n_sellers,
        n_buyers=market.n_buyers,
        tag_seller=tags.seller,
        tag_buyer=tags.buyer,
        tag_reason=tags.reason,
        tag_order_backed=tags.order_backed,
        clean_seller=market.clean_seller,
        clean_buyer=market.clean_buyer,
        seller_age_days=market.seller_age_days,
        appeals_lost=none,
        appeals_won=none,
    )


def buyer_evidence(
    market: Marketplace, tags: StoredTags, trust: FloatArray, buyers: IntArray
) -> list[BuyerEvidence]:
    """The aggregates storage would hold for each of `buyers`, given the trust job's `trust`."""
    weight = np.array(
        [
            tag_weight(float(t), order_backed=bool(o))
            for t, o in zip(trust[tags.seller], tags.order_backed, strict=True)
        ]
    )
    seconds = (tags.time - int(EPOCH.timestamp())).astype(np.float64)
    anchored = weight * np.exp2(seconds / _HALF_LIFE_SECONDS[tags.reason])
    misconduct = np.array([r.misconduct for r in REASONS])[tags.reason]
    accusers = tags.seller[misconduct] * market.n_buyers + tags.buyer[misconduct]
    pairs = np.unique(market.clean_seller.astype(np.int64) * market.n_buyers + market.clean_buyer)
    # A seller who accuses the buyer of misconduct does not also vouch for it.
    pairs = pairs[~np.isin(pairs, accusers)]
    clean_buyers = pairs % market.n_buyers
    clean_weight = np.bincount(
        clean_buyers, trust[pairs // market.n_buyers], minlength=market.n_buyers
    )
    clean_count = np.bincount(clean_buyers, minlength=market.n_buyers)
    by_buyer = _reason_evidence(tags, anchored)
    return [
        BuyerEvidence(
            reasons=by_buyer.get(int(b), ()),
            clean_sellers=int(clean_count[b]),
            clean_weight=float(clean_weight[b]),
        )
        for b in buyers
    ]


def _reason_evidence(
    tags: StoredTags, anchored: FloatArray
) -> dict[int, tuple[ReasonEvidence, ...]]:
    n_reasons = len(REASONS)
    keys, inverse = np.unique(tags.buyer * n_reasons + tags.reason, return_inverse=True)
    sellers = np.bincount(inverse, minlength=len(keys))
    backed = np.bincount(inverse, tags.order_backed.astype(np.float64), minlength=len(keys))
    weight = np.bincount(inverse, anchored, minlength=len(keys))
    last = np.full(len(keys), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, inverse, tags.time)
    grouped: dict[int, list[ReasonEvidence]] = {}
    for i, key in enumerate(keys):
        grouped.setdefault(int(key) // n_reasons, []).append(
            ReasonEvidence(
                reason=REASONS[int(key) % n_reasons].code,
                sellers=int(sellers[i]),
                order_backed=int(backed[i]),
                anchored_weight=float(weight[i]),
                last_at=datetime.fromtimestamp(int(last[i]), tz=UTC),
            )
        )
    return {buyer: tuple(items) for buyer, items in grouped.items()}


def model_scores(market: Marketplace) -> tuple[FloatArray, FloatArray]:
    """The risk score of every labelled buyer (in index order) and the trust of every seller."""
    tags = stored_tags(market)
    trust = compute_trust(trust_graph(market, tags))
    buyers = np.flatnonzero(market.buyer_labelled).astype(np.int64)
    now = market.now_datetime
    evidence = buyer_evidence(market, tags, trust, buyers)
    return np.array([score(e, now=now).score for e in evidence], dtype=np.float64), trust


def evaluate(market: Marketplace) -> Evaluation:
    scores, _ = model_scores(market)
    labelled = market.buyer_labelled
    bad = market.buyer_bad[labelled]
    mean_rating = (
        None if market.mean_rating is None else roc_auc(-market.mean_rating[labelled], bad)
    )
    return Evaluation(
        name=market.name,
        buyers=int(labelled.sum()),
        bad_buyers=int(bad.sum()),
        tags=len(market.tag_seller),
        clean_orders=len(market.clean_seller),
        auc=roc_auc(scores, bad),
        caught=share_above(scores, bad, HIGH_RISK),
        wrongly_declined=share_above(scores, ~bad, HIGH_RISK),
        negative_share_auc=roc_auc(negative_share(market)[labelled], bad),
        distinct_reporters_auc=roc_auc(distinct_reporters(market)[labelled], bad),
        mean_rating_auc=mean_rating,
    )

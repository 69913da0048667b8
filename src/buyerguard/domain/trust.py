"""Reporter trust: how much each seller's tags and clean orders count, learned from the whole graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from buyerguard.domain.reputation import ORDER_BACKED_FACTOR, UNBACKED_FACTOR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PRIOR_BAD = 0.1
THETA_PRIOR = (1.0, 1.0)
PHI_PRIOR = (0.25, 4.75)
MATURITY_DAYS = 180.0
APPEAL_WEIGHT = 3.0
GENUINE_PRIOR = 0.8
TAG_HIT = np.array([0.8, 0.2])
CLEAN_HIT = np.array([0.08, 0.5])
_PRIOR_SKILL = GENUINE_PRIOR
NEW_SELLER_TRUST = 0.05
_MATURITY_FLOOR = NEW_SELLER_TRUST / _PRIOR_SKILL


@dataclass(frozen=True)
class TrustGraph:
    n_sellers: int
    n_buyers: int
    tag_seller: npt.NDArray[np.integer]
    tag_buyer: npt.NDArray[np.integer]
    tag_reason: npt.NDArray[np.integer]
    tag_order_backed: npt.NDArray[np.bool_]
    clean_seller: npt.NDArray[np.integer]
    clean_buyer: npt.NDArray[np.integer]
    seller_age_days: npt.NDArray[np.floating]
    appeals_lost: npt.NDArray[np.integer]
    appeals_won: npt.NDArray[np.integer]


@dataclass(frozen=True)
class _Ratings:
    seller: IntArray
    buyer: IntArray
    backing: FloatArray
    complaint: npt.NDArray[np.bool_]


def _ratings(graph: TrustGraph) -> _Ratings:
    n = max(graph.n_buyers, 1)
    ts = np.asarray(graph.tag_seller, dtype=np.int64)
    tb = np.asarray(graph.tag_buyer, dtype=np.int64)
    backed = np.asarray(graph.tag_order_backed, dtype=np.bool_)
    keys, inverse = np.unique(ts * n + tb, return_inverse=True)
    any_backed = np.zeros(len(keys), dtype=np.bool_)
    np.logical_or.at(any_backed, inverse, backed)
    cs = np.asarray(graph.clean_seller, dtype=np.int64)
    cb = np.asarray(graph.clean_buyer, dtype=np.int64)
    clean_keys = np.unique(cs * n + cb)
    all_keys = np.concatenate([keys, clean_keys])
    return _Ratings(
        seller=all_keys // n,
        buyer=all_keys % n,
        backing=np.concatenate(
            [
                np.where(any_backed, 1.0, UNBACKED_FACTOR / ORDER_BACKED_FACTOR),
                np.ones(len(clean_keys)),
            ]
        ),
        complaint=np.arange(len(all_keys)) < len(keys),
    )


def maturity(age_days: npt.NDArray[np.floating]) -> FloatArray:
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    return _MATURITY_FLOOR + (1.0 - _MATURITY_FLOOR) * age / (age + MATURITY_DAYS)


def compute_trust(graph: TrustGraph, *, iterations: int = 20) -> FloatArray:
    """Trust per seller in [0, 1]."""
    r = _ratings(graph)
    mature = maturity(graph.seller_age_days)
    n = graph.n_sellers
    complains = np.bincount(r.seller[r.complaint], minlength=n) > 0
    vouches = np.bincount(r.seller[~r.complaint], minlength=n) > 0
    theta = np.full(n, THETA_PRIOR[0] / sum(THETA_PRIOR))
    phi = np.where(complains & vouches, PHI_PRIOR[0] / sum(PHI_PRIOR), theta)
    won = np.asarray(graph.appeals_won, dtype=np.float64) * APPEAL_WEIGHT
    lost = np.asarray(graph.appeals_lost, dtype=np.float64) * APPEAL_WEIGHT
    c = r.complaint
    for _ in range(iterations):
        q, w = _posterior(graph.n_buyers, r, mature, theta, phi)
        theta = (np.bincount(r.seller[c], w[c] * q[c], minlength=n) + THETA_PRIOR[0] + won) / (
            np.bincount(r.seller, w * q, minlength=n) + sum(THETA_PRIOR) + won
        )
        phi = (np.bincount(r.seller[c], w[c] * (1 - q[c]), minlength=n) + PHI_PRIOR[0] + lost) / (
            np.bincount(r.seller, w * (1 - q), minlength=n) + sum(PHI_PRIOR) + lost
        )
    q, w = _posterior(graph.n_buyers, r, mature, theta, phi)
    hit = np.where(c, TAG_HIT, CLEAN_HIT)
    llr = np.log(
        (q * hit[:, 0] + (1 - q) * (1 - hit[:, 0])) / (q * hit[:, 1] + (1 - q) * (1 - hit[:, 1]))
    )
    appeal_llr = np.log(TAG_HIT[0] / TAG_HIT[1])
    odds = (
        np.log(GENUINE_PRIOR / (1 - GENUINE_PRIOR))
        + np.bincount(r.seller, w * llr, minlength=n)
        + (won - lost) * appeal_llr
    )
    genuine = 1.0 / (1.0 + np.exp(-odds))
    return np.asarray(mature * genuine, dtype=np.float64)


def _posterior(
    n_buyers: int, r: _Ratings, mature: FloatArray, theta: FloatArray, phi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    tag_llr = np.maximum(np.log(theta / phi), 0.0)
    clean_llr = np.maximum(np.log((1.0 - phi) / (1.0 - theta)), 0.0)
    llr = mature[r.seller] * np.where(
        r.complaint, r.backing * tag_llr[r.seller], -clean_llr[r.seller]
    )
    total = np.bincount(r.buyer, llr, minlength=n_buyers)
    evidence = np.bincount(r.buyer, np.abs(llr), minlength=n_buyers)
    others = total[r.buyer] - llr
    weight = 1.0 - np.exp(-(evidence[r.buyer] - np.abs(llr)))
    q = 1.0 / (1.0 + np.exp(-(np.log(PRIOR_BAD / (1 - PRIOR_BAD)) + total[r.buyer])))
    return np.asarray(q, dtype=np.float64), np.asarray(weight, dtype=np.float64)

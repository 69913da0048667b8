"""Ranking and decision metrics, and the naive scores the model is compared with."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from buyerguard.evaluation.marketplace import BoolArray, FloatArray, Marketplace


def roc_auc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float:
    """Probability that a random positive outranks a random negative, ties counting one half.

    Computed from the Mann-Whitney U statistic on average ranks; NaN when a class is empty.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=np.bool_)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def share_above(scores: FloatArray, mask: BoolArray, threshold: float) -> float:
    """Share of the buyers in `mask` scored at or above `threshold` (NaN for an empty mask)."""
    if not mask.any():
        return float("nan")
    return float((scores[mask] >= threshold).mean())


def negative_share(market: Marketplace) -> FloatArray:
    """Naive baseline: negatives / (negatives + positives) per buyer over raw events; 0 if none."""
    negatives = np.bincount(market.tag_buyer, minlength=market.n_buyers).astype(np.float64)
    positives = np.bincount(market.clean_buyer, minlength=market.n_buyers).astype(np.float64)
    total = negatives + positives
    return np.divide(negatives, total, out=np.zeros_like(total), where=total > 0)


def distinct_reporters(market: Marketplace) -> FloatArray:
    """Naive baseline: how many distinct sellers tagged the buyer, for any reason."""
    pairs = np.unique(market.tag_seller.astype(np.int64) * market.n_buyers + market.tag_buyer)
    return np.bincount(pairs % market.n_buyers, minlength=market.n_buyers).astype(np.float64)

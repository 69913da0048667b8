"""ROC AUC and the naive baselines, checked against definitions computed the slow way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from buyerguard.evaluation.marketplace import Marketplace
from buyerguard.evaluation.metrics import distinct_reporters, negative_share, roc_auc, share_above


def test_a_perfect_ranking_scores_one_and_a_reversed_one_zero() -> None:
    scores = [0.1, 0.2, 0.8, 0.9]
    bad = [False, False, True, True]

    assert roc_auc(scores, bad) == 1.0
    assert roc_auc([-s for s in scores], bad) == 0.0


def test_ties_count_one_half() -> None:
    assert roc_auc([0.5, 0.5, 0.5], [True, False, False]) == 0.5


def test_auc_is_undefined_without_both_classes() -> None:
    assert math.isnan(roc_auc([0.1, 0.2], [True, True]))


@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=40).filter(
        lambda rows: 0 < sum(b for _, b in rows) < len(rows)
    )
)
def test_auc_is_the_share_of_correctly_ordered_pairs(rows: list[tuple[int, bool]]) -> None:
    positives = [s for s, b in rows if b]
    negatives = [s for s, b in rows if not b]
    pairs = [(p > n) + 0.5 * (p == n) for p in positives for n in negatives]

    auc = roc_auc([s for s, _ in rows], [b for _, b in rows])

    assert auc == pytest.approx(sum(pairs) / len(pairs))


def test_share_above_counts_scores_at_or_above_the_threshold() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.4])
    mask = np.array([True, True, True, False])

    assert share_above(scores, mask, 0.2) == pytest.approx(2 / 3)
    assert math.isnan(share_above(scores, np.zeros(4, dtype=np.bool_), 0.2))


def tiny_market() -> Marketplace:
    """Buyer 0: two sellers complained (one twice) and one vouched; one vouched for buyer 1."""
    ints = np.array
    return Marketplace(
        name="tiny",
        now=0,
        n_sellers=3,
        n_buyers=3,
        tag_seller=ints([0, 0, 1]),
        tag_buyer=ints([0, 0, 0]),
        tag_reason=ints([0, 1, 0]),
        tag_order_backed=np.ones(3, dtype=np.bool_),
        tag_time=ints([0, 0, 0]),
        clean_seller=ints([2, 2]),
        clean_buyer=ints([0, 1]),
        clean_time=ints([0, 0]),
        seller_age_days=np.zeros(3),
        seller_kind=("honest",) * 3,
        buyer_bad=np.array([True, False, False]),
        buyer_labelled=np.ones(3, dtype=np.bool_),
        buyer_kind=("other", "honest", "honest"),
    )


def test_negative_share_counts_raw_reports() -> None:
    np.testing.assert_allclose(negative_share(tiny_market()), [3 / 4, 0.0, 0.0])


def test_distinct_reporters_counts_each_seller_once() -> None:
    np.testing.assert_allclose(distinct_reporters(tiny_market()), [2, 0, 0])

"""Evaluation mirrors storage, and on a small attacked marketplace the model beats the baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from buyerguard.domain.reasons import REASON_CODES, get_reason
from buyerguard.domain.reputation import anchored, tag_weight
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.evaluation.evaluate import (
    buyer_evidence,
    evaluate,
    model_scores,
    stored_tags,
)
from buyerguard.evaluation.marketplace import Marketplace
from buyerguard.evaluation.simulator import NOW, SimulationParams, simulate

ATTACKED = SimulationParams(buyers=1500, sellers=150, malicious_seller_share=0.3)
DAY = 86_400
T0 = int(NOW.timestamp())


def test_the_model_beats_both_baselines_under_attack() -> None:
    result = evaluate(simulate(ATTACKED, 5))

    assert result.auc > result.negative_share_auc + 0.02
    assert result.auc > result.distinct_reporters_auc + 0.02
    assert result.caught > 0.8
    assert result.wrongly_declined < 0.02


def test_malicious_sellers_end_up_with_less_trust_than_honest_ones() -> None:
    market = simulate(ATTACKED, 5)
    _, trust = model_scores(market)
    kinds = np.array(market.seller_kind)
    honest = np.median(trust[kinds == "honest"])

    for kind in ("saboteur", "indiscriminate"):
        assert np.median(trust[kinds == kind]) < honest / 4, kind
    for kind in ("sybil", "booster"):
        assert trust[kinds == kind].max() < NEW_SELLER_TRUST, kind


def market(
    tags: list[tuple[int, int, str, bool, int]], clean: list[tuple[int, int]], n: int = 3
) -> Marketplace:
    """`tags` as (seller, buyer, reason, order_backed, days before NOW); clean orders are recent."""
    ints = np.array
    return Marketplace(
        name="handmade",
        now=T0,
        n_sellers=n,
        n_buyers=n,
        tag_seller=ints([t[0] for t in tags], dtype=np.int64),
        tag_buyer=ints([t[1] for t in tags], dtype=np.int64),
        tag_reason=ints([REASON_CODES.index(t[2]) for t in tags], dtype=np.int64),
        tag_order_backed=ints([t[3] for t in tags], dtype=np.bool_),
        tag_time=ints([T0 - t[4] * DAY for t in tags], dtype=np.int64),
        clean_seller=ints([c[0] for c in clean], dtype=np.int64),
        clean_buyer=ints([c[1] for c in clean], dtype=np.int64),
        clean_time=np.full(len(clean), T0, dtype=np.int64),
        seller_age_days=np.full(n, 400.0),
        seller_kind=("honest",) * n,
        buyer_bad=np.array([True] + [False] * (n - 1)),
        buyer_labelled=np.ones(n, dtype=np.bool_),
        buyer_kind=("other",) + ("honest",) * (n - 1),
    )


def test_storage_keeps_the_first_tag_per_seller_and_reason_and_drops_expired_ones() -> None:
    expiry = get_reason("other").expires_after.days
    stored = stored_tags(
        market(
            [
                (0, 0, "non_payment", False, 10),
                (0, 0, "non_payment", True, 5),
                (0, 0, "card_fraud", True, 5),
                (1, 0, "other", True, expiry + 1),
            ],
            [],
        )
    )

    kept = {
        REASON_CODES[r]: (bool(backed), int(time))
        for r, backed, time in zip(stored.reason, stored.order_backed, stored.time, strict=True)
    }
    assert kept == {"non_payment": (False, T0 - 10 * DAY), "card_fraud": (True, T0 - 5 * DAY)}


def test_buyer_evidence_holds_what_storage_would() -> None:
    m = market(
        [(0, 0, "non_payment", True, 30), (1, 0, "non_payment", False, 60)],
        [(1, 0), (2, 0), (2, 1)],
    )
    trust = np.array([0.9, 0.5, 0.7])
    [first, second] = buyer_evidence(m, stored_tags(m), trust, np.array([0, 1]))
    reason = get_reason("non_payment")
    expected = anchored(
        tag_weight(0.9, order_backed=True), reason, NOW - timedelta(days=30)
    ) + anchored(tag_weight(0.5, order_backed=False), reason, NOW - timedelta(days=60))

    [evidence] = first.reasons
    assert (evidence.sellers, evidence.order_backed) == (2, 1)
    assert evidence.anchored_weight == pytest.approx(expected, rel=1e-9)
    # Seller 1 both complained about buyer 0 and completed an order with it: it does not vouch.
    assert first.clean_sellers == second.clean_sellers == 1
    assert first.clean_weight == second.clean_weight == pytest.approx(0.7)
    assert second.reasons == ()


def test_a_separable_marketplace_ranks_perfectly() -> None:
    m = market([(0, 0, "card_fraud", True, 1), (1, 0, "card_fraud", True, 1)], [(0, 1), (1, 2)])

    result = evaluate(replace(m, seller_age_days=np.full(3, 900.0)))

    assert result.auc == 1.0
    assert (result.buyers, result.bad_buyers) == (3, 1)

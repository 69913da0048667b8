"""Reporter trust on small hand-built graphs: who earns it, who loses it, and what cannot buy it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.trust import (
    GENUINE_PRIOR,
    NEW_SELLER_TRUST,
    TrustGraph,
    compute_trust,
    maturity,
)

OLD = 900.0
REASON_INDEX = {reason.code: index for index, reason in enumerate(REASONS)}
# The community used by most tests: sellers 0-9 are established and honest. Buyers 0-4 are bad:
# each was tagged (with an order) by five of them. Buyers 5-39 are honest: each completed clean
# orders with three of them.
HONEST = range(10)
BAD_BUYERS = range(5)
GOOD_BUYERS = range(5, 40)


def graph(
    tags: Sequence[tuple[int, int, bool]],
    clean: Sequence[tuple[int, int]],
    *,
    ages: Sequence[float],
    n_buyers: int = 40,
    lost: list[int] | None = None,
    won: list[int] | None = None,
) -> TrustGraph:
    n = len(ages)
    return TrustGraph(
        n_sellers=n,
        n_buyers=n_buyers,
        tag_seller=np.array([t[0] for t in tags], dtype=np.int64),
        tag_buyer=np.array([t[1] for t in tags], dtype=np.int64),
        tag_reason=np.zeros(len(tags), dtype=np.int64),
        tag_order_backed=np.array([t[2] for t in tags], dtype=np.bool_),
        clean_seller=np.array([c[0] for c in clean], dtype=np.int64),
        clean_buyer=np.array([c[1] for c in clean], dtype=np.int64),
        seller_age_days=np.array(ages, dtype=np.float64),
        appeals_lost=np.array(lost or [0] * n, dtype=np.int64),
        appeals_won=np.array(won or [0] * n, dtype=np.int64),
    )


def community(
    extra_tags: Sequence[tuple[int, int, bool]] = (),
    extra_clean: Sequence[tuple[int, int]] = (),
    extra_ages: Sequence[float] = (),
    **kwargs: Any,
) -> TrustGraph:
    """The shared community plus some more sellers (indices from 10) and their ratings."""
    tags = [(s, b, True) for b in BAD_BUYERS for s in range(b, b + 5)]
    clean = [(s % 10, b) for b in GOOD_BUYERS for s in (b, b + 3, b + 7)]
    ages = [OLD] * len(HONEST)
    return graph(
        tags + list(extra_tags), clean + list(extra_clean), ages=ages + list(extra_ages), **kwargs
    )


def test_honest_established_sellers_are_trusted() -> None:
    trust = compute_trust(community())

    assert trust[list(HONEST)].min() > 0.5


def test_a_new_seller_without_history_gets_the_new_seller_prior() -> None:
    trust = compute_trust(community(extra_ages=[0.0]))

    assert trust[10] == pytest.approx(NEW_SELLER_TRUST)


def test_maturity_grows_with_age_towards_one() -> None:
    levels = maturity(np.array([0.0, 30.0, 180.0, 3650.0]))

    assert list(levels) == sorted(levels)
    assert levels[0] == pytest.approx(NEW_SELLER_TRUST / 0.8)
    assert levels[-1] > 0.9


def test_duplicate_rows_add_no_weight() -> None:
    once = community(extra_tags=[(10, 7, False)], extra_clean=[(10, 2)], extra_ages=[OLD])
    repeated = community(
        extra_tags=[(10, 7, False)] * 5, extra_clean=[(10, 2)] * 5, extra_ages=[OLD]
    )

    np.testing.assert_allclose(compute_trust(repeated), compute_trust(once))


def test_tagging_one_buyer_for_several_reasons_counts_as_one_complaint() -> None:
    once = community(extra_tags=[(10, 7, False)], extra_ages=[OLD])
    reasons = replace(
        community(extra_tags=[(10, 7, False)] * 3, extra_ages=[OLD]),
        tag_reason=np.array([0] * 25 + [1, 2, 3], dtype=np.int64),
    )

    np.testing.assert_allclose(compute_trust(reasons), compute_trust(once))


def test_a_seller_who_tags_indiscriminately_loses_trust() -> None:
    # Seller 10 trades like the others: two correct complaints and clean orders of its own.
    fair_share = [(10, 0, True), (10, 1, True)]
    own_clean = [(10, b) for b in range(30, 40)]
    careful = compute_trust(community(fair_share, own_clean, [OLD]))
    indiscriminate = compute_trust(
        community(fair_share + [(10, b, True) for b in range(5, 30)], own_clean, [OLD])
    )

    assert careful[10] > 0.5
    assert indiscriminate[10] < careful[10] / 10
    assert indiscriminate[10] < NEW_SELLER_TRUST


def test_logistics_tags_are_no_complaints_and_cost_no_trust() -> None:
    # Seller 10 marks buyers that others completed clean orders with as hard to deliver to: a
    # shipping risk, which their clean orders do not contradict.
    fair_share = [(10, 0, True), (10, 1, True)]
    own_clean = [(10, b) for b in range(30, 40)]
    careful = community(fair_share, own_clean, [OLD])
    remote = [(10, b, True) for b in range(5, 20)]
    logistics = replace(
        community(fair_share + remote, own_clean, [OLD]),
        tag_reason=np.array([0] * 27 + [REASON_INDEX["remote_area"]] * 15, dtype=np.int64),
    )

    np.testing.assert_allclose(compute_trust(logistics), compute_trust(careful))


def test_a_seller_whose_tags_lose_appeals_loses_trust() -> None:
    n = len(HONEST) + 1
    own = [(10, 0, True), (10, 1, True)], [(10, b) for b in range(30, 40)], [OLD]
    clean_record = compute_trust(community(*own))
    lost = compute_trust(community(*own, lost=[0] * 10 + [3]))
    won = compute_trust(community(*own, won=[0] * 10 + [3]))

    assert lost[10] < clean_record[10] / 2
    assert won[10] >= clean_record[10]
    assert len(lost) == n


def test_a_sybil_ring_without_orders_gains_no_trust() -> None:
    ring = range(10, 30)
    victims = range(5, 10)
    sybils = [(s, b, False) for s in ring for b in victims]
    trust = compute_trust(community(sybils, [], [3.0] * len(ring)))

    assert trust[list(ring)].max() < NEW_SELLER_TRUST / 10
    assert trust[list(HONEST)].min() > 0.5


def test_a_ring_large_enough_to_outvote_the_community_still_gains_nothing() -> None:
    # 200 accounts outnumber the three clean-order sellers of each victim many times over; they
    # only ever accuse, so they have no voice in the consensus that judges them.
    ring = range(10, 210)
    sybils = [(s, b, True) for s in ring for b in GOOD_BUYERS]
    trust = compute_trust(community(sybils, [], [3.0] * len(ring)))

    assert trust[list(ring)].max() < NEW_SELLER_TRUST / 10
    assert trust[list(HONEST)].min() > 0.5


def test_a_boosting_ring_cannot_vouch_for_bad_buyers() -> None:
    ring = range(10, 30)
    boosts = [(s, b) for s in ring for b in BAD_BUYERS]
    trust = compute_trust(community([], boosts, [3.0] * len(ring)))

    assert trust[list(ring)].max() < NEW_SELLER_TRUST / 10
    assert trust[list(HONEST)].min() > 0.5


def test_ratings_on_buyers_nobody_else_knows_prove_nothing() -> None:
    strangers = [(10, b, True) for b in range(40, 60)]
    trust = compute_trust(community(strangers, [], [0.0], n_buyers=60))

    assert trust[10] == pytest.approx(NEW_SELLER_TRUST)


def one_sided_ring(
    size: int, made_up: int, age: float, *, complains: bool = True, backed: bool = True
) -> tuple[range, TrustGraph, TrustGraph]:
    """A ring of `size` accounts that all rate the same `made_up` buyers nobody else knows, then
    attack a real buyer: complainers tag honest buyer 5 without an order, vouchers record a clean
    order with bad buyer 0. The community without and with the made-up buyers."""
    ring = range(10, 10 + size)
    made_up_buyers = range(40, 40 + made_up)
    ages = [age] * size
    if complains:
        attack = [(s, 5, False) for s in ring]
        own = [(s, b, backed) for s in ring for b in made_up_buyers]
        without = community(attack, [], ages, n_buyers=40 + made_up)
        with_made_up = community(attack + own, [], ages, n_buyers=40 + made_up)
    else:
        attack_clean = [(s, 0) for s in ring]
        own_clean = [(s, b) for s in ring for b in made_up_buyers]
        without = community([], attack_clean, ages, n_buyers=40 + made_up)
        with_made_up = community([], attack_clean + own_clean, ages, n_buyers=40 + made_up)
    return ring, without, with_made_up


def prior_trust(age: float) -> float:
    """What a seller of this age gets when nothing it rated is known to anyone else."""
    [level] = maturity(np.array([age]))
    return float(level * GENUINE_PRIOR)


def test_a_ring_corroborating_itself_on_made_up_buyers_gains_nothing() -> None:
    # Five accounts, 900 days old, file order-backed complaints about the same five buyers nobody
    # else knows, and each tags honest buyer 5, whom three established sellers vouch for.
    ring, without, with_made_up = one_sided_ring(5, 5, OLD)
    trust = compute_trust(with_made_up)

    assert trust[list(ring)].max() <= prior_trust(OLD)
    np.testing.assert_allclose(trust, compute_trust(without))
    assert trust[list(HONEST)].min() > 0.5


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 30),
    made_up=st.integers(1, 40),
    age=st.sampled_from([0.0, 30.0, 180.0, 365.0, OLD, 3650.0]),
    complains=st.booleans(),
    backed=st.booleans(),
)
@example(size=8, made_up=5, age=180.0, complains=True, backed=True)
@example(size=8, made_up=20, age=OLD, complains=True, backed=True)
@example(size=5, made_up=20, age=OLD, complains=False, backed=True)
def test_one_sided_rings_gain_nothing_from_buyers_only_they_know(
    size: int, made_up: int, age: float, complains: bool, backed: bool
) -> None:
    ring, without, with_made_up = one_sided_ring(
        size, made_up, age, complains=complains, backed=backed
    )
    trust = compute_trust(with_made_up)

    assert trust[list(ring)].max() <= prior_trust(age)
    np.testing.assert_allclose(trust, compute_trust(without), rtol=1e-9, atol=1e-12)
    assert trust[list(HONEST)].min() > 0.5


def test_arrays_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        compute_trust(replace(community(), seller_age_days=np.zeros(3)))


@st.composite
def random_graphs(draw: st.DrawFn) -> TrustGraph:
    sellers = draw(st.integers(min_value=1, max_value=12))
    buyers = draw(st.integers(min_value=1, max_value=20))
    seller, buyer = st.integers(0, sellers - 1), st.integers(0, buyers - 1)
    tags = draw(st.lists(st.tuples(seller, buyer, st.booleans()), max_size=60))
    clean = draw(st.lists(st.tuples(seller, buyer), max_size=60))
    ages = draw(st.lists(st.floats(0, 5000), min_size=sellers, max_size=sellers))
    appeals = st.lists(st.integers(0, 5), min_size=sellers, max_size=sellers)
    return graph(tags, clean, ages=ages, n_buyers=buyers, lost=draw(appeals), won=draw(appeals))


@settings(max_examples=50, deadline=None)
@given(random_graphs())
def test_trust_is_always_in_the_unit_interval(g: TrustGraph) -> None:
    trust = compute_trust(g)

    assert trust.shape == (g.n_sellers,)
    assert np.all((trust >= 0.0) & (trust <= 1.0))

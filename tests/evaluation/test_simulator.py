"""The simulated marketplace: reproducible, shaped by its parameters, attackers as named."""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASON_CODES, REASONS
from buyerguard.evaluation.marketplace import IntArray
from buyerguard.evaluation.simulator import SimulationParams, simulate, simulate_json

SMALL = SimulationParams(buyers=600, sellers=80, malicious_seller_share=0.25)


def kind_of(market_kinds: tuple[str, ...], sellers: IntArray) -> npt.NDArray[np.str_]:
    kinds: npt.NDArray[np.str_] = np.array(market_kinds)
    return kinds[sellers]


def test_the_same_seed_gives_the_same_marketplace() -> None:
    a, b = simulate(SMALL, 3), simulate(SMALL, 3)
    other = simulate(SMALL, 4)

    np.testing.assert_array_equal(a.tag_buyer, b.tag_buyer)
    np.testing.assert_array_equal(a.clean_time, b.clean_time)
    assert a.buyer_kind == b.buyer_kind
    assert not np.array_equal(a.buyer_bad, other.buyer_bad)


def test_malicious_sellers_are_split_between_the_four_kinds() -> None:
    market = simulate(SMALL, 0)
    kinds = list(market.seller_kind)

    assert kinds.count("honest") == 60
    assert [kinds.count(k) for k in ("saboteur", "indiscriminate", "sybil", "booster")] == [5] * 4


def test_ring_accounts_are_new_and_never_trade() -> None:
    market = simulate(SMALL, 0)
    tagger = kind_of(market.seller_kind, market.tag_seller)
    voucher = kind_of(market.seller_kind, market.clean_seller)
    ring = np.isin(np.array(market.seller_kind), ["sybil", "booster"])

    assert market.seller_age_days[ring].max() <= 30
    assert not market.tag_order_backed[tagger == "sybil"].any()
    assert not market.buyer_bad[market.tag_buyer[tagger == "sybil"]].any()
    assert (tagger != "booster").all()
    assert market.buyer_bad[market.clean_buyer[voucher == "booster"]].all()


def test_saboteurs_accuse_honest_buyers_without_orders() -> None:
    market = simulate(SMALL, 0)
    kinds = kind_of(market.seller_kind, market.tag_seller)
    unbacked = ~market.tag_order_backed
    honest_buyer = ~market.buyer_bad[market.tag_buyer]

    # Saboteurs also trade honestly; their unbacked tags are nearly all accusations of honest
    # buyers, where an honest seller's unbacked tags are mostly real reports.
    assert honest_buyer[unbacked & (kinds == "saboteur")].mean() > 0.9
    assert honest_buyer[unbacked & (kinds == "honest")].mean() < 0.5


def test_honest_sellers_tag_bad_buyers_far_more_often_and_mostly_with_orders() -> None:
    market = simulate(SimulationParams(buyers=2000, sellers=100), 0)
    complaints = np.bincount(market.tag_buyer, minlength=market.n_buyers)
    honest = np.array([kind == "honest" for kind in market.buyer_kind])

    assert complaints[market.buyer_bad].mean() > 5 * complaints[honest].mean()
    assert market.tag_order_backed.mean() == pytest.approx(0.9, abs=0.03)
    assert market.buyer_bad.mean() == pytest.approx(0.15, abs=0.03)


def test_logistics_buyers_are_not_bad_and_are_tagged_for_logistics() -> None:
    market = simulate(SimulationParams(buyers=2000, sellers=100, logistics_buyer_share=0.2), 0)
    logistics = {r.code for r in REASONS if not r.misconduct}
    buyers = np.array([kind in logistics for kind in market.buyer_kind])
    reasons = np.array([not REASONS[r].misconduct for r in market.tag_reason])

    assert not market.buyer_bad[buyers].any()
    assert buyers[market.tag_buyer[reasons]].all()


@pytest.mark.parametrize(
    "params",
    [
        {"malicious_seller_share": 1.5},
        {"buyers": -1},
        {"orders_per_buyer": 0.5},
        {"bad_buyer_share": 0.8, "logistics_buyer_share": 0.3},
        {"buyers": None},
        {"buyers": "1000"},
        {"buyers": 10.5},
        {"orders_per_buyer": float("inf")},
        {"report_rate": True},
    ],
)
def test_impossible_parameters_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        SimulationParams(**params)  # type: ignore[arg-type]  # the values are deliberately bad


def test_simulate_json_is_plain_json_with_the_whole_dataset() -> None:
    data = simulate_json(seed=2, buyers=50, sellers=10, malicious_seller_share=0.2)
    market = simulate(SimulationParams(buyers=50, sellers=10, malicious_seller_share=0.2), 2)

    assert json.loads(json.dumps(data)) == data
    assert data["seed"] == 2
    assert len(data["buyers"]) == 50
    assert len(data["sellers"]) == 10
    assert len(data["tags"]) == len(market.tag_seller)
    assert len(data["clean_orders"]) == len(market.clean_seller)
    assert {t["reason"] for t in data["tags"]} <= set(REASON_CODES)
    assert sum(b["bad"] for b in data["buyers"]) == int(market.buyer_bad.sum())


def test_simulate_json_names_unknown_parameters() -> None:
    with pytest.raises(InvalidInputError, match="buyer_count"):
        simulate_json(buyer_count=10)

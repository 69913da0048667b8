"""The Bitcoin Alpha loader on the real files, its conditions, and the model's robustness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASON_CODES
from buyerguard.evaluation import bitcoin_alpha
from buyerguard.evaluation.evaluate import evaluate
from buyerguard.evaluation.simulator import NOW

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ratings() -> bitcoin_alpha.Ratings:
    return bitcoin_alpha.load()


def test_the_data_directory_defaults_to_the_shared_folder_beside_the_repository() -> None:
    expected = REPOSITORY.parent / "shared" / "data" / "bitcoin-alpha"

    assert bitcoin_alpha.data_dir({}) == expected
    assert bitcoin_alpha.data_dir({bitcoin_alpha.ENV_VAR: "/data/alpha"}) == Path("/data/alpha")


def test_a_folder_without_the_files_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=bitcoin_alpha.ENV_VAR):
        bitcoin_alpha.load(tmp_path)


def test_the_real_files_parse_with_labels_deduplicated(ratings: bitcoin_alpha.Ratings) -> None:
    assert len(ratings.source) == 24_186
    assert set(np.unique(ratings.rating)) <= set(range(-10, 11)) - {0}
    assert len(ratings.labelled) == len(set(ratings.labelled.tolist())) == 237
    assert int(ratings.fraudulent.sum()) == 102


def test_fair_drops_the_ratings_of_the_label_sources(ratings: bitcoin_alpha.Ratings) -> None:
    vouched = ratings.target[(ratings.source == 1) & (ratings.rating >= 5)]
    fair = bitcoin_alpha.fair(ratings)

    assert len(vouched) > 0
    assert not np.isin(fair.source, np.append(vouched, 1)).any()
    assert len(fair.source) == len(ratings.source) - np.isin(ratings.source, [*vouched, 1]).sum()


@pytest.mark.parametrize(("attack", "rating"), [("sabotage", -10), ("boosting", 10)])
def test_an_attack_adds_new_accounts_rating_every_victim(
    ratings: bitcoin_alpha.Ratings, attack: str, rating: int
) -> None:
    poisoned = bitcoin_alpha.poisoned(ratings, attack, accounts=7)
    added = slice(len(ratings.source), None)
    victims = ratings.labelled[ratings.fraudulent == (attack == "boosting")]

    assert len(poisoned.source[added]) == 7 * len(victims)
    assert set(poisoned.rating[added].tolist()) == {rating}
    assert set(poisoned.target[added].tolist()) == set(victims.tolist())
    assert poisoned.source[added].min() > max(ratings.source.max(), ratings.target.max())


def test_an_unknown_attack_is_refused(ratings: bitcoin_alpha.Ratings) -> None:
    with pytest.raises(InvalidInputError):
        bitcoin_alpha.poisoned(ratings, "flooding", accounts=1)


def test_ratings_become_tags_and_clean_orders_ending_now(ratings: bitcoin_alpha.Ratings) -> None:
    market = bitcoin_alpha.condition(ratings, "clean")

    assert len(market.tag_seller) == int((ratings.rating < 0).sum())
    assert len(market.clean_seller) == int((ratings.rating > 0).sum())
    assert max(market.tag_time.max(), market.clean_time.max()) == int(NOW.timestamp())
    assert {REASON_CODES[r] for r in market.tag_reason} == {"non_payment", "other"}
    assert market.tag_order_backed.all()
    assert int(market.buyer_labelled.sum()) == 237
    strong = market.tag_reason == REASON_CODES.index("non_payment")
    assert strong.sum() == int((ratings.rating <= bitcoin_alpha.STRONG_NEGATIVE).sum())


def test_the_reasons_given_to_negative_ratings_can_be_chosen(
    ratings: bitcoin_alpha.Ratings,
) -> None:
    market = bitcoin_alpha.condition(ratings, "clean", reasons=("card_fraud", "card_fraud"))

    assert {REASON_CODES[r] for r in market.tag_reason} == {"card_fraud"}


def test_the_model_holds_under_sabotage_where_the_baselines_fail(
    ratings: bitcoin_alpha.Ratings,
) -> None:
    result = evaluate(bitcoin_alpha.condition(ratings, "sabotage", accounts=200))

    assert result.negative_share_auc < 0.5
    assert result.distinct_reporters_auc < 0.5
    assert result.auc >= 0.95


def test_the_model_holds_under_boosting_where_the_mean_rating_fails(
    ratings: bitcoin_alpha.Ratings,
) -> None:
    result = evaluate(bitcoin_alpha.condition(ratings, "boosting", accounts=200))

    assert result.mean_rating_auc is not None
    assert result.mean_rating_auc < 0.5
    assert result.auc >= 0.95

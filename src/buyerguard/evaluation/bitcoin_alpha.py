"""Bitcoin Alpha, a real marketplace with fraud labels, read as a registry of tags and clean orders.

Every rating on Bitcoin Alpha follows a trade, so a negative rating is a complaint about an order
(an order-backed tag) and a positive one a trade that went fine (a clean order). Ratings from -10
to -5 ("fraudster, avoid") are tagged `non_payment`; milder ones `other`. Timestamps (2010-2016) are
shifted so the newest rating happens at `NOW`, so tags decay and expire as they would in a
deployment that had been running since then.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASON_CODES
from buyerguard.evaluation.marketplace import BoolArray, IntArray, Marketplace
from buyerguard.evaluation.simulator import DAY, NOW

ENV_VAR = "BUYERGUARD_BITCOIN_ALPHA_DIR"
CONDITIONS = ("clean", "fair", "sabotage", "boosting")
STRONG_NEGATIVE = -5
# Reasons for strong (-10 to STRONG_NEGATIVE) and for milder negative ratings.
REASONS_BY_STRENGTH = ("non_payment", "other")
# Sized so that both naive baselines rank below chance under sabotage and the mean rating does
# under boosting. No boosting can do that to the negative share (most benign users have no negative
# rating, and any fraudster with one still outranks them) nor to the distinct-reporter count.
ATTACK_ACCOUNTS = 500
ATTACK_WINDOW_DAYS = 30.0


@dataclass(frozen=True)
class Ratings:
    """Raw ratings (`source` rated `target`) and the fraud labels, deduplicated by user id."""

    source: IntArray
    target: IntArray
    rating: IntArray
    time: IntArray
    labelled: IntArray
    fraudulent: BoolArray


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$BUYERGUARD_BITCOIN_ALPHA_DIR`, else `shared/data/bitcoin-alpha` beside the repository."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    repository = Path(__file__).resolve().parents[3]
    return repository.parent / "shared" / "data" / "bitcoin-alpha"


def load(directory: Path | None = None) -> Ratings:
    """Read `alpha_network.csv` (source,target,rating,time) and `alpha_gt.csv` (id,+1|-1)."""
    folder = data_dir() if directory is None else directory
    network = folder / "alpha_network.csv"
    truth = folder / "alpha_gt.csv"
    if not network.is_file() or not truth.is_file():
        raise InvalidInputError(f"no Bitcoin Alpha data in {folder}; set {ENV_VAR}")
    rows = np.loadtxt(network, delimiter=",", dtype=np.int64, ndmin=2)
    labels: dict[int, bool] = {}
    for line in truth.read_text().splitlines():
        if line.strip():
            user, label = line.split(",")
            labels.setdefault(int(user), int(label) < 0)
    ids = np.array(sorted(labels), dtype=np.int64)
    return Ratings(
        source=rows[:, 0],
        target=rows[:, 1],
        rating=rows[:, 2],
        time=rows[:, 3],
        labelled=ids,
        fraudulent=np.array([labels[int(i)] for i in ids], dtype=np.bool_),
    )


def fair(ratings: Ratings) -> Ratings:
    """Drop ratings given by user 1 and by everyone user 1 rated +5 or more: the labels' sources."""
    vouched = ratings.target[(ratings.source == 1) & (ratings.rating >= 5)]
    keep = ~np.isin(ratings.source, np.append(vouched, 1))
    return _subset(ratings, keep)


def poisoned(ratings: Ratings, condition: str, *, accounts: int, seed: int = 0) -> Ratings:
    """Add `accounts` new accounts, each rating every labelled victim within the last month.

    "sabotage": -10 to every benign user; "boosting": +10 to every fraudulent user.
    """
    if condition not in ("sabotage", "boosting"):
        raise InvalidInputError(f"unknown attack {condition!r}")
    rng = np.random.default_rng(seed)
    boosting = condition == "boosting"
    victims = ratings.labelled[ratings.fraudulent == boosting]
    first = max(int(ratings.source.max()), int(ratings.target.max())) + 1
    source = np.repeat(np.arange(first, first + accounts, dtype=np.int64), len(victims))
    newest = int(ratings.time.max())
    opened = newest - (rng.random(accounts) * ATTACK_WINDOW_DAYS * DAY).astype(np.int64)
    given = np.repeat(opened, len(victims))
    time = given + (rng.random(len(source)) * (newest - given)).astype(np.int64)
    return replace(
        ratings,
        source=np.concatenate([ratings.source, source]),
        target=np.concatenate([ratings.target, np.tile(victims, accounts)]),
        rating=np.concatenate([ratings.rating, np.full(len(source), 10 if boosting else -10)]),
        time=np.concatenate([ratings.time, time]),
    )


def _subset(ratings: Ratings, keep: BoolArray) -> Ratings:
    return replace(
        ratings,
        source=ratings.source[keep],
        target=ratings.target[keep],
        rating=ratings.rating[keep],
        time=ratings.time[keep],
    )


def condition(
    ratings: Ratings,
    name: str,
    *,
    accounts: int = ATTACK_ACCOUNTS,
    seed: int = 0,
    reasons: tuple[str, str] = REASONS_BY_STRENGTH,
) -> Marketplace:
    """The marketplace for one of `CONDITIONS`."""
    if name == "clean":
        return to_marketplace(ratings, "Bitcoin Alpha, clean", reasons=reasons)
    if name == "fair":
        title = "Bitcoin Alpha, fair (label sources removed)"
        return to_marketplace(fair(ratings), title, reasons=reasons)
    attacked = poisoned(ratings, name, accounts=accounts, seed=seed)
    title = f"Bitcoin Alpha, {name} ({accounts} new accounts)"
    return to_marketplace(attacked, title, reasons=reasons)


def to_marketplace(
    ratings: Ratings, name: str, *, reasons: tuple[str, str] = REASONS_BY_STRENGTH
) -> Marketplace:
    """Users are both sellers (as raters) and buyers (as rated); only labelled users are scored.

    `reasons` are the reason codes for strong and for milder negative ratings.
    """
    now = int(NOW.timestamp())
    time = ratings.time - int(ratings.time.max()) + now
    n = int(max(ratings.source.max(), ratings.target.max(), ratings.labelled.max())) + 1
    first_seen = np.full(n, now, dtype=np.int64)
    np.minimum.at(first_seen, ratings.source, time)
    np.minimum.at(first_seen, ratings.target, time)
    negative = ratings.rating < 0
    count = np.bincount(ratings.target, minlength=n)
    total = np.bincount(ratings.target, ratings.rating.astype(np.float64), minlength=n)
    labelled = np.zeros(n, dtype=np.bool_)
    labelled[ratings.labelled] = True
    bad = np.zeros(n, dtype=np.bool_)
    bad[ratings.labelled[ratings.fraudulent]] = True
    return Marketplace(
        name=name,
        now=now,
        n_sellers=n,
        n_buyers=n,
        tag_seller=ratings.source[negative],
        tag_buyer=ratings.target[negative],
        tag_reason=np.where(
            ratings.rating[negative] <= STRONG_NEGATIVE,
            REASON_CODES.index(reasons[0]),
            REASON_CODES.index(reasons[1]),
        ).astype(np.int64),
        tag_order_backed=np.ones(int(negative.sum()), dtype=np.bool_),
        tag_time=time[negative],
        clean_seller=ratings.source[~negative],
        clean_buyer=ratings.target[~negative],
        clean_time=time[~negative],
        seller_age_days=(now - first_seen) / DAY,
        seller_kind=("unknown",) * n,
        buyer_bad=bad,
        buyer_labelled=labelled,
        buyer_kind=tuple(
            "fraudulent" if b else "benign" if known else "unlabelled"
            for b, known in zip(bad, labelled, strict=True)
        ),
        mean_rating=np.divide(total, count, out=np.zeros(n), where=count > 0),
    )

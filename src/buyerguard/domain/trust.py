"""Reporter trust: how much each seller's tags and clean orders count, learned from the whole graph.

Two steps, both vectorised over every active tag and clean order:

1. A consensus on every buyer, in the manner of Dawid and Skene's "two-coin" model: each seller
   has a rate of complaining about bad buyers (theta) and about honest ones (phi); a buyer's
   posterior of being bad adds the log-likelihood ratios of its ratings, and the rates are
   re-estimated from the posteriors. A rating moves its seller's rates by how much the *other*
   raters' voices say about its buyer, so a seller whose buyers nobody with a voice judges keeps
   the rates of its prior. A seller that has only ever complained (or only ever vouched) has
   shown no ability to tell buyers apart: both its rates share one prior, a log-likelihood ratio
   of zero, and it has no voice until its ratings land where sellers with a voice judge them
   right. Accounts without a voice lend none, however many agree on however many buyers: a ring
   of one-sided accounts cannot vote itself in. A seller that both complains and vouches is
   presumed able to tell buyers apart and starts with the voice its priors give. Accounts with a
   voice, presumed or earned, lend it to one another like any sellers, so a ring of them is held
   back by its maturity alone.
2. The probability that a seller reports in good faith: a genuine seller's complaints mostly hit
   buyers that *others* consider bad and its clean orders rarely do; a malicious seller's do the
   reverse. Each rating counts by how much the other sellers know about its buyer, so ratings on
   buyers nobody else knows prove nothing either way, and volume alone earns nothing.

Trust is that probability times the seller's maturity, which starts low for a new account: a new
seller with no history gets NEW_SELLER_TRUST.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.reputation import ORDER_BACKED_FACTOR, UNBACKED_FACTOR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NEW_SELLER_TRUST = 0.02

# Share of buyers that misbehave, before any rating is seen.
PRIOR_BAD = 0.1
# Beta pseudo-counts for theta = P(complaint | bad buyer) and phi = P(complaint | honest buyer).
THETA_PRIOR = (1.0, 1.0)
PHI_PRIOR = (0.25, 4.75)
# An unbacked complaint says less about a buyer than one about a real order.
UNBACKED_VOICE = UNBACKED_FACTOR / ORDER_BACKED_FACTOR

# Share of sellers presumed to report in good faith before their ratings are judged.
GENUINE_PRIOR = 0.8
# P(the buyer is bad | the seller complained), for a genuine and for a malicious seller.
TAG_HIT = (0.8, 0.2)
# P(the buyer is bad | the seller recorded a clean order), for a genuine and a malicious seller.
CLEAN_HIT = (0.08, 0.2)
# One appeal outcome, decided by a moderator or the buyer's evidence, counts as this many ratings.
APPEAL_WEIGHT = 3.0

_MISCONDUCT = np.array([reason.misconduct for reason in REASONS], dtype=np.bool_)

# Days until an account's maturity is halfway from its floor to 1.
MATURITY_DAYS = 180.0
_MATURITY_FLOOR = NEW_SELLER_TRUST / GENUINE_PRIOR


@dataclass(frozen=True)
class TrustGraph:
    """Active tags and clean orders as parallel arrays of seller and buyer indices.

    `tag_reason` indexes `REASONS`. Only misconduct tags are ratings: a logistics tag (a remote
    area, a refused cash-on-delivery parcel) is contradicted by nobody's clean order. Agreement is
    then judged per seller and buyer: sellers legitimately differ on which reason fits the same
    misconduct.
    """

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
    """One row per distinct (seller, buyer, complaint?) triple."""

    seller: IntArray
    buyer: IntArray
    voice: FloatArray
    complaint: BoolArray


def maturity(age_days: npt.NDArray[np.floating]) -> FloatArray:
    """From NEW_SELLER_TRUST / GENUINE_PRIOR for a new account, halfway to 1 after MATURITY_DAYS."""
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    return np.asarray(
        _MATURITY_FLOOR + (1.0 - _MATURITY_FLOOR) * age / (age + MATURITY_DAYS), dtype=np.float64
    )


def compute_trust(graph: TrustGraph, *, iterations: int = 20) -> FloatArray:
    """Trust per seller in [0, 1]: maturity times the probability that the seller is genuine.

    Duplicate rows (the same seller rating the same buyer again, for any reason) add nothing.
    `appeals_lost` (tags removed on appeal) count as complaints about honest buyers and
    `appeals_won` (tags upheld) as complaints about bad ones, each worth APPEAL_WEIGHT ratings.
    The consensus converges to within 1e-5 in about 20 iterations on real and simulated data.
    """
    _check(graph)
    ratings = _ratings(graph)
    mature = maturity(graph.seller_age_days)
    bad, known = _consensus(graph, ratings, mature, iterations)
    return np.asarray(mature * _genuine(graph, ratings, bad, known), dtype=np.float64)


def _check(graph: TrustGraph) -> None:
    per_seller = (graph.seller_age_days, graph.appeals_lost, graph.appeals_won)
    if any(len(a) != graph.n_sellers for a in per_seller):
        raise InvalidInputError("seller_age_days and appeals need one entry per seller")
    tags = (graph.tag_buyer, graph.tag_reason, graph.tag_order_backed)
    if any(len(a) != len(graph.tag_seller) for a in tags):
        raise InvalidInputError("tag arrays must have the same length")
    if len(graph.clean_seller) != len(graph.clean_buyer):
        raise InvalidInputError("clean-order arrays must have the same length")


def _ratings(graph: TrustGraph) -> _Ratings:
    n = max(graph.n_buyers, 1)
    misconduct = _MISCONDUCT[np.asarray(graph.tag_reason, dtype=np.int64)]
    tag_keys = (
        np.asarray(graph.tag_seller, dtype=np.int64)[misconduct] * n
        + np.asarray(graph.tag_buyer, dtype=np.int64)[misconduct]
    )
    keys, inverse = np.unique(tag_keys, return_inverse=True)
    backed = np.zeros(len(keys), dtype=np.bool_)
    np.logical_or.at(
        backed, inverse, np.asarray(graph.tag_order_backed, dtype=np.bool_)[misconduct]
    )
    clean_keys = np.unique(
        np.asarray(graph.clean_seller, dtype=np.int64) * n
        + np.asarray(graph.clean_buyer, dtype=np.int64)
    )
    all_keys = np.concatenate([keys, clean_keys])
    return _Ratings(
        seller=all_keys // n,
        buyer=all_keys % n,
        voice=np.concatenate([np.where(backed, 1.0, UNBACKED_VOICE), np.ones(len(clean_keys))]),
        complaint=np.arange(len(all_keys)) < len(keys),
    )


def _consensus(
    graph: TrustGraph, r: _Ratings, mature: FloatArray, iterations: int
) -> tuple[FloatArray, FloatArray]:
    """Per rating: the posterior that its buyer is bad, and how much the *other* raters know."""
    n = graph.n_sellers
    complains = np.bincount(r.seller[r.complaint], minlength=n) > 0
    vouches = np.bincount(r.seller[~r.complaint], minlength=n) > 0
    theta_prior = _prior(THETA_PRIOR, n)
    # A one-sided seller's rates share one prior, at the start and at every re-estimate: with
    # PHI_PRIOR, a seller whose buyers nobody with a voice judges would get rates that differ by
    # the priors alone, a voice nobody corroborated, which a ring would lend itself.
    phi_prior = np.where((complains & vouches)[:, None], _prior(PHI_PRIOR, n), theta_prior)
    theta, phi = _mean(theta_prior), _mean(phi_prior)
    bad, known = _posterior(graph.n_buyers, r, mature, theta, phi)
    for _ in range(iterations):
        theta = _rate(r, n, known * bad, theta_prior)
        phi = _rate(r, n, known * (1.0 - bad), phi_prior)
        bad, known = _posterior(graph.n_buyers, r, mature, theta, phi)
    return bad, known


def _prior(pseudo_counts: tuple[float, float], n: int) -> FloatArray:
    """Beta pseudo-counts (complaints, other ratings), one row per seller."""
    return np.tile(np.asarray(pseudo_counts, dtype=np.float64), (n, 1))


def _mean(prior: FloatArray) -> FloatArray:
    return np.asarray(prior[:, 0] / prior.sum(axis=1), dtype=np.float64)


def _rate(r: _Ratings, n: int, weight: FloatArray, prior: FloatArray) -> FloatArray:
    """Posterior mean of P(complaint | class), each rating counted with its class `weight`."""
    complaints = np.bincount(r.seller[r.complaint], weight[r.complaint], minlength=n)
    return np.asarray(
        (complaints + prior[:, 0])
        / (np.bincount(r.seller, weight, minlength=n) + prior.sum(axis=1)),
        dtype=np.float64,
    )


def _posterior(
    n_buyers: int, r: _Ratings, mature: FloatArray, theta: FloatArray, phi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    # Clipped at zero so that a complaint never argues for a buyer, nor a clean order against one.
    complaint_llr = np.maximum(np.log(theta / phi), 0.0)
    clean_llr = np.maximum(np.log((1.0 - phi) / (1.0 - theta)), 0.0)
    llr = mature[r.seller] * np.where(
        r.complaint, r.voice * complaint_llr[r.seller], -clean_llr[r.seller]
    )
    total = np.bincount(r.buyer, llr, minlength=n_buyers)
    evidence = np.bincount(r.buyer, np.abs(llr), minlength=n_buyers)
    others = np.maximum(evidence[r.buyer] - np.abs(llr), 0.0)
    bad = expit(np.log(PRIOR_BAD / (1.0 - PRIOR_BAD)) + total[r.buyer])
    return np.asarray(bad, dtype=np.float64), np.asarray(-np.expm1(-others), dtype=np.float64)


def _genuine(graph: TrustGraph, r: _Ratings, bad: FloatArray, known: FloatArray) -> FloatArray:
    """P(seller reports in good faith), from where its complaints and clean orders landed."""
    genuine_hit = np.where(r.complaint, TAG_HIT[0], CLEAN_HIT[0])
    malicious_hit = np.where(r.complaint, TAG_HIT[1], CLEAN_HIT[1])
    llr = np.log(
        (bad * genuine_hit + (1.0 - bad) * (1.0 - genuine_hit))
        / (bad * malicious_hit + (1.0 - bad) * (1.0 - malicious_hit))
    )
    appeals = APPEAL_WEIGHT * (
        np.asarray(graph.appeals_won, dtype=np.float64)
        - np.asarray(graph.appeals_lost, dtype=np.float64)
    )
    odds = (
        np.log(GENUINE_PRIOR / (1.0 - GENUINE_PRIOR))
        + np.bincount(r.seller, known * llr, minlength=graph.n_sellers)
        + appeals * np.log(TAG_HIT[0] / TAG_HIT[1])
    )
    return np.asarray(expit(odds), dtype=np.float64)

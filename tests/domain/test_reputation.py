"""The risk model's required properties, on plain values: no storage, a fixed `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buyerguard.domain.errors import UnknownReasonError
from buyerguard.domain.reasons import REASON_CODES, REASONS, get_reason
from buyerguard.domain.reputation import (
    EPOCH,
    HIGH_RISK,
    MEDIUM_RISK,
    MODEL_VERSION,
    PRIOR_CLEAN,
    PRIOR_COMPLAINT,
    BuyerEvidence,
    ReasonEvidence,
    anchored,
    decayed,
    score,
    shown,
    tag_weight,
)
from buyerguard.domain.trust import NEW_SELLER_TRUST

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PRIOR = PRIOR_COMPLAINT / (PRIOR_COMPLAINT + PRIOR_CLEAN)
# Scores are sums and ratios of floats: "never lower" allows for rounding in the last bits.
ROUNDING = 1e-12


def tags(
    reason: str, trusts: list[float], *, order_backed: bool = True, age: timedelta = timedelta(0)
) -> ReasonEvidence:
    """Aggregate one tag per trust value, all made `age` before NOW, as storage would."""
    at = NOW - age
    weight = sum(
        anchored(tag_weight(t, order_backed=order_backed), get_reason(reason), at) for t in trusts
    )
    return ReasonEvidence(
        reason=reason,
        sellers=len(trusts),
        order_backed=len(trusts) if order_backed else 0,
        anchored_weight=weight,
        last_at=at,
    )


def buyer(*reasons: ReasonEvidence, clean: list[float] | None = None) -> BuyerEvidence:
    clean = clean or []
    return BuyerEvidence(reasons=reasons, clean_sellers=len(clean), clean_weight=sum(clean))


def risk_of(evidence: BuyerEvidence) -> float:
    return score(evidence, now=NOW).score


def test_a_buyer_without_evidence_gets_the_prior_and_no_contributions() -> None:
    risk = score(buyer(), now=NOW)

    assert risk.score == pytest.approx(PRIOR)
    assert risk.level == "low"
    assert risk.contributions == ()
    assert risk.model_version == MODEL_VERSION


def test_backing_makes_a_tag_weigh_more() -> None:
    bare = tag_weight(0.5, order_backed=False)
    order = tag_weight(0.5, order_backed=True)
    event = tag_weight(0.5, order_backed=True, event_backed=True)

    assert 0 < bare < order < event


@pytest.mark.parametrize(("trust", "clamped"), [(-1.0, 0.0), (7.0, 1.0)])
def test_tag_weight_clamps_trust_to_the_unit_interval(trust: float, clamped: float) -> None:
    assert tag_weight(trust, order_backed=True) == tag_weight(clamped, order_backed=True)


def test_one_seller_tagging_every_reason_counts_far_less_than_eight_sellers() -> None:
    misconduct = [r.code for r in REASONS if r.misconduct]
    spread = buyer(*(tags(code, [0.9]) for code in misconduct), clean=[0.9, 0.9])
    eight = buyer(tags("non_payment", [0.9] * len(misconduct)), clean=[0.9, 0.9])
    one = buyer(tags("non_payment", [0.9]), clean=[0.9, 0.9])

    assert risk_of(one) < risk_of(spread) < risk_of(eight)


def test_ten_new_sellers_without_orders_weigh_less_than_one_established_order_backed_tag() -> None:
    ten_new = buyer(tags("extortion", [NEW_SELLER_TRUST] * 10, order_backed=False))
    one_established = buyer(tags("extortion", [0.9], order_backed=True))

    assert risk_of(ten_new) < risk_of(one_established)
    assert score(ten_new, now=NOW).level != "high"
    assert score(one_established, now=NOW).level == "high"


def test_the_same_complaints_weigh_less_against_more_clean_order_sellers() -> None:
    complaints = tags("frequent_returns", [0.8, 0.8, 0.8])

    against_forty = risk_of(buyer(complaints, clean=[0.8] * 40))
    against_two = risk_of(buyer(complaints, clean=[0.8] * 2))

    assert against_forty < against_two


def test_tags_decay_by_their_reasons_half_life() -> None:
    reason = get_reason("non_payment")
    fresh = risk_of(buyer(tags(reason.code, [0.9])))
    one_half_life = risk_of(buyer(tags(reason.code, [0.9], age=reason.half_life)))
    halved_weight = risk_of(buyer(tags(reason.code, [0.45])))

    assert one_half_life < fresh
    assert one_half_life == pytest.approx(halved_weight)


def test_reasons_with_a_shorter_half_life_fade_faster() -> None:
    short, long = get_reason("unpaid_order"), get_reason("non_payment")
    assert short.half_life < long.half_life
    age = timedelta(days=300)

    assert risk_of(buyer(tags(short.code, [0.9], age=age))) < risk_of(
        buyer(tags(long.code, [0.9], age=age))
    )


def test_decaying_a_stored_sum_equals_decaying_each_tag() -> None:
    reason = get_reason("card_fraud")
    times = [EPOCH + timedelta(days=d) for d in (-400, 3, 200, 900)]
    total = sum(anchored(0.7, reason, at) for at in times)

    expected = sum(0.7 * 2 ** (-((NOW - at) / reason.half_life)) for at in times)

    assert decayed(total, reason, NOW) == pytest.approx(expected, rel=1e-12)


def test_a_reason_whose_newest_tag_is_past_its_expiry_counts_nothing() -> None:
    reason = get_reason("unpaid_order")
    just_alive = tags(reason.code, [0.9], age=reason.expires_after - timedelta(microseconds=1))
    at_expiry = tags(reason.code, [0.9], age=reason.expires_after)
    expired = tags(reason.code, [0.9], age=reason.expires_after + timedelta(days=1))

    assert risk_of(buyer(just_alive)) > PRIOR
    for gone in (at_expiry, expired):
        assert score(buyer(gone), now=NOW).contributions == ()
        assert risk_of(buyer(gone)) == pytest.approx(PRIOR)


def test_a_reason_without_sellers_counts_nothing_whatever_its_residue() -> None:
    residue = ReasonEvidence("extortion", 0, 0, anchored_weight=1e-9, last_at=NOW)

    assert score(buyer(residue), now=NOW).contributions == ()


def test_logistics_reasons_alone_never_make_a_buyer_high() -> None:
    refused = buyer(tags("cod_refusal", [0.95] * 30), tags("remote_area", [0.95] * 30))
    risk = score(refused, now=NOW)

    assert risk.score == pytest.approx(PRIOR)
    assert risk.logistics_score > HIGH_RISK
    assert risk.level == "medium"
    assert {c.reason for c in risk.contributions} == {"cod_refusal", "remote_area"}
    assert not any(c.misconduct for c in risk.contributions)


@pytest.mark.parametrize(
    ("trusts", "level"),
    [([], "low"), ([0.2], "medium"), ([0.9, 0.9, 0.9], "high")],
)
def test_levels_follow_the_thresholds(trusts: list[float], level: str) -> None:
    evidence = buyer(tags("card_fraud", trusts), clean=[0.9]) if trusts else buyer(clean=[0.9])
    risk = score(evidence, now=NOW)

    assert risk.level == level
    assert (risk.score >= HIGH_RISK) == (level == "high")
    assert (risk.score >= MEDIUM_RISK) == (level != "low")


def prior_part(score_: float, clean_weight: float) -> float:
    """What the prior alone adds to a score: PRIOR_COMPLAINT / total, with total from the score."""
    return PRIOR_COMPLAINT * (1.0 - score_) / (PRIOR_CLEAN + clean_weight)


def test_contributions_explain_the_score() -> None:
    evidence = buyer(
        tags("extortion", [0.9] * 13),
        tags("frequent_returns", [0.9] * 8, order_backed=False),
        tags("remote_area", [0.9]),
        clean=[0.9] * 3,
    )
    risk = score(evidence, now=NOW)
    misconduct = [c for c in risk.contributions if c.misconduct]

    weights = [c.weight for c in risk.contributions]
    assert weights == sorted(weights, reverse=True)
    assert [c.reason for c in misconduct] == ["extortion", "frequent_returns"]
    assert sum(c.weight for c in misconduct) == pytest.approx(
        risk.score - prior_part(risk.score, evidence.clean_weight)
    )
    [extortion, returns] = misconduct
    assert (extortion.sellers, extortion.order_backed) == (13, 13)
    assert extortion.explanation == (
        "13 sellers (13 with orders) reported: malicious threats or extortion; recent"
    )
    assert returns.explanation.startswith("8 sellers reported: frequent returns")


def test_an_explanation_says_how_old_and_how_weak_the_reports_are() -> None:
    weak = tags("other", [NEW_SELLER_TRUST] * 3, order_backed=False, age=timedelta(days=95))
    [contribution] = score(buyer(weak), now=NOW).contributions

    assert contribution.explanation == (
        "3 sellers reported: other behaviour that suggests untrustworthiness or logistic trouble; "
        "last report 3 months ago; counts little (new or often contradicted reporters, or old "
        "reports)"
    )


def test_an_explanation_keeps_the_capitals_of_names_in_its_reason() -> None:
    [contribution] = score(buyer(tags("non_payment", [0.5])), now=NOW).contributions
    assert contribution.explanation == (
        "1 seller (1 with orders) reported: refused to pay after delivery (chargeback, PayPal "
        "dispute); recent"
    )


def test_an_unknown_reason_code_is_refused() -> None:
    with pytest.raises(UnknownReasonError):
        score(buyer(ReasonEvidence("rude", 1, 0, 1.0, NOW)), now=NOW)


# Monotonicity, over arbitrary evidence.

trusts = st.floats(min_value=0.0, max_value=1.0)
ages = st.integers(min_value=0, max_value=3 * 365).map(lambda d: timedelta(days=d))


@st.composite
def evidences(draw: st.DrawFn) -> BuyerEvidence:
    codes = draw(st.lists(st.sampled_from(REASON_CODES), unique=True, max_size=5))
    reasons = [
        tags(
            code,
            draw(st.lists(trusts, min_size=1, max_size=6)),
            order_backed=draw(st.booleans()),
            age=draw(ages),
        )
        for code in codes
    ]
    return buyer(*reasons, clean=draw(st.lists(trusts, max_size=30)))


def with_tag(evidence: BuyerEvidence, code: str, trust: float, age: timedelta) -> BuyerEvidence:
    """The evidence after one more seller tags with `code`, as storage would update it."""
    at = NOW - age
    added = anchored(tag_weight(trust, order_backed=True), get_reason(code), at)
    old = {r.reason: r for r in evidence.reasons}
    item = old.get(code, ReasonEvidence(code, 0, 0, 0.0, None))
    last = at if item.last_at is None else max(at, item.last_at)
    new = replace(
        item,
        sellers=item.sellers + 1,
        order_backed=item.order_backed + 1,
        anchored_weight=item.anchored_weight + added,
        last_at=last,
    )
    return replace(evidence, reasons=(*[r for r in evidence.reasons if r.reason != code], new))


@given(evidences(), st.sampled_from(REASON_CODES), trusts, ages)
def test_adding_a_tag_never_lowers_the_score(
    evidence: BuyerEvidence, code: str, trust: float, age: timedelta
) -> None:
    before = score(evidence, now=NOW)
    after = score(with_tag(evidence, code, trust, age), now=NOW)

    assert after.score >= before.score - ROUNDING
    assert after.logistics_score >= before.logistics_score - ROUNDING


@given(evidences())
def test_retracting_a_tag_never_raises_the_score(evidence: BuyerEvidence) -> None:
    for item in evidence.reasons:
        reason = get_reason(item.reason)
        one = anchored(tag_weight(1.0, order_backed=True), reason, item.last_at or NOW)
        retracted = replace(
            item,
            sellers=item.sellers - 1,
            anchored_weight=max(item.anchored_weight - one, 0.0),
        )
        others = tuple(r for r in evidence.reasons if r is not item)
        smaller = replace(evidence, reasons=(*others, retracted))

        assert risk_of(smaller) <= risk_of(evidence) + ROUNDING


@given(evidences(), st.floats(min_value=0.0, max_value=50.0))
def test_more_clean_weight_never_raises_the_score(evidence: BuyerEvidence, more: float) -> None:
    cleaner = replace(evidence, clean_weight=evidence.clean_weight + more)

    assert risk_of(cleaner) <= risk_of(evidence) + ROUNDING


@given(evidences())
def test_scores_are_probabilities_and_contributions_add_up(evidence: BuyerEvidence) -> None:
    risk = score(evidence, now=NOW)
    misconduct = sum(c.weight for c in risk.contributions if c.misconduct)
    logistics = sum(c.weight for c in risk.contributions if not c.misconduct)

    assert 0.0 <= risk.score <= 1.0
    assert 0.0 <= risk.logistics_score <= 1.0
    assert all(c.weight >= 0 for c in risk.contributions)
    assert misconduct == pytest.approx(risk.score - prior_part(risk.score, evidence.clean_weight))
    assert logistics == pytest.approx(
        risk.logistics_score - prior_part(risk.logistics_score, evidence.clean_weight)
    )
    assert {c.reason for c in risk.contributions} <= {r.reason for r in evidence.reasons}


@pytest.mark.parametrize(
    ("score", "places", "expected"),
    [(0.199996, 4, 0.1999), (0.19705, 2, 0.19), (0.09698, 2, 0.09), (0.2, 4, 0.2), (0.29, 2, 0.29)],
)
def test_a_score_is_shown_cut_so_it_never_reads_as_the_next_level(
    score: float, places: int, expected: float
) -> None:
    assert shown(score, places) == expected

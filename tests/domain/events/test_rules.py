"""The event rules: tables of order histories and the automatic tags they deserve."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.errors import InvalidInputError, UnknownReasonError
from buyerguard.domain.events import (
    AutoTag,
    Event,
    EventRules,
    OrderOutcome,
    outcome_for_order,
    return_counts,
    returns_tag_due,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RULES = EventRules()
LATER = T0 + timedelta(days=365)


def make_event(kind: str, day: float = 0, *, event_id: str | None = None, **data: str) -> Event:
    return Event(
        event_id=event_id or f"{kind}@{day}",
        type=kind,
        occurred_at=T0 + timedelta(days=day),
        order_ref="order-1",
        data=data,
    )


def reasons(events: list[Event], rules: EventRules = RULES) -> list[str]:
    return [tag.reason for tag in outcome_for_order(events, rules, now=LATER).tags]


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([make_event("order.payment_timeout", 1)], ["unpaid_order"], id="timeout"),
        pytest.param(
            [make_event("order.payment_timeout", 1), make_event("order.paid", 2)],
            [],
            id="timeout-withdrawn-when-paid-later",
        ),
        pytest.param(
            [make_event("order.paid", 1), make_event("order.payment_timeout", 2)],
            [],
            id="timeout-after-payment-ignored",
        ),
        pytest.param(
            [make_event("chargeback.created", 1, reason="fraudulent")],
            ["card_fraud"],
            id="fraud-chargeback-needs-no-delivery",
        ),
        pytest.param(
            [
                make_event("order.delivered", 1),
                make_event("chargeback.created", 5, reason="product_not_received"),
            ],
            ["non_payment"],
            id="chargeback-after-delivery",
        ),
        pytest.param(
            [
                make_event("chargeback.created", 1, reason="product_not_received"),
                make_event("order.delivered", 5),
            ],
            [],
            id="chargeback-before-delivery",
        ),
        pytest.param(
            [make_event("chargeback.created", 1, reason="general")],
            [],
            id="chargeback-without-delivery",
        ),
        pytest.param(
            [
                make_event("order.delivered", 1),
                make_event("dispute.opened", 3, claim="not_received"),
            ],
            ["non_payment"],
            id="not-received-claim-after-delivery",
        ),
        pytest.param(
            [make_event("dispute.opened", 3, claim="not_received")],
            [],
            id="not-received-claim-without-delivery",
        ),
        pytest.param(
            [make_event("order.delivered", 1), make_event("dispute.opened", 3, claim="quality")],
            [],
            id="quality-claim-waits-for-its-verdict",
        ),
        pytest.param(
            [make_event("order.delivered", 1), make_event("dispute.opened", 3, claim="other")],
            [],
            id="other-claim-accuses-nobody",
        ),
        pytest.param(
            [make_event("dispute.opened", 3, claim="fraud")],
            ["card_fraud"],
            id="fraud-claim",
        ),
        pytest.param(
            [
                make_event("dispute.opened", 3, claim="quality"),
                make_event("dispute.resolved", 9, claim="quality", outcome="seller_won"),
            ],
            ["unmerited_dispute"],
            id="quality-claim-won-by-seller",
        ),
        pytest.param(
            [make_event("dispute.resolved", 9, claim="quality", outcome="buyer_won")],
            [],
            id="quality-claim-won-by-buyer",
        ),
        pytest.param([make_event("cod.refused", 4)], ["cod_refusal"], id="cod-refused"),
        pytest.param(
            [make_event("cod.refused", 4), make_event("order.delivered", 6)],
            [],
            id="cod-accepted-on-a-later-attempt",
        ),
        pytest.param(
            [
                make_event("order.delivered", 1),
                make_event("chargeback.created", 5, reason="general"),
                make_event("chargeback.resolved", 40, outcome="buyer_won"),
            ],
            [],
            id="chargeback-won-by-buyer-withdraws",
        ),
        pytest.param(
            [
                make_event("chargeback.created", 5, reason="fraudulent"),
                make_event("chargeback.resolved", 40, outcome="withdrawn"),
            ],
            [],
            id="withdrawn-claim-withdraws",
        ),
        pytest.param(
            [
                make_event("order.delivered", 1),
                make_event("dispute.opened", 3, claim="not_received"),
                make_event("dispute.resolved", 20, claim="not_received", outcome="buyer_won"),
            ],
            [],
            id="dispute-won-by-buyer-withdraws",
        ),
        pytest.param(
            [
                make_event("dispute.resolved", 9, claim="quality", outcome="seller_won"),
                make_event("chargeback.created", 30, reason="fraudulent"),
                make_event("chargeback.resolved", 60, outcome="buyer_won"),
            ],
            [],
            id="buyer-win-withdraws-every-dispute-tag",
        ),
        pytest.param(
            [
                make_event("chargeback.created", 5, reason="fraudulent"),
                make_event("chargeback.resolved", 40, outcome="buyer_won"),
                make_event("chargeback.created", 50, event_id="second", reason="fraudulent"),
            ],
            ["card_fraud"],
            id="a-new-chargeback-after-a-buyer-win",
        ),
        pytest.param(
            [make_event("chargeback.resolved", 40, outcome="seller_won", reason="fraudulent")],
            ["card_fraud"],
            id="seller-win-seen-without-its-opening",
        ),
        pytest.param(
            [make_event("chargeback.resolved", 40, outcome="seller_won")],
            [],
            id="seller-win-without-reason-confirms-only",
        ),
        pytest.param(
            [make_event("order.returned", 5), make_event("refund.requested", 6)],
            [],
            id="returns-alone-tag-nothing-per-order",
        ),
    ],
)
def test_rules(events, expected):
    assert reasons(events) == expected


def test_a_tag_names_the_event_that_raised_it_and_those_that_confirmed_it():
    delivered = make_event("order.delivered", 1)
    opened = make_event("chargeback.created", 5, reason="general")
    won = make_event("chargeback.resolved", 40, outcome="seller_won")

    outcome = outcome_for_order([won, opened, delivered], RULES, now=LATER)

    assert outcome.tags == (
        AutoTag("non_payment", opened.event_id, opened.occurred_at, (won.event_id,)),
    )


def test_a_tag_raised_again_after_a_moment_starts_from_the_event_that_raised_it_alone():
    delivered = make_event("order.delivered", 1)
    opened = make_event("dispute.opened", 5, claim="not_received")
    charged = make_event("chargeback.created", 20, reason="product_not_received")
    won = make_event("chargeback.resolved", 40, outcome="seller_won")

    (tag,) = outcome_for_order([delivered, opened, charged, won], RULES, now=LATER).tags

    assert tag.raised_after(T0) == tag
    assert tag.raised_after(T0 + timedelta(days=10)) == AutoTag(
        "non_payment", charged.event_id, charged.occurred_at, (won.event_id,)
    )
    assert tag.raised_after(T0 + timedelta(days=30)) is None


def test_tags_for_disabled_reasons_are_not_returned():
    events = [make_event("order.payment_timeout", 1), make_event("cod.refused", 2)]
    rules = EventRules(enabled=frozenset({"cod_refusal"}))

    assert reasons(events, rules) == ["cod_refusal"]
    assert reasons(events, EventRules(enabled=frozenset())) == []


HISTORY = [
    make_event("order.created", 0),
    make_event("order.paid", 0.5),
    make_event("order.delivered", 3),
    make_event("dispute.opened", 10, claim="quality"),
    make_event("dispute.resolved", 30, claim="quality", outcome="seller_won"),
    make_event("chargeback.created", 31, reason="product_unacceptable"),
]


def test_arrival_order_does_not_matter():
    expected = outcome_for_order(HISTORY, RULES, now=LATER)

    assert [tag.reason for tag in expected.tags] == ["unmerited_dispute", "non_payment"]
    for arrival in itertools.permutations(HISTORY):
        assert outcome_for_order(list(arrival), RULES, now=LATER) == expected


def test_replaying_events_changes_nothing():
    once = outcome_for_order(HISTORY, RULES, now=LATER)

    assert outcome_for_order(HISTORY + HISTORY[::-1], RULES, now=LATER) == once
    assert once.tags[0].confirmed_by == ()


def test_same_timestamp_is_ordered_by_lifecycle():
    delivered = make_event("order.delivered", 5)
    chargeback = make_event("chargeback.created", 5, reason="general")

    assert reasons([chargeback, delivered]) == ["non_payment"]
    assert reasons([delivered, chargeback]) == ["non_payment"]


def test_events_of_two_orders_are_refused():
    other = Event("x", "order.created", T0, "order-2")

    with pytest.raises(ValueError, match="one order"):
        outcome_for_order([make_event("order.created"), other], RULES, now=LATER)


# --- clean orders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "days_after_delivery", "clean"),
    [
        pytest.param([], 30, True, id="window-elapsed"),
        pytest.param([], 29.9, False, id="window-not-elapsed"),
        pytest.param([make_event("refund.requested", 5)], 60, False, id="refund"),
        pytest.param([make_event("order.returned", 5)], 60, False, id="return"),
        pytest.param([make_event("dispute.opened", 5, claim="quality")], 60, False, id="claim"),
        pytest.param(
            [make_event("chargeback.created", 50, reason="general")],
            60,
            False,
            id="chargeback-after-the-window-uncleans",
        ),
        pytest.param(
            [
                make_event("dispute.opened", 5, claim="quality"),
                make_event("dispute.resolved", 9, claim="quality", outcome="buyer_won"),
            ],
            60,
            False,
            id="a-settled-claim-is-still-a-problem",
        ),
    ],
)
def test_clean_orders(events, days_after_delivery, clean):
    delivered = make_event("order.delivered", 2)
    now = delivered.occurred_at + timedelta(days=days_after_delivery)

    outcome = outcome_for_order([make_event("order.paid", 1), delivered, *events], RULES, now=now)

    assert outcome.clean is clean


def test_an_undelivered_order_is_never_clean():
    outcome = outcome_for_order([make_event("order.paid", 1)], RULES, now=LATER)

    assert outcome == OrderOutcome(tags=(), clean=False, delivered=False, returned=False)


def test_clean_after_is_the_sellers_setting():
    events = [make_event("order.delivered", 0)]
    rules = EventRules(clean_after=timedelta(days=7))

    assert outcome_for_order(events, rules, now=T0 + timedelta(days=7)).clean
    assert not outcome_for_order(events, RULES, now=T0 + timedelta(days=7)).clean


# --- frequent returns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orders", "returned", "due"),
    [
        (3, 2, True),
        (4, 2, False),  # exactly the threshold is not above it
        (10, 6, True),
        (2, 2, False),  # fewer orders than the minimum
        (0, 0, False),
        (5, 0, False),
    ],
)
def test_returns_tag_due(orders, returned, due):
    assert returns_tag_due(orders, returned, RULES) is due


def test_returns_rule_follows_the_sellers_settings():
    strict = EventRules(returns_share_threshold=0.2, min_orders_for_returns=5)

    assert returns_tag_due(5, 2, strict)
    assert not returns_tag_due(4, 4, strict)
    assert not returns_tag_due(3, 3, EventRules(enabled=frozenset({"non_payment"})))


@pytest.mark.parametrize(("orders", "returned"), [(2, 3), (-1, 0), (1, -1)])
def test_impossible_counts_are_refused(orders, returned):
    with pytest.raises(InvalidInputError):
        returns_tag_due(orders, returned, RULES)


def test_return_counts_count_received_orders_only():
    outcomes = [
        OrderOutcome((), clean=True, delivered=True, returned=False),
        OrderOutcome((), clean=False, delivered=True, returned=True),
        OrderOutcome((), clean=False, delivered=False, returned=True),
        OrderOutcome((), clean=False, delivered=False, returned=False),
    ]

    assert return_counts(outcomes) == (3, 2)


def test_outcome_reports_delivery_and_return():
    events = [make_event("order.delivered", 1), make_event("order.returned", 8)]

    outcome = outcome_for_order(events, RULES, now=LATER)

    assert (outcome.delivered, outcome.returned, outcome.clean) == (True, True, False)


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"returns_share_threshold": 1.0}, InvalidInputError),
        ({"returns_share_threshold": -0.1}, InvalidInputError),
        ({"min_orders_for_returns": 0}, InvalidInputError),
        ({"clean_after": timedelta(days=-1)}, InvalidInputError),
        ({"enabled": frozenset({"extortion"})}, InvalidInputError),
        ({"enabled": frozenset({"no_such_reason"})}, UnknownReasonError),
    ],
)
def test_invalid_rule_settings_are_refused(settings, error):
    with pytest.raises(error):
        EventRules(**settings)

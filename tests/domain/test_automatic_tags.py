"""The event rules over all of one buyer's orders with one seller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.automatic_tags import (
    PairPlan,
    WantedTag,
    diff_tags,
    keeps_order_ref,
    plan_pair,
)
from buyerguard.domain.events import Event, EventRules
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.tags import Confirmation, Tag, TagSource, TagStatus

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RULES = EventRules()


def event(n: int, kind: str, ref: str, *, days_ago: float, **data: str) -> Event:
    return Event(
        event_id=f"{ref}-{n}",
        type=kind,
        occurred_at=NOW - timedelta(days=days_ago),
        order_ref=ref,
        data=data,
    )


def delivered(ref: str, *, days_ago: float) -> Event:
    return event(0, "order.delivered", ref, days_ago=days_ago)


def test_a_reason_raised_on_two_orders_is_wanted_on_the_first():
    history = {
        "A": [
            delivered("A", days_ago=20),
            event(1, "chargeback.created", "A", days_ago=10, reason="x"),
        ],
        "B": [
            delivered("B", days_ago=30),
            event(1, "chargeback.created", "B", days_ago=15, reason="x"),
        ],
    }
    plan = plan_pair(1, 2, {"A": False, "B": False}, history, RULES, now=NOW)
    assert list(plan.wanted) == ["non_payment"]
    wanted = plan.wanted["non_payment"]
    assert (wanted.order_ref, wanted.note) == ("B", "automatic, from event B-1")


def test_frequent_returns_is_about_the_buyer_and_names_the_last_returned_order():
    history = {
        ref: [delivered(ref, days_ago=50 - i)]
        + ([event(1, "order.returned", ref, days_ago=40 - i)] if i < 3 else [])
        for i, ref in enumerate("ABCD")
    }
    plan = plan_pair(1, 2, dict.fromkeys("ABCD", False), history, RULES, now=NOW)
    wanted = plan.wanted["frequent_returns"]
    assert wanted.order_ref == "C"
    assert wanted.note == "automatic: 3 of 4 orders returned or refunded"
    assert not keeps_order_ref("frequent_returns")
    assert keeps_order_ref("non_payment")


def test_clean_orders_are_completed_and_waiting_ones_rechecked_when_the_window_closes():
    history = {"old": [delivered("old", days_ago=40)], "new": [delivered("new", days_ago=10)]}
    plan = plan_pair(1, 2, {"old": False, "new": False}, history, RULES, now=NOW)
    assert plan.complete == {"old": NOW - timedelta(days=40)}
    assert plan.rechecks == {"old": None, "new": NOW + timedelta(days=20)}
    assert plan.wanted == {}


def test_a_completed_order_that_went_wrong_is_reopened_and_not_rechecked():
    history = {
        "A": [delivered("A", days_ago=70), event(1, "refund.requested", "A", days_ago=5)],
        "B": [
            delivered("B", days_ago=3),
            event(1, "dispute.opened", "B", days_ago=1, claim="other"),
        ],
    }
    plan = plan_pair(1, 2, {"A": True, "B": False}, history, RULES, now=NOW)
    assert plan.reopen == ["A"]
    assert plan.complete == {}
    assert plan.rechecks == {"A": None, "B": None}


def test_orders_without_events_are_left_alone():
    plan = plan_pair(1, 2, {"screened-only": True}, {}, RULES, now=NOW)
    assert (plan.wanted, plan.complete, plan.reopen, plan.rechecks) == ({}, {}, [], {})


def test_only_enabled_reasons_are_wanted():
    history = {"A": [event(1, "cod.refused", "A", days_ago=1)]}
    rules = EventRules(enabled=frozenset({"non_payment"}))
    assert plan_pair(1, 2, {"A": False}, history, rules, now=NOW).wanted == {}
    assert list(plan_pair(1, 2, {"A": False}, history, RULES, now=NOW).wanted) == ["cod_refusal"]


def test_a_retracted_reason_comes_back_only_from_a_later_event_that_calls_for_it_alone():
    retracted = {"card_fraud": NOW - timedelta(days=6)}
    charged = [
        event(1, "order.paid", "A", days_ago=10),
        event(2, "chargeback.created", "A", days_ago=8, reason="fraudulent"),
    ]
    older_elsewhere = [event(1, "chargeback.created", "B", days_ago=7, reason="fraud")]
    unrelated = [event(1, "order.created", "C", days_ago=1)]
    confirmed = [*charged, event(3, "chargeback.resolved", "A", days_ago=2, outcome="seller_won")]
    orders = dict.fromkeys("ABC", False)

    def wanted(history: dict[str, list[Event]]) -> dict[str, tuple[str, str]]:
        plan = plan_pair(1, 2, orders, history, RULES, retracted=retracted, now=NOW)
        return {reason: (w.order_ref, w.note) for reason, w in plan.wanted.items()}

    assert wanted({"A": charged, "B": older_elsewhere, "C": unrelated}) == {}
    assert wanted({"A": confirmed}) == {}
    again = [*confirmed, event(4, "chargeback.created", "A", days_ago=1, reason="fraud")]
    assert wanted({"A": again}) == {"card_fraud": ("A", "automatic, from event A-4")}
    fresh = [event(1, "dispute.opened", "C", days_ago=3, claim="fraud")]
    assert wanted({"A": charged, "C": fresh}) == {"card_fraud": ("C", "automatic, from event C-1")}


def test_a_retracted_frequent_returns_comes_back_with_the_next_return():
    history = {
        ref: [delivered(ref, days_ago=50 - i)]
        + ([event(1, "order.returned", ref, days_ago=40 - i)] if i < 3 else [])
        for i, ref in enumerate("ABCD")
    }
    retracted = {"frequent_returns": NOW - timedelta(days=30)}
    orders = dict.fromkeys("ABCDE", False)
    plan = plan_pair(1, 2, orders, history, RULES, retracted=retracted, now=NOW)
    assert plan.wanted == {}

    history["E"] = [delivered("E", days_ago=20), event(1, "refund.requested", "E", days_ago=10)]
    plan = plan_pair(1, 2, orders, history, RULES, retracted=retracted, now=NOW)
    assert plan.wanted["frequent_returns"].order_ref == "E"


def held(
    reason: str,
    source: TagSource,
    *,
    order_ref: str | None = None,
    confirmed_order_ref: str | None = None,
) -> Tag:
    created = NOW - timedelta(days=9)
    expires = created + get_reason(reason).expires_after
    return Tag(
        7,
        1,
        2,
        reason,
        "",
        order_ref,
        source,
        TagStatus.ACTIVE,
        False,
        created,
        expires,
        confirmed_order_ref=confirmed_order_ref,
    )


def wanting(reason: str, ref: str, *, days_ago: float) -> PairPlan:
    at = NOW - timedelta(days=days_ago)
    return PairPlan(1, 2, wanted={reason: WantedTag(reason, ref, at, "automatic")})


def test_a_wanted_reason_the_seller_holds_confirms_its_tag_and_is_not_tagged_again():
    mine = held("card_fraud", TagSource.MANUAL)
    diff = diff_tags(wanting("card_fraud", "A", days_ago=2), [mine], now=NOW)
    at = NOW - timedelta(days=2)
    expected = Confirmation(7, "A", at, at + get_reason("card_fraud").expires_after)
    assert (diff.create, diff.withdraw, diff.confirm) == ([], [], [expected])


def test_a_confirmation_is_kept_on_its_order_moved_with_the_fact_and_taken_back_without_it():
    mine = held("card_fraud", TagSource.IMPORT, confirmed_order_ref="A")
    assert diff_tags(wanting("card_fraud", "A", days_ago=1), [mine], now=NOW).confirm == []
    (moved,) = diff_tags(wanting("card_fraud", "B", days_ago=1), [mine], now=NOW).confirm
    assert moved.order_ref == "B"
    (dropped,) = diff_tags(PairPlan(1, 2), [mine], now=NOW).confirm
    assert dropped == Confirmation(7, None, None, mine.expires_at)


def test_a_fact_past_its_expiry_confirms_nothing_and_ends_an_older_confirmation():
    long_ago = (get_reason("card_fraud").expires_after + timedelta(days=1)).days
    stale = wanting("card_fraud", "B", days_ago=long_ago)
    assert diff_tags(stale, [held("card_fraud", TagSource.MANUAL)], now=NOW).confirm == []
    mine = held("card_fraud", TagSource.MANUAL, confirmed_order_ref="A")
    assert diff_tags(stale, [mine], now=NOW).confirm[0].order_ref is None


def test_the_rules_withdraw_only_their_own_tags():
    automatic = held("cod_refusal", TagSource.EVENT, order_ref="A")
    mine = held("extortion", TagSource.MANUAL)
    diff = diff_tags(PairPlan(1, 2), [automatic, mine], now=NOW)
    assert (diff.create, diff.withdraw, diff.confirm) == ([], [automatic], [])

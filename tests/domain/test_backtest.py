from datetime import UTC, datetime

import pytest

from buyerguard.domain.backtest import backtest
from buyerguard.domain.policies import NEVER_TAGGED_DAYS, Action, Facts, compile_policy
from buyerguard.domain.screening import ALLOW_LIST, LoggedScreening, Order

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def logged(ref: str, *, lists: frozenset[str] = frozenset()) -> LoggedScreening:
    order = Order(ref, 50.0, "EUR", "prepaid", "DE")
    facts = Facts(
        risk=0.02,
        level="low",
        logistics_risk=0.0,
        sellers={},
        mine=frozenset(),
        distinct_reporters=0,
        clean_sellers=1,
        order_backed=0,
        days_since_last_tag=NEVER_TAGGED_DAYS,
        order=order.facts(),
        lists=lists,
    )
    return LoggedScreening(
        id=1,
        buyer_id=1,
        order=order,
        action=Action.SHIP,
        rule_line=None,
        rule_source=None,
        policy_version=0,
        risk_score=0.02,
        risk_level="low",
        facts=facts,
        reasons=(),
        created_at=NOW,
    )


EVERYTHING = ("declines_everything", "ships_nothing")
ORDINARY = [logged("A"), logged("B")]
WITH_ALLOWED = [logged("VIP", lists=frozenset({ALLOW_LIST})), logged("B")]


@pytest.mark.parametrize(
    ("source", "history", "flags"),
    [
        # Known from the first rule, with or without history.
        ("decline", [], EVERYTHING),
        ("# refuse all\ndecline", [], EVERYTHING),
        ("decline if true", [], EVERYTHING),
        ("decline if 1 < 2 && !false\nship", [], EVERYTHING),
        ("review if true", [], ("ships_nothing",)),
        ("decline if true", WITH_ALLOWED, EVERYTHING),
        # risk is always between 0 and 1.
        ("decline if risk >= 0.0", [], EVERYTHING),
        ("review if 1.0 >= risk", [], ("ships_nothing",)),
        # Measured on the orders the draft decided; an allow-listed buyer ships whatever it says.
        ("decline if order.amount >= 0.0", ORDINARY, EVERYTHING),
        ("decline if order.amount >= 0.0", WITH_ALLOWED, EVERYTHING),
        ("review if order.amount >= 0.0", WITH_ALLOWED, ("ships_nothing",)),
        (
            'decline if order.ship_to.country == "DE"',
            [logged("VIP", lists=frozenset({ALLOW_LIST}))],
            (),
        ),
        # Neither.
        ("decline if order.amount >= 0.0", [], ()),
        ("decline if risk >= 0.5", [], ()),
        ("decline if false", [], ()),
        ("decline if 1 / 0 == 0", [], ()),
        ("ship if risk > 0.5\ndecline", ORDINARY, EVERYTHING),
        ("ship if risk < 0.5\ndecline", ORDINARY, ()),
        ("ship", ORDINARY, ()),
        ("", ORDINARY, ()),
    ],
)
def test_flags_say_what_the_draft_does_to_every_order(
    source: str, history: list[LoggedScreening], flags: tuple[str, ...]
) -> None:
    assert backtest(compile_policy(source), history).flags == flags


def test_a_replay_of_all_the_period_holds_is_complete() -> None:
    report = backtest(compile_policy("review"), ORDINARY, logged=2)
    assert (report.replayed, report.logged, report.partial, report.stopped_by) == (
        2,
        2,
        False,
        None,
    )


def test_a_replay_of_the_newest_only_says_how_many_it_left_out() -> None:
    report = backtest(compile_policy("review"), ORDINARY, logged=5)
    assert (report.replayed, report.logged, report.partial) == (2, 5, True)
    assert report.stopped_by == "max_screenings"


def test_a_replay_out_of_time_stops_and_reports_on_what_it_decided() -> None:
    asked = iter([False, False, True])
    history = [logged("A"), logged("B"), logged("C")]
    report = backtest(compile_policy("review"), history, logged=3, out_of_time=lambda: next(asked))
    assert (report.replayed, report.logged, report.partial) == (2, 3, True)
    assert report.stopped_by == "time_budget"
    assert (report.changed, report.transitions, report.actions) == (
        2,
        {"ship->review": 2},
        {"review": 2},
    )


def test_a_replay_out_of_time_at_once_decides_nothing_and_says_so() -> None:
    report = backtest(compile_policy("review if risk > 0.5"), ORDINARY, out_of_time=lambda: True)
    assert (report.replayed, report.logged, report.stopped_by) == (0, 2, "time_budget")
    assert (report.changed, report.flags) == (0, ())

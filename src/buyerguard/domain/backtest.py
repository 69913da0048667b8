"""Replaying a draft policy on a seller's logged screenings, before it goes live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from buyerguard.domain.policies import Action, Policy, PolicyWarning, policy_warnings
from buyerguard.domain.screening import (
    OUTCOME_BAD,
    OUTCOME_GOOD,
    LoggedScreening,
    Verdict,
    decide,
    overridden,
)


@dataclass(frozen=True)
class OutcomeCounts:
    """How a policy fares on orders whose outcome is known: stopping means anything but `ship`."""

    bad_stopped: int = 0
    bad_shipped: int = 0
    good_declined: int = 0
    good_shipped: int = 0


STOPPED_AT_MAX_SCREENINGS = "max_screenings"  # older screenings were not read
STOPPED_AT_TIME_BUDGET = "time_budget"  # the time ran out before every screening read was decided


@dataclass(frozen=True)
class BacktestReport:
    """What the draft would change on the replayed orders, and its rules that can never fire.

    `replayed` screenings, the newest, of the `logged` ones in the period; `partial` when that is
    not all of them, `stopped_by` saying which limit stopped the replay.
    """

    replayed: int
    logged: int
    partial: bool
    stopped_by: str | None
    changed: int
    transitions: dict[str, int]
    actions: dict[str, int]
    draft: OutcomeCounts
    recorded: OutcomeCounts
    flags: tuple[str, ...] = field(default_factory=tuple)
    errors: int = 0
    warnings: tuple[PolicyWarning, ...] = ()


def _outcomes(pairs: Sequence[tuple[Action, str | None]]) -> OutcomeCounts:
    def count(outcome: str, test: bool) -> int:
        return sum(1 for action, o in pairs if o == outcome and (action is not Action.SHIP) == test)

    return OutcomeCounts(
        bad_stopped=count(OUTCOME_BAD, True),
        bad_shipped=count(OUTCOME_BAD, False),
        good_declined=sum(1 for a, o in pairs if o == OUTCOME_GOOD and a is Action.DECLINE),
        good_shipped=sum(1 for a, o in pairs if o == OUTCOME_GOOD and a is Action.SHIP),
    )


def backtest(
    draft: Policy,
    history: Sequence[LoggedScreening],
    *,
    logged: int | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
) -> BacktestReport:
    """Decide the logged orders of `history` (the newest first) again under `draft`, with the facts
    recorded at the time, until `out_of_time()`. `logged` is how many screenings the period holds,
    of which `history` is the newest (all of them by default)."""
    total = len(history) if logged is None else max(logged, len(history))
    verdicts = _replay(draft, history, out_of_time)
    timed_out = len(verdicts) < len(history)
    history = history[: len(verdicts)]
    transitions = Counter(
        f"{old.action.code}->{verdict.action.code}"
        for old, verdict in zip(history, verdicts, strict=True)
        if verdict.action is not old.action
    )
    actions = Counter(verdict.action.code for verdict in verdicts)
    by_draft = [
        verdict.action
        for old, verdict in zip(history, verdicts, strict=True)
        if overridden(old.facts.lists) is None
    ]
    stopped_by = STOPPED_AT_TIME_BUDGET if timed_out else STOPPED_AT_MAX_SCREENINGS
    return BacktestReport(
        replayed=len(history),
        logged=total,
        partial=len(history) < total,
        stopped_by=stopped_by if len(history) < total else None,
        changed=sum(transitions.values()),
        transitions=dict(transitions),
        actions=dict(actions),
        draft=_outcomes([(v.action, h.outcome) for v, h in zip(verdicts, history, strict=True)]),
        recorded=_outcomes([(h.action, h.outcome) for h in history]),
        flags=_flags(draft, by_draft),
        errors=sum(1 for v in verdicts if v.errors),
        warnings=policy_warnings(draft),
    )


def _replay(
    draft: Policy, history: Sequence[LoggedScreening], out_of_time: Callable[[], bool]
) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for logged in history:
        if out_of_time():  # asked before each one: a single decision costs milliseconds at most
            break
        verdicts.append(decide(draft, logged.facts))
    return verdicts


def _flags(draft: Policy, by_draft: Sequence[Action]) -> tuple[str, ...]:
    """Whether the draft declines every order, or ships none. Known from its first rule when that
    one applies to every order (even with no history), and measured on `by_draft`: its actions on
    the replayed orders the seller's allow and block lists did not decide, as they override any
    draft."""
    first = draft.rules[0] if draft.rules and draft.rules[0].applies_to_every_order else None
    flags = []
    if (first and first.action is Action.DECLINE) or (
        by_draft and all(action is Action.DECLINE for action in by_draft)
    ):
        flags.append("declines_everything")
    if (first and first.action is not Action.SHIP) or (by_draft and Action.SHIP not in by_draft):
        flags.append("ships_nothing")
    return tuple(flags)

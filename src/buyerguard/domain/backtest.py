"""Replaying a draft policy on a seller's logged screenings, before it goes live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from buyerguard.domain.policies import Action, Policy, PolicyWarning, policy_warnings
from buyerguard.domain.screening import (
    OUTCOME_BAD,
    OUTCOME_GOOD,
    LoggedScreening,
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


@dataclass(frozen=True)
class BacktestReport:
    """What the draft would change on the replayed orders, and its rules that can never fire."""

    replayed: int
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


def backtest(draft: Policy, history: Sequence[LoggedScreening]) -> BacktestReport:
    """Decide every logged order again under `draft`, with the facts recorded at the time."""
    verdicts = [decide(draft, logged.facts) for logged in history]
    transitions = Counter(
        f"{logged.action.code}->{verdict.action.code}"
        for logged, verdict in zip(history, verdicts, strict=True)
        if verdict.action is not logged.action
    )
    actions = Counter(verdict.action.code for verdict in verdicts)
    by_draft = [
        verdict.action
        for logged, verdict in zip(history, verdicts, strict=True)
        if overridden(logged.facts.lists) is None
    ]
    return BacktestReport(
        replayed=len(history),
        changed=sum(transitions.values()),
        transitions=dict(transitions),
        actions=dict(actions),
        draft=_outcomes([(v.action, h.outcome) for v, h in zip(verdicts, history, strict=True)]),
        recorded=_outcomes([(h.action, h.outcome) for h in history]),
        flags=_flags(draft, by_draft),
        errors=sum(1 for v in verdicts if v.errors),
        warnings=policy_warnings(draft),
    )


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

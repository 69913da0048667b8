"""Replaying a draft policy on a seller's logged screenings, before it goes live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from buyerguard.domain.policies import Action, Policy
from buyerguard.domain.screening import OUTCOME_BAD, OUTCOME_GOOD, LoggedScreening, decide


@dataclass(frozen=True)
class OutcomeCounts:
    """How a policy fares on orders whose outcome is known: stopping means anything but `ship`."""

    bad_stopped: int = 0
    bad_shipped: int = 0
    good_declined: int = 0
    good_shipped: int = 0


@dataclass(frozen=True)
class BacktestReport:
    replayed: int
    changed: int
    transitions: dict[str, int]
    actions: dict[str, int]
    draft: OutcomeCounts
    recorded: OutcomeCounts
    flags: tuple[str, ...] = field(default_factory=tuple)
    errors: int = 0


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
    flags = []
    first = draft.rules[0] if draft.rules else None
    everything = history and actions[Action.DECLINE.code] == len(history)
    if everything or (
        first is not None and first.condition is None and first.action is Action.DECLINE
    ):
        flags.append("declines_everything")
    if history and not actions[Action.SHIP.code]:
        flags.append("ships_nothing")
    return BacktestReport(
        replayed=len(history),
        changed=sum(transitions.values()),
        transitions=dict(transitions),
        actions=dict(actions),
        draft=_outcomes([(v.action, h.outcome) for v, h in zip(verdicts, history, strict=True)]),
        recorded=_outcomes([(h.action, h.outcome) for h in history]),
        flags=tuple(flags),
        errors=sum(1 for v in verdicts if v.errors),
    )

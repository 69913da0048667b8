"""A seller's screening policy: read, save as a new version, and backtest a draft."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from buyerguard.domain.backtest import BacktestReport, backtest
from buyerguard.domain.policies import (
    DEFAULT_POLICY_SOURCE,
    Policy,
    PolicyWarning,
    compile_policy,
    policy_warnings,
)
from buyerguard.services.unit_of_work import UnitOfWork

DEFAULT_VERSION = 0  # the version a decision names when the seller wrote no policy


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    policy: Policy

    @property
    def is_default(self) -> bool:
        return self.version == DEFAULT_VERSION

    @property
    def warnings(self) -> tuple[PolicyWarning, ...]:
        """Its rules that can never fire: a policy is saved with them, and the seller told."""
        return policy_warnings(self.policy)


# Compiling costs milliseconds and screening must cost less than one: compile each text once.
compiled = functools.lru_cache(maxsize=4096)(compile_policy)


def policy_in_force(uow: UnitOfWork, seller_id: int) -> PolicyVersion:
    """Inside the caller's transaction: the newest saved version, or the default policy."""
    latest = uow.policies.latest(seller_id)
    if latest is None:
        return PolicyVersion(DEFAULT_VERSION, compiled(DEFAULT_POLICY_SOURCE))
    return PolicyVersion(latest[0], compiled(latest[1]))


def get_policy(uow: UnitOfWork, *, seller_id: int) -> PolicyVersion:
    with uow:
        return policy_in_force(uow, seller_id)


def save_policy(uow: UnitOfWork, source: str, *, seller_id: int, now: datetime) -> PolicyVersion:
    """Validate and store the policy as the next version; an invalid one changes nothing."""
    policy = compiled(source)
    with uow:
        version = uow.policies.add(seller_id, source, now=now)
        uow.commit()
    return PolicyVersion(version, policy)


@dataclass(frozen=True)
class BacktestBudget:
    """What one backtest may cost: it replays the newest `max_screenings` screenings at most, and
    stops after `seconds` (read from `clock`, in seconds) with what it replayed so far, so that a
    costly draft cannot hold a server thread and its CPU for minutes."""

    max_screenings: int
    seconds: float
    clock: Callable[[], float]


def backtest_policy(
    uow: UnitOfWork,
    source: str,
    *,
    seller_id: int,
    days: int | None,
    now: datetime,
    budget: BacktestBudget,
) -> BacktestReport:
    """Replay a draft on the seller's logged screenings of the last `days`, newest first, within
    `budget`; the report says how many of how many it replayed."""
    deadline = budget.clock() + budget.seconds  # reading the log counts too
    draft = compiled(source)
    since = None if days is None else now - timedelta(days=days)
    with uow:
        logged = uow.screenings.count_for_seller(seller_id, since=since)
        history = uow.screenings.with_outcomes(seller_id, since=since, limit=budget.max_screenings)
    return backtest(draft, history, logged=logged, out_of_time=lambda: budget.clock() >= deadline)

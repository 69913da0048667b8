"""Background jobs: one table of service functions, each idempotent and given `now`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buyerguard.services import tags, trust
from buyerguard.services.unit_of_work import UnitOfWork

log = logging.getLogger("buyerguard.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[UnitOfWork, datetime], object]


JOBS: tuple[Job, ...] = (
    Job("expire-old-tags", timedelta(hours=1), lambda uow, now: tags.expire_old_tags(uow, now=now)),
    Job(
        "recompute-trust", timedelta(hours=6), lambda uow, now: trust.recompute_trust(uow, now=now)
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}


def run_once(name: str, uow: UnitOfWork, *, now: datetime) -> object:
    return JOBS_BY_NAME[name].run(uow, now)


def run_forever(uow: UnitOfWork, *, tick: float = 30.0) -> None:
    """Run every job when it is due; a failing job is logged and tried again at its next turn."""
    due = {job.name: datetime.now(UTC) for job in JOBS}
    while True:
        now = datetime.now(UTC)
        for job in JOBS:
            if now >= due[job.name]:
                try:
                    job.run(uow, now)
                except Exception:
                    log.exception("job %s failed", job.name)
                due[job.name] = now + job.every
        time.sleep(tick)

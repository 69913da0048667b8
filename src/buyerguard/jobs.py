"""Background jobs: one table of service functions, each idempotent and given `now`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buyerguard.config import Settings
from buyerguard.services import deliveries, event_processing, screening, tags, trust
from buyerguard.services.unit_of_work import UnitOfWork

log = logging.getLogger("buyerguard.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[UnitOfWork, datetime], object]


JOBS: tuple[Job, ...] = (
    # Often: reads and writes already treat a tag past its expiry as expired, but until this marks
    # it, a read of its buyer computes the aggregates again. With nothing due it reads one index
    # range.
    Job(
        "expire-old-tags",
        timedelta(minutes=1),
        lambda uow, now: tags.expire_old_tags(uow, now=now),
    ),
    Job(
        "recompute-trust", timedelta(hours=6), lambda uow, now: trust.recompute_trust(uow, now=now)
    ),
    Job(
        "process-events",
        timedelta(seconds=10),
        lambda uow, now: event_processing.process_events(uow, now=now),
    ),
    Job(
        "deliver-alerts",
        timedelta(seconds=10),
        lambda uow, now: deliveries.deliver_alerts(uow, now=now, send=deliveries.HttpSender()),
    ),
)


PURGE_OLD_SCREENINGS = "purge-old-screenings"  # its retention comes from the settings


def all_jobs(settings: Settings) -> tuple[Job, ...]:
    """The table, plus the jobs whose behaviour a setting decides."""
    retention = timedelta(days=settings.screening_retention_days)
    purge = Job(
        PURGE_OLD_SCREENINGS,
        timedelta(days=1),
        lambda uow, now: screening.purge_old_screenings(uow, before=now - retention),
    )
    return (*JOBS, purge)


JOB_NAMES = (*(job.name for job in JOBS), PURGE_OLD_SCREENINGS)


def run_once(name: str, uow: UnitOfWork, *, settings: Settings, now: datetime) -> object:
    return {job.name: job for job in all_jobs(settings)}[name].run(uow, now)


def run_forever(uow: UnitOfWork, *, settings: Settings, tick: float = 5.0) -> None:
    """Run every job when it is due; a failing job is logged and tried again at its next turn."""
    jobs = all_jobs(settings)
    due = {job.name: datetime.now(UTC) for job in jobs}
    while True:
        now = datetime.now(UTC)
        for job in jobs:
            if now >= due[job.name]:
                try:
                    job.run(uow, now)
                except Exception:
                    log.exception("job %s failed", job.name)
                due[job.name] = now + job.every
        time.sleep(tick)

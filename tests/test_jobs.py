from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from buyerguard import jobs
from buyerguard.config import Settings
from buyerguard.domain.screening import Order
from buyerguard.domain.sellers import Role
from buyerguard.services import screening
from buyerguard.services.sellers import create_seller
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW, SECRET


def test_purge_keeps_the_decision_log_within_its_retention(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    seller = create_seller(uow, "Shop", role=Role.SELLER, now=NOW).seller
    order = Order("O-1", 10.0, "EUR", "prepaid", "DE")
    for days_ago in (400, 10):
        when = NOW - timedelta(days=days_ago)
        screening.screen_order(
            uow,
            order,
            {"email": f"b{days_ago}@example.com"},
            seller_id=seller.id,
            secret=SECRET,
            now=when,
        )
    settings = Settings(data_dir=tmp_path, screening_retention_days=365)
    assert jobs.run_once("purge-old-screenings", uow, settings=settings, now=NOW) == 1
    left = screening.list_screenings(
        uow, seller_id=seller.id, action=None, since=None, until=None, after_id=None, limit=10
    )
    assert [s.created_at for s in left] == [NOW - timedelta(days=10)]


def test_every_job_name_is_runnable(tmp_path: Path) -> None:
    names = {job.name for job in jobs.all_jobs(Settings(data_dir=tmp_path))}
    assert names == set(jobs.JOB_NAMES)

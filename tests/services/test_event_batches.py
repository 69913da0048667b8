"""How process-events cuts the inbox into transactions: short ones, with other writers let in."""

from __future__ import annotations

import gc

from buyerguard.services.event_processing import FIRST_BATCH, MIN_BATCH, process_events
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

from .events_helpers import NOW, event, new_seller, post

EVENTS = 600


class Ticking:
    """A clock that moves `step` seconds at every reading: each batch takes `step`."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def inbox(uow) -> int:
    shop = new_seller(uow, "Shop")
    post(
        uow,
        shop,
        *(
            event(f"e{n}", "order.created", f"A-{n}", buyer={"email": f"b{n % 50}@example.com"})
            for n in range(EVENTS)
        ),
    )
    return shop


def test_batches_that_take_too_long_shrink_to_the_smallest(uow):
    inbox(uow)
    report = process_events(uow, now=NOW, batch_seconds=0.05, clock=Ticking(0.2))
    # Halved at once at most: FIRST_BATCH, then MIN_BATCH at a time.
    assert FIRST_BATCH == 2 * MIN_BATCH
    assert report.events == EVENTS
    assert report.batches == 1 + (EVENTS - FIRST_BATCH) // MIN_BATCH
    with uow:
        assert uow.events.count_pending() == 0


def test_quick_batches_grow_up_to_the_batch_size(uow):
    inbox(uow)
    report = process_events(
        uow, now=NOW, batch_size=3 * FIRST_BATCH, batch_seconds=0.05, clock=Ticking(0.001)
    )
    # Doubled at once at most: FIRST_BATCH, then twice that, then batch_size.
    assert (report.events, report.batches) == (EVENTS, 3)


class Recording(SqlUnitOfWork):
    """Notes whether the garbage collector ran at each commit, and each call to give_way."""

    def __init__(self, database: Database) -> None:
        super().__init__(database.sessions)
        self.calls: list[str] = []

    def commit(self) -> None:
        self.calls.append("commit, collector on" if gc.isenabled() else "commit")
        super().commit()

    def give_way(self) -> None:
        self.calls.append("give way")
        super().give_way()


def test_other_writers_may_go_between_batches_which_run_without_collector(uow, database):
    inbox(uow)
    recording = Recording(database)
    report = process_events(recording, now=NOW, batch_size=EVENTS // 2, clock=Ticking(0.001))
    assert report.batches == 3  # 100, 200, 300
    assert recording.calls == ["commit", "give way"] * 3
    assert gc.isenabled()

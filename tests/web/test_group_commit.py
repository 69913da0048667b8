"""Group commit: waiting requests share a batch; a failing batch fails only its bad items."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

import pytest

from buyerguard.services.unit_of_work import CommitFailedError
from buyerguard.web.group_commit import GroupCommitter


def _held_first(
    handle: Callable[[Sequence[int]], list[int]], *, max_batch: int = 4
) -> tuple[GroupCommitter[int, int], threading.Event, list[list[int]]]:
    """A committer whose first batch waits for `release`, so that the others queue up."""
    release = threading.Event()
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            release.wait(timeout=10)
        return handle(items)

    return GroupCommitter(run, max_batch=max_batch), release, batches


async def _submit_all(
    committer: GroupCommitter[int, int], release: threading.Event
) -> list[object]:
    first = asyncio.ensure_future(committer.submit(0))
    await asyncio.sleep(0.05)  # the worker holds item 0
    rest = [asyncio.ensure_future(committer.submit(i)) for i in range(1, 7)]
    await asyncio.sleep(0.05)  # items 1-6 wait in the queue
    release.set()
    return list(await asyncio.gather(first, *rest, return_exceptions=True))


def test_requests_that_wait_together_share_a_batch() -> None:
    committer, release, batches = _held_first(lambda items: [i * 10 for i in items])
    results = asyncio.run(_submit_all(committer, release))
    committer.stop()
    assert results == [0, 10, 20, 30, 40, 50, 60]
    assert batches == [[0], [1, 2, 3, 4], [5, 6]]


def test_a_failing_batch_is_retried_item_by_item() -> None:
    def handle(items: Sequence[int]) -> list[int]:
        if 3 in items:
            raise ValueError("item 3 is bad")
        return [i + 100 for i in items]

    committer, release, batches = _held_first(handle)
    results = asyncio.run(_submit_all(committer, release))
    committer.stop()
    assert results[:3] == [100, 101, 102]
    assert isinstance(results[3], ValueError)
    assert results[4:] == [104, 105, 106]
    assert [1, 2, 3, 4] in batches
    assert [b for b in batches if len(b) == 1 and b != [0]][:4] == [[1], [2], [3], [4]]


def test_stop_finishes_what_is_queued_and_ends_the_threads() -> None:
    committer: GroupCommitter[int, int] = GroupCommitter(lambda items: list(items), threads=2)

    async def one() -> int:
        return await committer.submit(7)

    assert asyncio.run(one()) == 7
    committer.stop()
    assert not [t for t in threading.enumerate() if t.name == "group-commit"]


def test_an_error_of_a_lone_item_reaches_its_caller() -> None:
    def run(items: Sequence[int]) -> list[int]:
        raise RuntimeError("disk full")

    committer: GroupCommitter[int, int] = GroupCommitter(run)
    with pytest.raises(RuntimeError, match="disk full"):
        asyncio.run(committer.submit(1))
    committer.stop()


def test_after_stop_items_are_refused_until_resumed() -> None:
    committer: GroupCommitter[int, int] = GroupCommitter(lambda items: [i + 1 for i in items])
    committer.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        asyncio.run(committer.submit(1))
    committer.resume()
    assert asyncio.run(committer.submit(1)) == 2
    committer.stop()


def test_a_run_that_answers_wrongly_fails_its_requests_instead_of_hanging() -> None:
    committer: GroupCommitter[int, int] = GroupCommitter(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        asyncio.run(asyncio.wait_for(committer.submit(1), timeout=10))
    committer.stop()


def test_a_failed_commit_fails_the_whole_batch_once() -> None:
    def handle(items: Sequence[int]) -> list[int]:
        if items == [0]:
            return [0]
        raise CommitFailedError("the commit may have gone through")

    committer, release, runs = _held_first(handle, max_batch=8)
    results = asyncio.run(_submit_all(committer, release))
    committer.stop()
    assert results[0] == 0
    assert all(isinstance(r, CommitFailedError) for r in results[1:])
    assert runs == [[0], [1, 2, 3, 4, 5, 6]]  # no item run again alone

"""Group commit: requests that arrive together are written in one transaction.

A screening writes (its order and its decision). With a thread per request, SQLite's single writer
makes concurrent screenings queue on its lock, sleeping in its busy handler: hundreds of
milliseconds at the tail under load. Here a few writer threads per process (one for SQLite) each
take every request waiting when they become free and run them in one transaction, so a busy server
commits once for many requests and never contends with itself.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from buyerguard.services.unit_of_work import CommitFailedError

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class _Failed:
    error: Exception


@dataclass(frozen=True)
class _Waiting(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]
    loop: asyncio.AbstractEventLoop


class GroupCommitter(Generic[Item, Result]):
    """`run` handles a batch in one transaction and returns one result per item, in order. If it
    raises, each item of the batch is run again alone, so that one bad item fails only itself,
    unless the COMMIT itself failed (CommitFailedError: the batch may have been written)."""

    def __init__(
        self,
        run: Callable[[Sequence[Item]], Sequence[Result]],
        *,
        threads: int = 1,
        max_batch: int = 64,
        name: str = "group-commit",
    ) -> None:
        self.run = run
        self.threads = threads
        self.max_batch = max_batch
        self.name = name
        # None asks a thread to stop.
        self._queue: queue.SimpleQueue[_Waiting[Item, Result] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopped = False

    async def submit(self, item: Item) -> Result:
        """Queue the item and wait for its result (or its exception)."""
        if self._stopped:
            raise RuntimeError(f"{self.name} is stopped: the server is shutting down")
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.put(_Waiting(item, future, loop))
        return await future

    def resume(self) -> None:
        """Take items again after `stop` (an application started anew)."""
        self._stopped = False

    def stop(self) -> None:
        """Finish what is queued, then end the threads; later items are refused."""
        with self._lock:
            self._stopped = True
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            worker.join(timeout=30)

    def _start(self) -> None:
        if len(self._workers) == self.threads and all(w.is_alive() for w in self._workers):
            return
        with self._lock:
            self._workers = [w for w in self._workers if w.is_alive()]
            while len(self._workers) < self.threads:
                worker = threading.Thread(target=self._work, name=self.name, daemon=True)
                worker.start()
                self._workers.append(worker)

    def _work(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following is None:
                    stopping = True
                    break
                batch.append(following)
            self._settle(batch)

    def _settle(self, batch: list[_Waiting[Item, Result]]) -> None:
        outcomes: list[Result | _Failed]
        try:
            outcomes = self._outcomes([waiting.item for waiting in batch])
        except Exception as error:  # a fault here must not leave the requests waiting forever
            outcomes = [_Failed(error)] * len(batch)
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.loop.is_closed():
                continue  # its caller is gone with its event loop
            try:
                waiting.loop.call_soon_threadsafe(_resolve, waiting.future, outcome)
            except RuntimeError:
                continue  # the loop closed after the check

    def _outcomes(self, items: list[Item]) -> list[Result | _Failed]:
        try:
            results: list[Result | _Failed] = list(self.run(items))
        except Exception as error:  # each item is retried alone, below, unless that is unsafe
            # After a failed COMMIT the batch may be written: running its items again would do
            # their work twice (log screenings twice, call new events duplicates).
            if len(items) == 1 or isinstance(error, CommitFailedError):
                return [_Failed(error)] * len(items)
            return [self._alone(item) for item in items]
        if len(results) != len(items):
            raise RuntimeError(f"{len(results)} results for {len(items)} items")
        return results

    def _alone(self, item: Item) -> Result | _Failed:
        try:
            (result,) = self.run([item])
        except Exception as error:  # handed to the request that sent it
            return _Failed(error)
        return result


def _resolve(future: asyncio.Future[Result], outcome: Result | _Failed) -> None:
    if future.cancelled():  # the client went away; its item was handled all the same
        return
    if isinstance(outcome, _Failed):
        future.set_exception(outcome.error)
    else:
        future.set_result(outcome)

"""One pause of CPython's cyclic garbage collector for the whole process, counted.

Imports and event processing keep many objects alive for seconds and create no cycles worth
collecting, yet every so many allocations the collector traverses all objects (half an import's
time, measured; 100 ms and more inside an event batch's transaction). The collector is a setting of
the process: two pauses that overlap must not re-enable it under each other, so the first pause
disables it and the last to end restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _CollectorPause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pauses = 0
        self._was_enabled = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._pauses == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._pauses += 1
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1
                if self._pauses == 0 and self._was_enabled:
                    gc.enable()


COLLECTOR = _CollectorPause()

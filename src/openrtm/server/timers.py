"""One timer facility for every deadline of a node (design §6: no per-connection timers).

Login deadlines, token expiry, invitation timers and liveness all go through one
:class:`Timers`: a heap of deadlines, rounded up to a resolution so that deadlines close
together fire in one wake-up, and a single event-loop handle armed for the earliest one.
Cancelling is O(1): the entry is marked and skipped when it comes due.

:class:`TimerQueue` is the pure part (no event loop), so it is tested with a fake clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable

__all__ = ["Timer", "TimerQueue", "Timers", "now_ms"]

log = logging.getLogger("openrtm.timers")


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch: how the protocol and the store stamp times."""
    return time.time_ns() // 1_000_000


class Timer:
    """A scheduled callback; :meth:`cancel` it to stop it from running."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the callback from running; safe to call more than once or after it ran."""
        self.cancelled = True


class TimerQueue:
    """Deadlines in a heap, rounded up to ``resolution`` seconds; no I/O.

    Args:
        resolution: deadlines are rounded up to a multiple of this, so a timer never fires
            early and fires at most ``resolution`` late.
    """

    def __init__(self, resolution: float) -> None:
        if resolution <= 0:
            raise ValueError("resolution must be positive")
        self._resolution = resolution
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Schedule ``callback`` at ``deadline`` (rounded up to the resolution)."""
        slot = math.ceil(deadline / self._resolution) * self._resolution
        timer = Timer(slot, callback)
        heapq.heappush(self._heap, (slot, next(self._seq), timer))
        return timer

    def next_deadline(self) -> float | None:
        """Return the earliest pending deadline, dropping cancelled timers at the top."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> list[Timer]:
        """Remove and return the live timers whose deadline is at or before ``now``, in order."""
        due: list[Timer] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            timer = heapq.heappop(heap)[2]
            if not timer.cancelled:
                due.append(timer)
        return due


class Timers:
    """The node's timer facility on an asyncio loop: one armed handle, whatever the count."""

    def __init__(self, loop: asyncio.AbstractEventLoop, resolution: float = 0.05) -> None:
        self._loop = loop
        # The loop's clock, the one deadlines are measured on (the loop's own method: every
        # message reads it).
        self.now: Callable[[], float] = loop.time
        self._queue = TimerQueue(resolution)
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None

    def __len__(self) -> int:
        return len(self._queue)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``delay`` seconds; returns a cancellable :class:`Timer`."""
        timer = self._queue.push(self._loop.time() + delay, callback)
        if self._armed_for is None or timer.deadline < self._armed_for:
            self._arm(timer.deadline)
        return timer

    def close(self) -> None:
        """Cancel the armed handle; pending timers never run."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._armed_for = None

    def _arm(self, deadline: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed_for = deadline
        self._handle = self._loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        # asyncio may run a handle up to its clock resolution early; the armed deadline has
        # come as far as the loop is concerned, so it counts as now.
        now = max(self._loop.time(), self._armed_for or 0.0)
        self._handle = None
        self._armed_for = None
        for timer in self._queue.pop_due(now):
            try:
                timer.callback()
            except Exception:
                # One failing callback must not stop the others or the facility.
                log.exception("timer callback failed")
        deadline = self._queue.next_deadline()
        if deadline is not None:
            self._arm(deadline)

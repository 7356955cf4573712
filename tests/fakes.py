"""A clock and a timer for tests of components: time moves only when a test says so."""

from __future__ import annotations

import heapq
from collections.abc import Callable


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


class FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeTimer:
    """Keeps the callbacks asked for; ``advance`` fires the due ones in time order, moving the clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._queue: list[tuple[float, int, FakeHandle, Callable[[], None]]] = []
        self._n = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeHandle:
        handle = FakeHandle()
        self._n += 1
        heapq.heappush(self._queue, (self.clock.t + delay, self._n, handle, callback))
        return handle

    def live(self) -> int:
        """Callbacks waiting that were not cancelled."""
        return sum(1 for _, _, handle, _ in self._queue if not handle.cancelled)

    def advance(self, seconds: float) -> None:
        end = self.clock.t + seconds
        while self._queue and self._queue[0][0] <= end + 1e-12:
            when, _, handle, callback = heapq.heappop(self._queue)
            self.clock.t = max(self.clock.t, when)
            if not handle.cancelled:
                callback()
        self.clock.t = end

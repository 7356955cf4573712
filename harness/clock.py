"""The simulated clock and timer the harness injects into the system: SimPy time, seen through
the system's own ``venue.clock`` protocols."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from simulator.world import now_reader


class SimClock:
    def __init__(self, env: simpy.Environment) -> None:
        # The system reads the time a few times per market data update: a read made in C, not a method.
        self.now: Callable[[], float] = now_reader(env)


class _Handle:
    __slots__ = ("cancelled", "callback", "wrap")

    def __init__(
        self, callback: Callable[[], None], wrap: Callable[[Callable[[], None]], None] | None
    ) -> None:
        self.cancelled = False
        self.callback = callback
        self.wrap = wrap

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self, _event: object) -> None:
        if not self.cancelled:
            if self.wrap is None:
                self.callback()
            else:
                self.wrap(self.callback)


class SimTimer:
    """Runs callbacks at simulated times; ``wrap`` lets the harness charge their compute time."""

    def __init__(
        self, env: simpy.Environment, wrap: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self._env = env
        self._wrap = wrap

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Handle:
        handle = _Handle(callback, self._wrap)
        self._env.timeout(delay if delay > 0.0 else 0.0).callbacks.append(handle.fire)
        return handle

"""The simulated clock and timer the harness injects into the system: SimPy time, seen through
the system's own ``venue.clock`` protocols."""

from __future__ import annotations

from collections.abc import Callable

import simpy


class SimClock:
    def __init__(self, env: simpy.Environment) -> None:
        self._env = env

    def now(self) -> float:
        return self._env.now


class _Handle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class SimTimer:
    """Runs callbacks at simulated times; ``wrap`` lets the harness charge their compute time."""

    def __init__(
        self, env: simpy.Environment, wrap: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self._env = env
        self._wrap = wrap

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Handle:
        handle = _Handle()
        wrap = self._wrap

        def fire(_event: object) -> None:
            if handle.cancelled:
                return
            if wrap is None:
                callback()
            else:
                wrap(callback)

        self._env.timeout(max(0.0, delay)).callbacks.append(fire)
        return handle

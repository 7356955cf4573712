"""Time as the trading system sees it: a clock to read and a timer to schedule callbacks.

The system never reads the wall clock; a harness injects a simulated clock, a live deployment a
real one. Both satisfy these protocols.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the session's epoch."""
        ...


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Timer(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` once after ``delay`` seconds of this timer's time."""
        ...

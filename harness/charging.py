"""Charging the system's measured compute time to simulated time.

The system's callbacks (market data, session messages, timers) run instantly in simulated time
unless their wall-clock cost is charged: then the client is busy for that long and whatever it
sends leaves later, as it would from a real single-threaded process. Measuring wall time here is
the harness's job; the system itself never reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from venue.transport import Connection, FeedSubscription, Venue


class ComputeCharger:
    def __init__(self, charge: Callable[[float], None]) -> None:
        self._charge = charge
        self._depth = 0
        self.seconds = 0.0
        self.calls = 0

    def run(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Run ``callback`` and charge its wall time; nested calls are charged once, by the outermost."""
        if self._depth:
            return callback(*args)
        self._depth += 1
        started = perf_counter()
        try:
            return callback(*args)
        finally:
            spent = perf_counter() - started
            self._depth -= 1
            self.seconds += spent
            self.calls += 1
            self._charge(spent)

    def wrap(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: self.run(callback, *args)


class ChargedVenue:
    """A venue whose callbacks into the client are charged by ``charger``."""

    def __init__(self, venue: Venue, charger: ComputeCharger) -> None:
        self._venue = venue
        self._charger = charger

    def connect(self, on_receive: Callable[..., None], on_disconnect: Callable[[str], None]) -> Connection:
        return self._venue.connect(self._charger.wrap(on_receive), self._charger.wrap(on_disconnect))

    def subscribe(self, on_market_data: Callable[..., None]) -> FeedSubscription:
        return self._venue.subscribe(self._charger.wrap(on_market_data))

"""Charging the system's measured compute time to simulated time.

The system's callbacks (market data, session messages, timers) run instantly in simulated time
unless their compute cost is charged: then the client is busy for that long and whatever it
sends leaves later, as it would from a real single-threaded process. The cost is the CPU time the
callback's thread spent (``time.thread_time``), not the wall time between its start and end: on a
busy machine the operating system may take the processor away in the middle of a callback, and a
wall-clock charge would bill the system for another process's work (seen here: a p99 order latency
of 18.6 ms at the stress load on a machine with a load average of 5, where the system's own compute
kept it half busy). Measuring it is the harness's job; the system itself never reads a clock of the
machine.
"""

from __future__ import annotations

from collections.abc import Callable
from time import thread_time
from typing import Any

from venue.transport import Connection, FeedSubscription, Venue


class ComputeCharger:
    def __init__(self, charge: Callable[[float], None]) -> None:
        self._charge = charge
        self._depth = 0
        self.seconds = 0.0
        self.calls = 0
        self._deferred: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def defer(self, action: Callable[..., Any], *args: Any) -> None:
        """Run ``action`` now outside a charged call, else once the call's time has been charged:
        what a busy client sends leaves when it is done computing."""
        if self._depth:
            self._deferred.append((action, args))
        else:
            action(*args)

    def run(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Run ``callback`` and charge its wall time; nested calls are charged once, by the outermost."""
        if self._depth:
            return callback(*args)
        self._depth += 1
        started = thread_time()
        try:
            return callback(*args)
        finally:
            spent = thread_time() - started
            self._depth -= 1
            self.seconds += spent
            self.calls += 1
            self._charge(spent)
            deferred, self._deferred = self._deferred, []
            for action, pending in deferred:
                action(*pending)

    def wrap(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: self.run(callback, *args)


class _ChargedConnection:
    def __init__(self, connection: Connection, charger: ComputeCharger) -> None:
        self._connection = connection
        self._charger = charger

    def send(self, envelope: Any) -> None:
        self._charger.defer(self._connection.send, envelope)

    def close(self) -> None:
        self._charger.defer(self._connection.close)


class _ChargedSubscription:
    def __init__(self, subscription: FeedSubscription, charger: ComputeCharger) -> None:
        self._subscription = subscription
        self._charger = charger

    def request_snapshot(self, symbol: str) -> None:
        self._charger.defer(self._subscription.request_snapshot, symbol)

    def close(self) -> None:
        self._subscription.close()


class ChargedVenue:
    """A venue whose callbacks into the client are charged by ``charger``."""

    def __init__(self, venue: Venue, charger: ComputeCharger) -> None:
        self._venue = venue
        self._charger = charger

    def connect(self, on_receive: Callable[..., None], on_disconnect: Callable[[str], None]) -> Connection:
        connection = self._venue.connect(self._charger.wrap(on_receive), self._charger.wrap(on_disconnect))
        return _ChargedConnection(connection, self._charger)

    def subscribe(self, on_market_data: Callable[..., None]) -> FeedSubscription:
        subscription = self._venue.subscribe(self._charger.wrap(on_market_data))
        return _ChargedSubscription(subscription, self._charger)

"""How a client reaches a venue: order-entry connections and a market data subscription.

A simulated exchange and a real gateway both offer these; the trading system depends only on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from venue.messages import Envelope, MarketData


class Connection(Protocol):
    """One order-entry transport. Messages arrive through the ``on_receive`` given to ``connect``."""

    def send(self, envelope: Envelope) -> None: ...

    def close(self) -> None: ...


class FeedSubscription(Protocol):
    def request_snapshot(self, symbol: str) -> None:
        """Ask for a Snapshot of ``symbol``; it arrives through the subscription's callback."""
        ...

    def close(self) -> None: ...


class Venue(Protocol):
    def connect(
        self,
        on_receive: Callable[[Envelope], None],
        on_disconnect: Callable[[str], None],
    ) -> Connection:
        """Open a transport; the client must then send a Logon. ``on_disconnect`` gets the reason."""
        ...

    def subscribe(self, on_market_data: Callable[[MarketData], None]) -> FeedSubscription: ...

"""The exchange's market data publisher: incremental updates per symbol channel, and snapshots.

Each symbol is one channel numbered 1, 2, 3, ... across its quotes, trades, depth and trading
status. A quote is published only when the top of book changed and a depth update only when the top
``levels`` changed, as a real feed does. A snapshot carries the channel's current number, so the
next incremental after it is ``snapshot.seq + 1``.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.book import OrderBook
from venue.messages import Depth, MarketData, Phase, Quote, Side, Snapshot, TradePrint, TradingStatus

Subscriber = Callable[[MarketData], None]


class Feed:
    def __init__(self, symbols: list[str], now: Callable[[], float], levels: int = 5) -> None:
        self.levels = levels
        self._now = now
        self._seq = dict.fromkeys(symbols, 0)
        self._top: dict[str, tuple[int, int, int, int]] = dict.fromkeys(symbols, (0, 0, 0, 0))
        self._depth: dict[str, tuple] = dict.fromkeys(symbols, ((), ()))
        self._subscribers: list[Subscriber] = []
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def seq(self, symbol: str) -> int:
        return self._seq[symbol]

    def _next(self, symbol: str) -> int:
        seq = self._seq[symbol] + 1
        self._seq[symbol] = seq
        return seq

    def _publish(self, message: MarketData) -> None:
        self.published += 1
        for subscriber in self._subscribers:
            subscriber(message)

    def trade(self, symbol: str, price: int, qty: int, aggressor: Side) -> None:
        self._publish(TradePrint(symbol, self._next(symbol), price, qty, aggressor, self._now()))

    def status(self, symbol: str, phase: Phase, reason: str) -> None:
        self._publish(TradingStatus(symbol, self._next(symbol), phase, reason, self._now()))

    def book_changed(
        self, symbol: str, book: OrderBook, side: bool | None = None, prices: tuple[int, ...] = ()
    ) -> None:
        """Publish what changed at the top and in the top levels after an event on ``book``.

        ``side`` (True for bids) and ``prices`` say where an event that matched nothing touched the
        book: when every such price lies beyond the last published level of a full side, neither
        the top nor the published levels can have moved, and the book is not read again.
        """
        if side is not None:
            published = self._depth[symbol][0 if side else 1]
            if len(published) == self.levels:
                edge = published[-1][0]
                if not prices or (max(prices) < edge if side else min(prices) > edge):
                    return
        bids, asks = book.depth(self.levels)
        bid = bids[0] if bids else (0, 0)
        ask = asks[0] if asks else (0, 0)
        top = (bid[0], bid[1], ask[0], ask[1])
        if top != self._top[symbol]:
            self._top[symbol] = top
            self._publish(Quote(symbol, self._next(symbol), top[0], top[1], top[2], top[3], self._now()))
        depth = (bids, asks)
        if depth != self._depth[symbol]:
            self._depth[symbol] = depth
            self._publish(Depth(symbol, self._next(symbol), bids, asks, self._now()))

    def snapshot(
        self, symbol: str, book: OrderBook, phase: Phase, last_price: int, reference: int
    ) -> Snapshot:
        bids, asks = book.depth(self.levels)
        return Snapshot(
            symbol, self._seq[symbol], phase, bids, asks, last_price, self._now(), reference, self.levels
        )

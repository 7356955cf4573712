"""A plain market data client for exchange scenarios: it records each channel's sequence numbers,
notices a gap, and rebuilds its top of book from the exchange's snapshot.

After a gap it ignores incrementals until the snapshot arrives, then applies those numbered after
it: the feed is FIFO, so nothing published after the snapshot can overtake it.
"""

from __future__ import annotations

from collections import defaultdict

from venue.messages import MarketData, Quote, Snapshot

Top = tuple[int, int, int, int]  # bid price, bid qty, ask price, ask qty; 0 for an empty side


class FeedRecorder:
    def __init__(self, venue) -> None:  # noqa: ANN001 - anything with venue.transport.Venue.subscribe
        self.subscription = venue.subscribe(self.on_message)
        self.seqs: dict[str, list[int]] = defaultdict(list)
        self.last: dict[str, int] = {}
        self.gaps: dict[str, int] = defaultdict(int)
        self.recovered: dict[str, int] = defaultdict(int)
        self.top: dict[str, Top] = {}
        self._awaiting: set[str] = set()

    def on_message(self, message: MarketData) -> None:
        symbol = message.symbol
        if isinstance(message, Snapshot):
            if symbol in self._awaiting:
                self._awaiting.discard(symbol)
                self.recovered[symbol] += 1
            bid = message.bids[0] if message.bids else (0, 0)
            ask = message.asks[0] if message.asks else (0, 0)
            self.top[symbol] = (bid[0], bid[1], ask[0], ask[1])
            self.last[symbol] = message.seq
            return
        self.seqs[symbol].append(message.seq)
        if symbol in self._awaiting:
            return
        expected = self.last.get(symbol, 0) + 1
        if message.seq > expected:
            self.gaps[symbol] += 1
            self._awaiting.add(symbol)
            self.subscription.request_snapshot(symbol)
            return
        if message.seq < expected:
            return
        self.last[symbol] = message.seq
        if isinstance(message, Quote):
            self.top[symbol] = (message.bid_price, message.bid_qty, message.ask_price, message.ask_qty)

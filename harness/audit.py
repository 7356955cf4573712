"""Observers the harness attaches to a session: the exchange's quote tape, a cache audit, and the
wall-clock timing of the market data system's own processing.

- :class:`QuoteTape` keeps the most recent top-of-book quotes the exchange published, by symbol
  and sequence number, so a decision can be traced back to a quote the exchange really sent.
- :class:`TopAudit` compares the market data system's top of book with every quote it applies,
  all through the session, not only at its end.
- :class:`CacheAudit` checks every quote the cache serves against the market data system's
  current book: a served quote whose prices differ from the book is counted as stale. It also
  counts the reads served with the very object served before for the symbol: a cache that rebuilds
  on every read cannot do that, whatever its own hit counter says.
- :class:`MarketDataTiming` times the market data system's processing of each update with
  ``perf_counter`` (the system never reads the wall clock; the harness does it for it).

Both attach through seams the system documents for the purpose (``MarketDataEnhancer.observe`` and
``TradingSystem.instrument_market_data``), never by replacing a method on a live object.
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections import OrderedDict
from collections.abc import Callable
from time import perf_counter

from venue.messages import MarketData, Quote

TAPE_SIZE = 200_000


class QuoteTape:
    def __init__(self, feed) -> None:  # noqa: ANN001 - simulator.feed.Feed
        # (symbol, seq) -> (bid, bid size, ask, ask size)
        self.quotes: OrderedDict[tuple[str, int], tuple[int, int, int, int]] = OrderedDict()
        feed.subscribe(self._on)

    def _on(self, message: MarketData) -> None:
        if type(message) is Quote:
            self.quotes[(message.symbol, message.seq)] = (
                message.bid_price,
                message.bid_qty,
                message.ask_price,
                message.ask_qty,
            )
            if len(self.quotes) > TAPE_SIZE:
                self.quotes.popitem(last=False)

    def latest(self, symbol: str, seq: int) -> tuple[int, tuple[int, int, int, int]] | None:
        """The last quote of ``symbol`` published at or before channel number ``seq``."""
        for n in range(seq, 0, -1):
            found = self.quotes.get((symbol, n))
            if found is not None:
                return n, found
        return None


class TopAudit:
    """After each quote the market data system applies, its top of book (prices and sizes) against
    that quote, as the exchange published it. A symbol waiting for a snapshot is not compared: its
    book is known to be out of date until the snapshot arrives."""

    def __init__(self, system) -> None:  # noqa: ANN001 - system.app.TradingSystem
        self.checks = 0
        self.count = 0
        self.differences: list[str] = []
        md = system.market_data

        def wrap(process: Callable[[MarketData], None]) -> Callable[[MarketData], None]:
            def checked(message: MarketData) -> None:
                process(message)
                if type(message) is Quote:
                    self._check(md, message)

            return checked

        system.instrument_market_data(wrap)

    def _check(self, md, quote: Quote) -> None:  # noqa: ANN001 - system.marketdata.MarketDataSystem
        state = md.state(quote.symbol)
        if state is None or state.recovering or state.seq != quote.seq:
            return
        self.checks += 1
        top = md.top(quote.symbol)
        seen = (top.bid, top.bid_qty, top.ask, top.ask_qty)
        published = (quote.bid_price, quote.bid_qty, quote.ask_price, quote.ask_qty)
        if seen != published:
            self.count += 1
            if len(self.differences) < 5:
                self.differences.append(
                    f"{quote.symbol} seq {quote.seq}: system {seen}, exchange {published}"
                )


class CacheAudit:
    def __init__(self, system) -> None:  # noqa: ANN001 - system.app.TradingSystem
        self.served = 0
        self.stale = 0
        self.reused = 0  # served the very object served before for the symbol: a hit, seen from outside
        self.examples: list[str] = []
        md = system.market_data
        last: dict[str, object] = {}

        def audit(symbol: str, quote) -> None:  # noqa: ANN001 - system.cache.CachedQuote
            self.served += 1
            if last.get(symbol) is quote:
                self.reused += 1
            last[symbol] = quote
            book = md.state(symbol)
            if (quote.bid, quote.ask) != (book.bid, book.ask):
                self.stale += 1
                if len(self.examples) < 5:
                    self.examples.append(
                        f"{symbol}: served {quote.bid}/{quote.ask}, book {book.bid}/{book.ask}"
                    )

        system.cache.observe(audit)


class MarketDataTiming:
    def __init__(self, system) -> None:  # noqa: ANN001 - system.app.TradingSystem
        self.samples = array("d")  # wall seconds per update, in arrival order
        append = self.samples.append

        def wrap(process: Callable[[MarketData], None]) -> Callable[[MarketData], None]:
            def timed(message: MarketData) -> None:
                started = perf_counter()
                process(message)
                append(perf_counter() - started)

            return timed

        system.instrument_market_data(wrap)

    def percentile(self, q: float, part: slice = slice(None)) -> float:
        """Nearest-rank percentile ``q`` of the samples (of ``part`` of them), in seconds."""
        values = sorted(self.samples[part])
        if not values:
            return math.nan
        return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]

    def windowed(self, q: float, windows: int = 10) -> float:
        """The median over ``windows`` equal consecutive runs of samples of each run's percentile ``q``:
        a burst of machine noise (another process, a stolen CPU) in one run does not decide it."""
        n = len(self.samples)
        size = max(1, math.ceil(n / windows))  # the last run may be shorter; no sample is left out
        parts = [self.percentile(q, slice(start, start + size)) for start in range(0, n, size)]
        return statistics.median(parts) if parts else math.nan

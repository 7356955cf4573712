"""The market data enhancer: a cache of the price-derived quote view (mid, spread) per symbol.

Readers such as the decision loop and the risk checks ask for quotes many times per book change;
the cache builds the derived price view once per change of the top-of-book prices (or phase) and
serves it until they move. Validity is exact, not time-based: an entry is served only while the
market data system's ``version`` of the symbol equals the version the entry was built from, and
that version is bumped on every change of a top price or the phase, so an outdated price is never
served. The version is NOT bumped by a size-only change at the touch or a trade print, so an entry
holds nothing derived from sizes or trades: sizes are raw, and whoever needs them reads them from
the market data system directly. A quote is unavailable (None) whenever the book is not fit to trade
on: unknown symbol, stale feed, recovering from a gap, not in continuous trading, or not two-sided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.marketdata import MarketDataSystem
from venue.clock import Clock
from venue.messages import Phase

_CONTINUOUS = Phase.CONTINUOUS


@dataclass(frozen=True, slots=True)
class CachedQuote:
    """Two-sided top-of-book prices with their derived figures, as of the market data ``version``.

    Only price-derived fields: sizes and trade prints change without a version bump, so they are
    not kept here (read them from the market data system).
    """

    symbol: str
    bid: int
    ask: int
    mid: float
    spread: int
    time: float  # the book's feed time when the entry was built
    version: int


class MarketDataEnhancer(Lifecycle):
    """Read-through, version-checked cache over :class:`MarketDataSystem`."""

    name = "market_data_enhancer"

    def __init__(self, market_data: MarketDataSystem, clock: Clock, max_age: float | None = None) -> None:
        """``max_age``, if given, also bounds how long (clock seconds) an entry is served unrebuilt.

        Exactness never depends on it (that is the version check); it only caps an entry's age.
        """
        super().__init__()
        if max_age is not None and not max_age > 0:
            raise InvalidInput(self.name, "max_age", f"must be positive, got {max_age}")
        self._md = market_data
        self._clock = clock
        self.max_age = max_age
        self._state = market_data.state
        self._is_stale = market_data.is_stale
        self._entries: dict[str, CachedQuote] = {}
        self._built_at: dict[str, float] = {}
        self.hits = 0
        self.misses = 0
        self.unavailable = 0
        self._observers: list[Callable[[str, CachedQuote], None]] = []

    def observe(self, observer: Callable[[str, CachedQuote], None]) -> None:
        """Call ``observer(symbol, quote)`` with every quote served, hit or rebuilt: the seam through
        which an auditor compares what readers were given with the market data system's book."""
        self._observers.append(observer)

    def quote(self, symbol: str) -> CachedQuote | None:
        """The symbol's current quote, or None when its book is not fit to trade on."""
        book = self._state(symbol)
        if book is None or book.recovering or self._is_stale():
            self.unavailable += 1
            return None
        entry = self._entries.get(symbol)
        # An entry is only ever built from a continuous, two-sided book, and any change of a top
        # price or the phase bumps the version, so a matching version proves the entry still holds.
        if (
            entry is not None
            and entry.version == book.version
            and (self.max_age is None or self._clock.now() - self._built_at[symbol] <= self.max_age)
        ):
            self.hits += 1
            if self._observers:
                for observer in self._observers:
                    observer(symbol, entry)
            return entry
        bid = book.bid
        ask = book.ask
        # A side is empty exactly when its price is 0, so two-sided is judged from the prices.
        if book.phase is not _CONTINUOUS or not (bid and ask):
            if entry is not None:
                del self._entries[symbol]
            self.unavailable += 1
            return None
        entry = CachedQuote(symbol, bid, ask, (bid + ask) / 2, ask - bid, book.time, book.version)
        self._entries[symbol] = entry
        self._built_at[symbol] = self._clock.now()
        self.misses += 1
        for observer in self._observers:
            observer(symbol, entry)
        return entry

    def hit_rate(self) -> float:
        """Hits over reads that could be served; 0.0 before any such read."""
        reads = self.hits + self.misses
        return self.hits / reads if reads else 0.0

    def invalidate(self, symbol: str | None = None) -> None:
        """Drop one symbol's entry, or all; the next read rebuilds it."""
        if symbol is None:
            self._entries.clear()
            self._built_at.clear()
        else:
            self._entries.pop(symbol, None)
            self._built_at.pop(symbol, None)

    def _on_stop(self) -> None:
        self.invalidate()

    # --- component API --------------------------------------------------------------------------

    def health(self) -> Health:
        """From state: unhealthy when an entry contradicts the book it was built from, degraded while
        no symbol can be served (stale feed, or every book recovering or not trading)."""
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        problems = self.validate()
        if problems:
            return Health(HealthState.UNHEALTHY, "; ".join(problems[:3]))
        if self._is_stale():
            return Health(HealthState.DEGRADED, "the market data feed is stale: no quote can be served")
        servable = [
            s for s in self._md.symbols if (book := self._state(s)) is not None and not book.recovering
        ]
        if not servable:
            return Health(HealthState.DEGRADED, "every book is recovering from a gap: no quote can be served")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.hits": float(self.hits),
            f"{n}.misses": float(self.misses),
            f"{n}.unavailable": float(self.unavailable),
            f"{n}.hit_rate": self.hit_rate(),
            f"{n}.entries": float(len(self._entries)),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        for symbol, e in self._entries.items():
            if not e.bid <= e.mid <= e.ask:
                problems.append(f"{symbol}: mid {e.mid} outside bid {e.bid} .. ask {e.ask}")
            if e.spread <= 0:
                problems.append(f"{symbol}: spread {e.spread} not positive")
            if e.version > self._md.version(symbol):
                problems.append(f"{symbol}: entry version {e.version} ahead of the book's")
        return problems

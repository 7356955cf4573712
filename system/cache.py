"""The market data enhancer: a cache of derived quote figures (mid, spread, microprice) per symbol.

Readers such as the decision loop and the risk checks ask for a symbol's quote many times per
book change; the cache builds the derived view once per change and serves it until the book
moves. Validity is exact, not time-based: an entry is served only while the market data system's
``version`` of the symbol equals the version the entry was built from, so an outdated top of book
is never served. A quote is unavailable (None) whenever the book is not fit to trade on: unknown
symbol, stale feed, recovering from a gap, not in continuous trading, or not two-sided.
"""

from __future__ import annotations

from dataclasses import dataclass

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.marketdata import MarketDataSystem
from venue.clock import Clock
from venue.messages import Phase

_CONTINUOUS = Phase.CONTINUOUS


@dataclass(frozen=True, slots=True)
class CachedQuote:
    """A two-sided top of book with its derived figures, as of the market data ``version``."""

    symbol: str
    bid: int
    bid_qty: int
    ask: int
    ask_qty: int
    mid: float
    spread: int
    microprice: float  # size-weighted toward the side with less size: where the next trade leans
    # A trade print does not bump the version, so these two are as of when the entry was built.
    last_price: int
    time: float
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
        self._entries: dict[str, CachedQuote] = {}
        self._built_at: dict[str, float] = {}
        self.hits = 0
        self.misses = 0
        self.unavailable = 0

    def quote(self, symbol: str) -> CachedQuote | None:
        """The symbol's current quote, or None when its book is not fit to trade on."""
        md = self._md
        book = md.state(symbol)
        if book is None or book.recovering or md.is_stale():
            self.unavailable += 1
            return None
        entry = self._entries.get(symbol)
        # An entry is only ever built from a continuous, two-sided book, and any change of top or
        # phase bumps the version, so a matching version proves the entry still holds.
        if (
            entry is not None
            and entry.version == book.version
            and (self.max_age is None or self._clock.now() - self._built_at[symbol] <= self.max_age)
        ):
            self.hits += 1
            return entry
        bid_qty = book.bid_qty
        ask_qty = book.ask_qty
        if book.phase is not _CONTINUOUS or not (bid_qty and ask_qty):
            if entry is not None:
                del self._entries[symbol]
            self.unavailable += 1
            return None
        bid = book.bid
        ask = book.ask
        entry = CachedQuote(
            symbol,
            bid,
            bid_qty,
            ask,
            ask_qty,
            (bid + ask) / 2,
            ask - bid,
            (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty),
            book.last_price,
            book.time,
            book.version,
        )
        self._entries[symbol] = entry
        self._built_at[symbol] = self._clock.now()
        self.misses += 1
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
        return self._stopped_health() or Health(HealthState.HEALTHY)

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
            if not e.bid <= e.microprice <= e.ask:
                problems.append(f"{symbol}: microprice {e.microprice} outside bid {e.bid} .. ask {e.ask}")
            if e.spread <= 0:
                problems.append(f"{symbol}: spread {e.spread} not positive")
            if e.version > self._md.version(symbol):
                problems.append(f"{symbol}: entry version {e.version} ahead of the book's")
        return problems

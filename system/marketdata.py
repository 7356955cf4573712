"""The market data system: turns the venue's feed into a trusted book per symbol.

Each symbol's channel is numbered 1, 2, 3, ... across Quote, TradePrint, Depth and TradingStatus.
The system applies updates strictly in sequence, ignores duplicates, and on a gap stops trusting
the symbol, asks the venue for a Snapshot once, and resumes from it. Malformed updates are refused
with an :class:`InvalidInput` naming the field; they are recorded, never raised back into the feed,
and still consume their sequence number so that no false gap follows. Every applied update is
republished on the bus as ``md.<symbol>``.

Each symbol's ``version`` counts changes of its top-of-book PRICES (a bid or ask price, including a
side becoming empty or non-empty) and of its phase, and every applied snapshot. A size-only change at
the touch and a trade print update the state without bumping it, so a reader may cache anything
derived from the prices and phase while the version is unchanged, but must read sizes live.

This is the hot path of the system, so the per-update code is written for CPython speed: state
lives in ``__slots__`` objects, dispatch is a dict keyed by ``type(message)``, the immutable
:class:`Top` view is only built when someone asks, and nothing is logged per update.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from system.bus import DataFlowManager
from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from venue.clock import Clock
from venue.messages import Depth, MarketData, Phase, Quote, Snapshot, TradePrint, TradingStatus

_MAX_ERRORS = 20
_CONTINUOUS = Phase.CONTINUOUS

Level = tuple[int, int]
Levels = tuple[Level, ...]


class RecoveryTracker(Protocol):
    """What the market data system reports its incidents to (the error recovery system)."""

    def opened(self, kind: str, key: str, detail: str = "") -> None: ...

    def closed(self, kind: str, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Top:
    """An immutable view of one symbol's top of book, as of ``seq``."""

    symbol: str
    bid: int
    bid_qty: int
    ask: int
    ask_qty: int
    last_price: int
    phase: Phase | None
    seq: int
    time: float
    version: int


class BookState:
    """Live per-symbol state; slots because every update reads and writes several fields.

    Owned and written by :class:`MarketDataSystem` only; :meth:`MarketDataSystem.state` lends it
    to same-process readers that cannot afford a :class:`Top` per read, which must not write it.
    """

    __slots__ = (
        "symbol",
        "topic",
        "bid",
        "bid_qty",
        "ask",
        "ask_qty",
        "bids",
        "asks",
        "last_price",
        "last_qty",
        "phase",
        "seq",
        "time",
        "updated_at",
        "version",
        "recovering",
    )

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.topic = f"md.{symbol}"
        self.bid = 0
        self.bid_qty = 0
        self.ask = 0
        self.ask_qty = 0
        self.bids: Levels = ()
        self.asks: Levels = ()
        self.last_price = 0
        self.last_qty = 0
        self.phase: Phase | None = None  # None until the channel's first message
        self.seq = 0  # last sequence number consumed (applied or refused); the next expected is seq + 1
        self.time = 0.0
        self.updated_at = 0.0
        self.version = 0
        self.recovering = False


def _bad_number(value: object, positive: bool = False) -> str | None:
    """Why ``value`` is not a valid price or size, or None when it is."""
    if type(value) is not int:
        if isinstance(value, float) and value != value:
            return "NaN"
        return f"not an integer: {value!r}"
    if value < 0:
        return f"negative: {value}"
    if positive and value == 0:
        return "zero"
    return None


def _side_problem(price: object, qty: object, price_field: str, qty_field: str) -> tuple[str, str] | None:
    problem = _bad_number(price)
    if problem is not None:
        return price_field, problem
    problem = _bad_number(qty)
    if problem is not None:
        return qty_field, problem
    # A side is either empty (0, 0) or has both a price and a size.
    if price == 0 and qty != 0:
        return price_field, f"no price for size {qty}"
    if price != 0 and qty == 0:
        return qty_field, f"no size at price {price}"
    return None


def _levels_ok(levels: object) -> bool:
    """The common case, in one pass: a tuple of (price, qty) pairs of positive ints."""
    if type(levels) is not tuple:
        return False
    try:
        for price, qty in levels:
            if type(price) is not int or type(qty) is not int or price <= 0 or qty <= 0:
                return False
    except (TypeError, ValueError):  # a level that is not a pair
        return False
    return True


def _levels_problem(levels: object) -> str | None:
    """Why ``levels`` is not a valid side of a book, or None when it is."""
    if _levels_ok(levels):
        return None
    if type(levels) is not tuple:
        return f"not a tuple of (price, qty) levels: {levels!r}"
    for i, level in enumerate(levels):
        if type(level) is not tuple or len(level) != 2:
            return f"level {i} is not a (price, qty) pair: {level!r}"
        problem = _bad_number(level[0], positive=True)
        if problem is not None:
            return f"level {i} price {problem}"
        problem = _bad_number(level[1], positive=True)
        if problem is not None:
            return f"level {i} qty {problem}"
    return None


def _crossed(bids: Levels, asks: Levels) -> str | None:
    if bids and asks and bids[0][0] >= asks[0][0]:
        return f"crossed: bid {bids[0][0]} >= ask {asks[0][0]}"
    return None


class MarketDataSystem(Lifecycle):
    """Sequenced, validated, self-recovering books for a fixed list of symbols."""

    name = "market_data_system"

    def __init__(
        self,
        symbols: list[str],
        clock: Clock,
        request_snapshot: Callable[[str], None],
        bus: DataFlowManager | None = None,
        stale_after: float = 2.0,
        depth_levels: int = 5,
        recovery: RecoveryTracker | None = None,
    ) -> None:
        super().__init__()
        if depth_levels < 1:
            raise InvalidInput(self.name, "depth_levels", f"must be at least 1, got {depth_levels}")
        if not stale_after > 0:
            raise InvalidInput(self.name, "stale_after", f"must be positive, got {stale_after}")
        self.symbols = list(symbols)
        self._books: dict[str, BookState] = {symbol: BookState(symbol) for symbol in self.symbols}
        self._clock = clock
        self._now = clock.now
        self._request_snapshot = request_snapshot
        self._bus = bus
        self._publish = bus.publish if bus is not None else None
        self.stale_after = stale_after
        self.depth_levels = depth_levels
        self._recovery = recovery
        self._handlers: dict[type, Callable[[object, float], None]] = {
            Quote: self._on_quote,
            TradePrint: self._on_trade,
            Depth: self._on_depth,
            TradingStatus: self._on_status,
            Snapshot: self._on_snapshot,
        }
        self.updates = 0  # applied incrementals and snapshots
        self.gaps = 0
        self.recoveries = 0
        self.refused = 0
        self.duplicates = 0
        self.snapshots_requested = 0
        self.snapshots_applied = 0
        self.stale_snapshots = 0
        self.skipped = 0  # incrementals ignored while waiting for a recovery snapshot
        self.ignored_stopped = 0
        self.errors: deque[InvalidInput] = deque(maxlen=_MAX_ERRORS)
        self._last_received: float | None = None
        self._stale_open = False

    # --- feed callback --------------------------------------------------------------------------

    def on_market_data(self, message: object) -> None:
        """Take one message from the feed. Never raises for bad data: it is refused and recorded."""
        if not self.running:
            # A stopped system trusts nothing it did not see; the seq gap after restart triggers recovery.
            self.ignored_stopped += 1
            return
        now = self._now()
        self._last_received = now
        if self._stale_open:
            self._stale_open = False
            if self._recovery is not None:
                self._recovery.closed("stale_feed", "feed")
        handler = self._handlers.get(type(message))
        if handler is None:
            self._refuse_message(message)
            return
        handler(message, now)

    def _next_in_sequence(self, m: Quote | TradePrint | Depth | TradingStatus) -> BookState | None:
        """The symbol's book when ``m`` is its channel's next message (its number is then consumed);
        None when ``m`` was for an unknown symbol, a duplicate or past a gap, and has been dealt with."""
        book = self._books.get(m.symbol)
        if book is None:
            self._unknown_symbol(m)
            return None
        seq = m.seq
        if book.recovering or seq != book.seq + 1:
            self._out_of_sequence(book, m)
            return None
        book.seq = seq
        return book

    def _applied(self, book: BookState, m: MarketData, now: float) -> None:
        """Stamp the book with an applied message and tell the bus."""
        book.time = m.time
        book.updated_at = now
        self.updates += 1
        if self._publish is not None:
            self._publish(book.topic, m)

    def _on_quote(self, m: Quote, now: float) -> None:
        book = self._next_in_sequence(m)
        if book is None:
            return
        bp = m.bid_price
        bq = m.bid_qty
        ap = m.ask_price
        aq = m.ask_qty
        # One combined test on the common path; the slow path works out which field is wrong.
        if not (
            type(bp) is int
            and type(bq) is int
            and type(ap) is int
            and type(aq) is int
            and bp >= 0
            and bq >= 0
            and ap >= 0
            and aq >= 0
            and (bp == 0) is (bq == 0)
            and (ap == 0) is (aq == 0)
            and (bp == 0 or ap == 0 or bp < ap)
        ):
            self._refuse_quote(m)
            return
        # Sizes are always stored; only a change of a top price (or the first message) bumps the version.
        book.bid_qty = bq
        book.ask_qty = aq
        if bp != book.bid or ap != book.ask or book.phase is None:
            book.bid = bp
            book.ask = ap
            if book.phase is None:
                book.phase = _CONTINUOUS
            book.version += 1
        self._applied(book, m, now)

    def _on_trade(self, m: TradePrint, now: float) -> None:
        book = self._next_in_sequence(m)
        if book is None:
            return
        price = m.price
        qty = m.qty
        if not (type(price) is int and type(qty) is int and price > 0 and qty > 0):
            field = "price" if _bad_number(price, positive=True) is not None else "qty"
            self._refuse(m, field, _bad_number(getattr(m, field), positive=True) or "invalid")
            return
        book.last_price = price
        book.last_qty = qty
        if book.phase is None:
            # The channel's first message makes the phase known, which is a change of state.
            book.phase = _CONTINUOUS
            book.version += 1
        self._applied(book, m, now)

    def _on_depth(self, m: Depth, now: float) -> None:
        book = self._next_in_sequence(m)
        if book is None:
            return
        bids = m.bids
        asks = m.asks
        if not (_levels_ok(bids) and _levels_ok(asks)) or (bids and asks and bids[0][0] >= asks[0][0]):
            problem = _levels_problem(bids)
            if problem is not None:
                self._refuse(m, "bids", problem)
                return
            self._refuse(m, "asks", _levels_problem(asks) or _crossed(bids, asks))
            return
        if self._set_levels(book, bids, asks) or book.phase is None:
            if book.phase is None:
                book.phase = _CONTINUOUS
            book.version += 1
        self._applied(book, m, now)

    def _on_status(self, m: TradingStatus, now: float) -> None:
        book = self._next_in_sequence(m)
        if book is None:
            return
        if type(m.phase) is not Phase:
            self._refuse(m, "phase", f"not a trading phase: {m.phase!r}")
            return
        book.phase = m.phase
        book.version += 1
        self._applied(book, m, now)

    def _on_snapshot(self, m: Snapshot, now: float) -> None:
        book = self._books.get(m.symbol)
        if book is None:
            self._unknown_symbol(m)
            return
        seq = m.seq
        if type(seq) is not int or seq < 0:
            self._refuse(m, "seq", f"not a sequence number: {seq!r}")
            return
        if not book.recovering and seq < book.seq:
            # Older than what was already applied (e.g. the late answer to an earlier request).
            self.stale_snapshots += 1
            return
        problem = _levels_problem(m.bids)
        if problem is not None:
            self._refuse(m, "bids", problem)
            return
        problem = _levels_problem(m.asks) or _crossed(m.bids, m.asks)
        if problem is not None:
            self._refuse(m, "asks", problem)
            return
        if type(m.phase) is not Phase:
            self._refuse(m, "phase", f"not a trading phase: {m.phase!r}")
            return
        problem = _bad_number(m.last_price)
        if problem is not None:
            self._refuse(m, "last_price", problem)
            return
        self._set_levels(book, m.bids, m.asks)
        book.last_price = m.last_price
        book.phase = m.phase
        book.seq = seq
        book.version += 1  # a snapshot replaces the book wholesale
        self.snapshots_applied += 1
        if book.recovering:
            book.recovering = False
            self.recoveries += 1
            if self._recovery is not None:
                self._recovery.closed("feed_gap", book.symbol)
        self._applied(book, m, now)

    def _set_levels(self, book: BookState, bids: Levels, asks: Levels) -> bool:
        """Store the levels and the top they imply; True when a top-of-book PRICE changed.

        Sizes at the touch are stored either way; a size-only change returns False.
        """
        levels = self.depth_levels
        book.bids = bids[:levels]
        book.asks = asks[:levels]
        bp, bq = bids[0] if bids else (0, 0)
        ap, aq = asks[0] if asks else (0, 0)
        book.bid_qty = bq
        book.ask_qty = aq
        if bp == book.bid and ap == book.ask:
            return False
        book.bid = bp
        book.ask = ap
        return True

    # --- the uncommon paths ---------------------------------------------------------------------

    def _out_of_sequence(self, book: BookState, m: Quote | TradePrint | Depth | TradingStatus) -> None:
        seq = m.seq
        if type(seq) is not int:
            # Consumes nothing: without a number the message cannot take a place in the channel.
            self._refuse(m, "seq", f"not a sequence number: {seq!r}")
            return
        if book.recovering:
            # Until the snapshot arrives nothing incremental can be applied on top of an unknown book.
            self.skipped += 1
            return
        if seq <= book.seq:
            self.duplicates += 1
            return
        self.gaps += 1
        book.recovering = True
        detail = f"expected seq {book.seq + 1}, got {seq}"
        if self._recovery is not None:
            self._recovery.opened("feed_gap", book.symbol, detail)
        self.snapshots_requested += 1
        try:
            self._request_snapshot(book.symbol)
        except Exception as exc:  # the feed must keep flowing; the symbol stays recovering
            where = f"market data {book.symbol} seq {seq}"
            self._record(InvalidInput(where, "snapshot", f"request failed: {exc}"))

    def _refuse_quote(self, m: Quote) -> None:
        found = _side_problem(m.bid_price, m.bid_qty, "bid_price", "bid_qty") or _side_problem(
            m.ask_price, m.ask_qty, "ask_price", "ask_qty"
        )
        if found is None:
            found = ("ask_price", f"crossed: bid {m.bid_price} >= ask {m.ask_price}")
        self._refuse(m, found[0], found[1])

    def _unknown_symbol(self, m: MarketData) -> None:
        self._refuse(m, "symbol", f"unknown symbol {m.symbol!r}")

    def _refuse_message(self, message: object) -> None:
        symbol = getattr(message, "symbol", "?")
        seq = getattr(message, "seq", "?")
        self._record(
            InvalidInput(f"market data {symbol} seq {seq}", "type", f"not a market data message: {message!r}")
        )

    def _refuse(self, m: MarketData, field: str, problem: str) -> None:
        self._record(InvalidInput(f"market data {m.symbol} seq {m.seq}", field, problem))

    def _record(self, error: InvalidInput) -> None:
        self.refused += 1
        self.errors.append(error)

    # --- accessors ------------------------------------------------------------------------------

    def top(self, symbol: str) -> Top | None:
        """The symbol's top of book, or None when the symbol is unknown or has had no data yet."""
        book = self._books.get(symbol)
        if book is None or book.phase is None:
            return None
        return Top(
            book.symbol,
            book.bid,
            book.bid_qty,
            book.ask,
            book.ask_qty,
            book.last_price,
            book.phase,
            book.seq,
            book.time,
            book.version,
        )

    def state(self, symbol: str) -> BookState | None:
        """The live state of ``symbol`` (read only), or None for an unknown symbol."""
        return self._books.get(symbol)

    def version(self, symbol: str) -> int:
        """Bumped on every change of a top-of-book price or the phase, and on every snapshot.

        Not bumped by a size-only change at the touch or a trade print. 0 before any data or for an
        unknown symbol.
        """
        book = self._books.get(symbol)
        return 0 if book is None else book.version

    def depth(self, symbol: str) -> tuple[Levels, Levels]:
        """(bids, asks) as of the last Depth or Snapshot, best first, up to ``depth_levels``."""
        book = self._books.get(symbol)
        return ((), ()) if book is None else (book.bids, book.asks)

    def phase(self, symbol: str) -> Phase | None:
        book = self._books.get(symbol)
        return None if book is None else book.phase

    def last_trade(self, symbol: str) -> tuple[int, int]:
        """(price, qty) of the last trade print, (0, 0) if none."""
        book = self._books.get(symbol)
        return (0, 0) if book is None else (book.last_price, book.last_qty)

    def updated_at(self, symbol: str) -> float | None:
        """Clock time at which the symbol's state last changed, None before any data."""
        book = self._books.get(symbol)
        return None if book is None or book.phase is None else book.updated_at

    def recovering(self, symbol: str) -> bool:
        book = self._books.get(symbol)
        return book is not None and book.recovering

    def is_stale(self, symbol: str | None = None) -> bool:
        """True when the feed (any symbol) has been silent for more than ``stale_after`` seconds.

        Staleness is judged for the whole feed, since a quiet symbol on a live feed is not stale;
        ``symbol`` is accepted so callers can ask per symbol without caring how it is judged.
        """
        last = self._last_received
        return last is not None and self._now() - last > self.stale_after

    # --- component API --------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.is_stale():
            silent = self._now() - (self._last_received or 0.0)
            detail = f"no market data for {silent:.1f} s"
            if not self._stale_open:
                self._stale_open = True
                if self._recovery is not None:
                    self._recovery.opened("stale_feed", "feed", detail)
            return Health(HealthState.UNHEALTHY, detail)
        recovering = [b.symbol for b in self._books.values() if b.recovering]
        if recovering:
            return Health(HealthState.DEGRADED, f"recovering from a feed gap: {', '.join(recovering)}")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.updates": float(self.updates),
            f"{n}.gaps": float(self.gaps),
            f"{n}.recoveries": float(self.recoveries),
            f"{n}.refused": float(self.refused),
            f"{n}.duplicates": float(self.duplicates),
            f"{n}.snapshots_requested": float(self.snapshots_requested),
            f"{n}.snapshots_applied": float(self.snapshots_applied),
            f"{n}.skipped": float(self.skipped),
            f"{n}.symbols": float(len(self._books)),
            f"{n}.recovering": float(sum(1 for b in self._books.values() if b.recovering)),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        if self.recoveries > self.gaps:
            problems.append(f"{self.recoveries} recoveries but only {self.gaps} gaps")
        if self.recoveries > self.snapshots_applied:
            problems.append(
                f"{self.recoveries} recoveries but only {self.snapshots_applied} snapshots applied"
            )
        if self.snapshots_requested != self.gaps:
            problems.append(f"{self.snapshots_requested} snapshots requested for {self.gaps} gaps")
        open_gaps = sum(1 for b in self._books.values() if b.recovering)
        if self.gaps - self.recoveries != open_gaps:
            problems.append(
                f"gaps {self.gaps} - recoveries {self.recoveries} != symbols recovering {open_gaps}"
            )
        for b in self._books.values():
            if b.bid and b.ask and b.bid >= b.ask:
                problems.append(f"{b.symbol}: book crossed, bid {b.bid} >= ask {b.ask}")
            if min(b.bid, b.bid_qty, b.ask, b.ask_qty) < 0:
                problems.append(f"{b.symbol}: negative price or size in top of book")
            if len(b.bids) > self.depth_levels or len(b.asks) > self.depth_levels:
                problems.append(f"{b.symbol}: more than {self.depth_levels} depth levels kept")
            if b.phase is None and (b.version or b.seq):
                problems.append(f"{b.symbol}: state changed without a known phase")
        return problems

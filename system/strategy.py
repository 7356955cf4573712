"""The pluggable reference strategy: what to trade, decided from quotes, position and open orders.

A strategy is anything with :meth:`Strategy.on_quote`; :func:`make_strategy` builds one by name from the
registry, with defaults from ``config/strategy.yaml`` overridden by the caller's params. The reference
:class:`MeanReversion` fades moves of the mid away from its exponentially weighted mean. With
``relative`` on (the default), given a quote accessor and a basket of at least two symbols, it fades
each symbol's move RELATIVE TO THE BASKET instead: the observed series is the symbol's log mid minus
the mean log mid of the basket, so a move shared by the whole basket gives no signal. It is fully
deterministic: the same quotes, positions and open orders give the same intents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from system.errors import InvalidInput
from system.intents import Amend, Cancel, Intent, Place
from system.settings import from_mapping
from userfiles.reading import InputError, read_yaml
from venue.messages import Side, TimeInForce

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "strategy.yaml"


class Clock(Protocol):
    def now(self) -> float: ...


class QuoteLike(Protocol):
    bid: int | None
    ask: int | None
    mid: float | None
    spread: int | None
    version: int


class OpenOrderLike(Protocol):
    cl_ord_id: str
    side: Side
    price: int | None
    leaves_qty: int
    pending: bool  # a request for this order is in flight


@runtime_checkable
class Strategy(Protocol):
    def on_quote(
        self, symbol: str, quote: QuoteLike, position: int, open_orders: Sequence[OpenOrderLike]
    ) -> list[Intent]:
        """The intents that follow from a new quote for ``symbol``; empty when there is nothing to do."""
        ...


@dataclass(frozen=True)
class MeanReversionParams:
    alpha: float = 0.1
    threshold: float = 1.0
    warmup: int = 20
    qty: int = 100
    lot: int = 100
    max_position: int = 1_000
    tick: int = 100
    requote_ticks: int = 2
    take_every: int = 3
    relative: bool = True  # trade each symbol's deviation from the basket (needs quotes and 2+ symbols)

    def __post_init__(self) -> None:
        where = "strategy.mean_reversion"
        if not (0 < self.alpha <= 1):
            raise InvalidInput(where, "alpha", f"must be in (0, 1], got {self.alpha!r}")
        if not (math.isfinite(self.threshold) and self.threshold > 0):
            raise InvalidInput(where, "threshold", f"must be positive, got {self.threshold!r}")
        for name in ("lot", "tick", "max_position", "qty"):
            if getattr(self, name) <= 0:
                raise InvalidInput(where, name, f"must be positive, got {getattr(self, name)!r}")
        for name in ("warmup", "requote_ticks", "take_every"):
            if getattr(self, name) < 0:
                raise InvalidInput(where, name, f"must not be negative, got {getattr(self, name)!r}")
        if self.qty % self.lot:
            raise InvalidInput(where, "qty", f"must be a multiple of lot {self.lot}, got {self.qty}")
        if self.qty > self.max_position:
            raise InvalidInput(
                where, "qty", f"must not exceed max_position {self.max_position}, got {self.qty}"
            )


@dataclass(slots=True)
class _SymbolState:
    seen: int = 0
    mean: float = 0.0
    var: float = 0.0
    entries: int = 0  # new orders placed, for the every-Nth take


class MeanReversion:
    """Fade the observed series' deviation from its EWMA; one live order per side per symbol, capped.

    The observed series is the mid (absolute mode) or, in relative mode, x = log(mid) - the mean
    log(mid) over the basket symbols whose quote is available; on each quote of a symbol relative mode
    reads every other symbol of the basket through ``quotes``, and makes no decision (and observes
    nothing) when fewer than two mids are available. Relative mode needs ``params.relative``, a
    ``quotes`` accessor and at least two symbols; otherwise the strategy runs in absolute mode.

    The deviation of an observation is measured against the mean and variance of the observations
    *before* it, so a jump is judged against the market it jumped from. Trading starts once ``warmup``
    observations of the symbol have been made (the next one is the first that may trade). Orders are
    priced from the symbol's own quote either way.
    """

    name = "mean_reversion"

    def __init__(
        self,
        params: MeanReversionParams,
        symbols: Sequence[str],
        clock: Clock,
        quotes: Callable[[str], QuoteLike | None] | None = None,
    ) -> None:
        self.params = params
        self._clock = clock
        self._state = {symbol: _SymbolState() for symbol in symbols}
        self._symbols = tuple(self._state)
        self._quotes = quotes
        self.relative = params.relative and quotes is not None and len(self._symbols) >= 2

    def seen(self, symbol: str) -> int:
        """Quotes of ``symbol`` seen so far (for diagnostics and tests)."""
        return self._state[symbol].seen

    def on_quote(
        self, symbol: str, quote: QuoteLike, position: int, open_orders: Sequence[OpenOrderLike]
    ) -> list[Intent]:
        state = self._state.get(symbol)
        if state is None:
            known = ", ".join(sorted(self._state))
            raise InvalidInput("strategy", "symbol", f"unknown symbol {symbol!r} (known: {known})")
        if isinstance(position, bool) or not isinstance(position, int):
            raise InvalidInput("strategy", "position", f"must be an integer, got {position!r}")
        mid = _usable_mid(quote)
        if mid is None:
            return []  # a one-sided or empty book says nothing about the mean
        if self.relative:
            value = self._relative_value(symbol, mid)
            if value is None:
                return []  # fewer than two mids in the basket: no relative view
        else:
            value = mid
        want = self._observe(state, value)
        if want is None:
            return []
        return self._orders_for(symbol, state, want, quote, position, open_orders)

    def _relative_value(self, symbol: str, mid: float) -> float | None:
        """log(mid) of ``symbol`` minus the mean log mid of the available basket; None below two mids.

        The symbol's own mid is the quote being decided on; every other symbol is read through the
        accessor (the decision loop has just read the symbol's own quote through it).
        """
        if mid <= 0:
            return None
        own = math.log(mid)
        total = own
        count = 1
        read = self._quotes
        assert read is not None  # relative mode implies an accessor
        for other in self._symbols:
            if other == symbol:
                continue
            other_mid = _usable_mid(read(other))
            if other_mid is not None and other_mid > 0:
                total += math.log(other_mid)
                count += 1
        if count < 2:
            return None
        return own - total / count

    def _observe(self, state: _SymbolState, value: float) -> Side | None:
        p = self.params
        want: Side | None = None
        if state.seen >= p.warmup and state.seen > 0:
            band = p.threshold * math.sqrt(state.var)
            deviation = value - state.mean
            # A zero band (a flat history) would turn any tick into a signal; wait for some variance.
            if band > 0 and deviation > band:
                want = Side.SELL
            elif band > 0 and deviation < -band:
                want = Side.BUY
        if state.seen == 0:
            state.mean = value
        else:
            diff = value - state.mean
            increment = p.alpha * diff
            state.mean += increment
            state.var = (1 - p.alpha) * (state.var + diff * increment)
        state.seen += 1
        return want

    def _orders_for(
        self,
        symbol: str,
        state: _SymbolState,
        want: Side,
        quote: QuoteLike,
        position: int,
        open_orders: Sequence[OpenOrderLike],
    ) -> list[Intent]:
        p = self.params
        intents: list[Intent] = []
        mine = [o for o in open_orders if o.side is want]
        others = [o for o in open_orders if o.side is not want]
        # The signal points the other way now: withdraw the resting orders against it.
        intents.extend(Cancel(o.cl_ord_id) for o in others if not o.pending)
        passive = quote.bid if want is Side.BUY else quote.ask
        if mine:
            first, extra = mine[0], mine[1:]
            intents.extend(Cancel(o.cl_ord_id) for o in extra if not o.pending)
            if (
                not first.pending
                and first.price is not None
                and passive is not None
                and abs(first.price - passive) > p.requote_ticks * p.tick
            ):
                intents.append(Amend(first.cl_ord_id, first.leaves_qty, passive))
            return intents
        # Worst case: this order and every open order on its side fill. Only exposure in the order's
        # direction counts, so an order that shrinks an over-limit position is still allowed.
        open_same = sum(o.leaves_qty for o in mine)
        if want.sign * (position + want.sign * (open_same + p.qty)) > p.max_position:
            return intents
        take = p.take_every > 0 and (state.entries + 1) % p.take_every == 0
        price = (quote.ask if want is Side.BUY else quote.bid) if take else passive
        if price is None:
            return intents
        state.entries += 1
        tif = TimeInForce.IOC if take else TimeInForce.GTC
        intents.append(Place(symbol, want, p.qty, price, tif))
        return intents


def _usable_mid(quote: QuoteLike | None) -> float | None:
    """The quote's mid as a finite float, or None when there is none."""
    mid = getattr(quote, "mid", None)
    if mid is None or isinstance(mid, bool) or not math.isfinite(mid):
        return None
    return float(mid)


STRATEGIES: dict[str, tuple[type, type]] = {"mean_reversion": (MeanReversion, MeanReversionParams)}


def load_defaults(name: str, path: Path = CONFIG_PATH) -> dict[str, Any]:
    """The defaults of strategy ``name`` from the YAML config; empty when the file has none."""
    try:
        data = read_yaml(path) or {}
    except InputError as exc:  # unreadable, not UTF-8, not YAML: named with the line where there is one
        raise InvalidInput(exc.where, exc.key or "<file>", exc.reason) from None
    if not isinstance(data, dict):
        raise InvalidInput(str(path), "<root>", f"expected a mapping, got {type(data).__name__}")
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise InvalidInput(str(path), name, f"expected a mapping, got {type(section).__name__}")
    return section


def make_strategy(
    name: str,
    params: dict[str, Any],
    symbols: list[str],
    clock: Clock,
    quotes: Callable[[str], QuoteLike | None] | None = None,
) -> Strategy:
    """Build the strategy registered as ``name`` with config defaults overridden by ``params``.

    ``quotes`` (e.g. the cache's ``quote``) gives the strategy the current quote of any symbol of its
    universe; the mean-reversion strategy needs it for its relative mode.
    """
    entry = STRATEGIES.get(name) if isinstance(name, str) else None
    if entry is None:
        known = ", ".join(STRATEGIES)
        raise InvalidInput("strategy", "strategy", f"unknown strategy {name!r} (known: {known})")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("strategy", "strategy_params", f"expected a mapping, got {type(params).__name__}")
    if isinstance(symbols, str) or not all(isinstance(s, str) and s for s in symbols):
        raise InvalidInput("strategy", "symbols", f"expected a list of non-empty names, got {symbols!r}")
    cls, params_cls = entry
    merged = {**load_defaults(name), **params}
    if quotes is not None and not callable(quotes):
        raise InvalidInput("strategy", "quotes", f"expected a callable, got {type(quotes).__name__}")
    return cls(from_mapping(params_cls, merged, f"strategy.{name}"), list(symbols), clock, quotes)

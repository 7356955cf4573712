"""Background traders that make a believable market around each symbol's fair value.

- :class:`MarketMaker` quotes a ladder on both sides around the fair value, skewed by its inventory,
  and moves its quotes with replaces as the fair value moves.
- :class:`NoiseTrader` arrives as a Poisson process with market orders and limit orders near the
  touch, and cancels resting orders after an exponential lifetime.
- :class:`MomentumTrader` buys after a rise and sells after a fall over its lookback.
- :class:`InformedTrader` is the arbitrageur: when orders rest beyond the fair value by more than
  its threshold (stale noise orders after the value moved), it takes all of them in one IOC order,
  so the quoted mid follows the fair value instead of lagging it.

They are co-located: they talk to the matching engine directly, through the same rules as any
client, and they are SimPy processes drawing every random number from their own seeded stream.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from simulator.exchange import Exchange
from simulator.fairvalue import FairValue
from simulator.instruments import Instrument
from simulator.profiles import InformedParams, MakerParams, MomentumParams, NoiseParams
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecutionReport,
    NewOrder,
    OrdStatus,
    OrdType,
    Phase,
    ReplaceOrder,
    Side,
    TimeInForce,
)

_BUY, _SELL = Side.BUY, Side.SELL
_SWEEP_LEVELS = 10  # how deep an informed trader looks for stale orders
_TERMINAL = frozenset(s for s in OrdStatus if s.terminal)


class Activity:
    """How busy the market is now, as a multiple of its load: 1.0 throughout unless the market follows
    an intraday shape (a busier open and close, bursts), which moves it as simulated time passes.

    The traders read it at every wait they draw, so a change takes effect from each one's next action.
    """

    __slots__ = ("level",)

    def __init__(self, level: float = 1.0) -> None:
        self.level = level


@dataclass(frozen=True)
class Seat:
    """Where a background trader sits: its name (its account), the exchange, its instrument, its own
    random stream, the symbol's fair value, the market's load and the market's activity now."""

    name: str
    exchange: Exchange
    instrument: Instrument
    rng: random.Random
    fair: FairValue
    load: float = 1.0
    activity: Activity = field(default_factory=Activity)


class _Trader:
    """Order bookkeeping shared by the traders: ids, live orders, position."""

    def __init__(self, seat: Seat) -> None:
        self.name = name = seat.name
        self.load = seat.load
        self.activity = seat.activity
        self.fair = seat.fair
        self.exchange = exchange = seat.exchange
        self.instrument = instrument = seat.instrument
        self.symbol = instrument.symbol
        self.rng = seat.rng
        self.position = 0
        self._ids = 0
        # current client id -> [side, price, order qty, cum qty]
        self.live: dict[str, list[Any]] = {}
        self.band = instrument.band
        exchange.register(name, self.on_report, tracked=False)

    def _id(self) -> str:
        self._ids += 1
        return f"{self.name}.{self._ids}"

    def on_report(self, report: ExecutionReport | CancelReject) -> None:
        if not isinstance(report, ExecutionReport):
            return
        clid = report.cl_ord_id
        if report.orig_cl_ord_id is not None and report.orig_cl_ord_id in self.live:
            self.live[clid] = self.live.pop(report.orig_cl_ord_id)
        if report.last_qty:
            self.position += report.last_qty if report.side is _BUY else -report.last_qty
        if report.status in _TERMINAL:
            self.live.pop(clid, None)
        elif clid in self.live:
            entry = self.live[clid]
            entry[1], entry[2], entry[3] = report.price, report.order_qty, report.cum_qty
        elif report.leaves_qty:
            self.live[clid] = [report.side, report.price, report.order_qty, report.cum_qty]

    def lots(self, bounds: tuple[int, int]) -> int:
        return _uniform_int(self.rng, bounds[0], bounds[1]) * self.instrument.lot

    def place(self, side: Side, qty: int, price: int | None, tif: TimeInForce = TimeInForce.GTC) -> str:
        clid = self._id()
        if price is not None:
            low, high = self.band
            if not low <= price <= high:
                return clid  # a sensible trader does not send what the band refuses
        kind = OrdType.MARKET if price is None else OrdType.LIMIT
        self.exchange.handle(self.name, NewOrder(clid, self.symbol, side, qty, kind, price, tif))
        return clid

    def cancel(self, clid: str) -> None:
        if clid in self.live:
            self.exchange.handle(self.name, CancelOrder(self._id(), clid, self.symbol))


def _uniform_int(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high] from one ``random()``: 0.16 µs against 0.39 µs for ``randint``."""
    return low + int(rng.random() * (high - low + 1))


def _tick_down(price: float, tick: int) -> int:
    return max(tick, math.floor(price / tick) * tick)


def _tick_up(price: float, tick: int) -> int:
    return max(tick, math.ceil(price / tick) * tick)


class MarketMaker(_Trader):
    def __init__(self, seat: Seat, params: MakerParams) -> None:
        super().__init__(seat)
        self.params = params
        self.quotes: dict[tuple[Side, int], str] = {}  # (side, level) -> client id
        # (bid, ask, position, live orders) at the last requote
        self._quoted: tuple[int, int, int, int] | None = None

    def run(self, env: simpy.Environment) -> Generator:
        self.requote()  # the book opens with the makers' quotes in it
        while True:
            # load * 1.0 is load exactly: a market without a shape draws what it always drew.
            yield env.timeout(
                self.rng.expovariate(self.load * self.activity.level / self.params.requote_mean)
            )
            if self.exchange.phase(self.symbol) is Phase.CONTINUOUS:
                self.requote()

    def requote(self) -> None:
        p = self.params
        tick = self.instrument.tick
        lot = self.instrument.lot
        inventory = self.position / lot
        centre = self.fair.value * 10_000 - p.skew_ticks_per_lot * inventory * tick
        best_bid = _tick_down(centre - p.half_spread_ticks * tick, tick)
        best_ask = _tick_up(centre + p.half_spread_ticks * tick, tick)
        if best_ask <= best_bid:
            best_ask = best_bid + tick
        state = (best_bid, best_ask, self.position, len(self.live))
        if state == self._quoted:
            return  # nothing moved and nothing traded: the quotes stand
        self._quoted = state
        for level in range(p.levels):
            step = level * p.level_step_ticks * tick
            self._quote(_BUY, level, best_bid - step, inventory < p.max_inventory_lots)
            self._quote(_SELL, level, best_ask + step, inventory > -p.max_inventory_lots)

    def _quote(self, side: Side, level: int, price: int, wanted: bool) -> None:
        key = (side, level)
        clid = self.quotes.get(key)
        entry = self.live.get(clid) if clid is not None else None
        if not wanted:
            if entry is not None and clid is not None:
                self.cancel(clid)
            self.quotes.pop(key, None)
            return
        if entry is None or clid is None:
            self.quotes[key] = self.place(side, self.lots(self.params.size_lots), price)
        elif entry[1] != price:
            new = self._id()
            low, high = self.band
            if low <= price <= high:
                qty = entry[3] + self.lots(self.params.size_lots)
                self.exchange.handle(self.name, ReplaceOrder(new, clid, self.symbol, qty, price))
                self.quotes[key] = new if new in self.live else self.quotes[key]


class NoiseTrader(_Trader):
    def __init__(self, seat: Seat, params: NoiseParams) -> None:
        super().__init__(seat)
        self.params = params
        self.rate = self.params.rate * self.load
        self.expiries: deque[tuple[float, str]] = deque()

    def run(self, env: simpy.Environment) -> Generator:
        if self.rate <= 0:
            return
        rng = self.rng
        p = self.params
        tick = self.instrument.tick
        book = self.exchange.book(self.symbol)
        activity = self.activity
        while True:
            yield env.timeout(rng.expovariate(self.rate * activity.level))
            now = env.now
            while self.expiries and self.expiries[0][0] <= now:
                self.cancel(self.expiries.popleft()[1])
            if self.exchange.phase(self.symbol) is not Phase.CONTINUOUS:
                continue
            side = _BUY if rng.random() < 0.5 else _SELL
            qty = self.lots(p.size_lots)
            if rng.random() < p.market_share:
                self.place(side, qty, None)
                continue
            bid, ask = book.best_bid(), book.best_ask()
            fair = _tick_down(self.fair.value * 10_000, tick)
            offset = _uniform_int(rng, -p.offset_ticks, 1) * tick
            if side is _BUY:
                price = (bid[0] if bid else fair - tick) + offset
            else:
                price = (ask[0] if ask else fair + tick) - offset
            clid = self.place(side, qty, max(tick, price))
            if clid in self.live:
                self.expiries.append((now + rng.expovariate(1.0 / p.lifetime_mean), clid))


class MomentumTrader(_Trader):
    def __init__(self, seat: Seat, params: MomentumParams) -> None:
        super().__init__(seat)
        self.params = params
        self.window = max(2, int(params.lookback / params.interval) + 1)
        self.history: deque[int] = deque(maxlen=self.window)

    def run(self, env: simpy.Environment) -> Generator:
        p = self.params
        while True:
            yield env.timeout(p.interval * (0.5 + self.rng.random()))
            last = self.exchange.last_price(self.symbol)
            if not last:
                continue
            self.history.append(last)
            if len(self.history) < self.window or self.exchange.phase(self.symbol) is not Phase.CONTINUOUS:
                continue
            move = last / self.history[0] - 1.0
            if abs(move) > p.threshold:
                self.place(_BUY if move > 0 else _SELL, self.lots(p.size_lots), None)


class InformedTrader(_Trader):
    def __init__(self, seat: Seat, params: InformedParams) -> None:
        super().__init__(seat)
        self.params = params
        self.rate = self.params.rate * self.load

    def run(self, env: simpy.Environment) -> Generator:
        if self.rate <= 0:
            return
        p = self.params
        tick, lot = self.instrument.tick, self.instrument.lot
        book = self.exchange.book(self.symbol)
        activity = self.activity
        while True:
            yield env.timeout(self.rng.expovariate(self.rate * activity.level))
            if self.exchange.phase(self.symbol) is not Phase.CONTINUOUS:
                continue
            fair = self.fair.value * 10_000
            edge = p.threshold_ticks * tick
            bids, asks = book.depth(_SWEEP_LEVELS)
            # Everything offered below value (or bid above it) is stale: take all of it at once.
            if asks and fair - asks[0][0] > edge:
                limit = _tick_down(fair - edge, tick)
                stale = sum(q for price, q in asks if price <= limit)
                self.place(_BUY, min(stale, p.max_lots * lot), limit, TimeInForce.IOC)
            elif bids and bids[0][0] - fair > edge:
                limit = _tick_up(fair + edge, tick)
                stale = sum(q for price, q in bids if price >= limit)
                self.place(_SELL, min(stale, p.max_lots * lot), limit, TimeInForce.IOC)

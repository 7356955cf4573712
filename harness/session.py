"""A simulated trading session: the exchange and its market, with the system under test connected.

Built from a seed, a market profile, a fault plan and a system configuration; it runs in simulated
time, and at the end it settles the system's open business and reconciles it with the exchange.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.audit import CacheAudit, MarketDataTiming, QuoteTape, TopAudit
from harness.charging import ChargedVenue, ComputeCharger
from harness.clock import SimClock, SimTimer
from harness.probe import BusProbe
from harness.reconcile import Reconciliation, reconcile
from harness.recovery import RecoveryWatch
from harness.stability import HealthSampler
from harness.tap import VenueTap
from simulator.faults import FaultPlan
from simulator.world import Market, MarketConfig
from system.app import TradingSystem
from system.intents import Amend, Place
from system.risk import RiskLimits
from system.settings import load_settings
from venue.messages import Side

ACCOUNT = "ALLUSE"
SECRET = "allure-of-the-open-market"


@dataclass(frozen=True)
class RiskProbe:
    """An order above the risk limit, decided on purpose, and what became of it."""

    symbol: str
    qty: int
    limit: int
    request: str | None  # the request id, if the system sent it
    reached_venue: bool
    risk_rejects_counted: int

    def row(self) -> dict:
        return {
            "symbol": self.symbol,
            "quantity": self.qty,
            "limit": self.limit,
            "reached the venue": self.reached_venue,
            "risk rejects counted": self.risk_rejects_counted,
        }


@dataclass(frozen=True)
class SessionSpec:
    seed: int
    symbols: int = 3
    profile: str = "normal"
    load: float = 1.0  # multiplies the background traders' order rates
    faults: FaultPlan | str | None = None  # a plan, or its YAML text
    settings: dict[str, Any] = field(default_factory=dict)
    charge_compute: bool = False
    journal: Path | None = None
    secret: str = SECRET  # the venue secret the system logs on with (the exchange expects SECRET)
    shape: tuple[tuple[float, float], ...] = ()  # the market's intraday shape (simulator.world.MarketConfig)
    # The per-update audits of the market data path (the top of book after every applied quote, every
    # quote the cache serves, in-session timing), the recovery watch and the health sampler. A long
    # session that judges none of those criteria goes without their cost and their growing records.
    audits: bool = True


class TradingSession:
    def __init__(self, spec: SessionSpec) -> None:
        self.spec = spec
        self.market = Market(
            MarketConfig(
                seed=spec.seed,
                symbols=spec.symbols,
                profile=spec.profile,
                load=spec.load,
                faults=spec.faults,
                journal=spec.journal,
                credentials={ACCOUNT: SECRET},
                shape=spec.shape,
            )
        )
        env = self.market.env
        self.clock = SimClock(env)
        venue = self.market.gateway
        self.charger: ComputeCharger | None = None
        if spec.charge_compute:
            self.charger = ComputeCharger(self.market.gateway.charge)
            venue = ChargedVenue(venue, self.charger)
        # The tap sits between the system and the (charged) venue: it sees what crosses the boundary.
        settings = load_settings({"account": ACCOUNT, **spec.settings})
        self.tap = VenueTap(venue, self.clock.now, settings.stale_after)
        charger, started, tap = self.charger, self.tap.started, self.tap
        generation = tap.generation

        def run_timer(callback: Callable[[], None]) -> None:
            if tap.generation != generation:
                return  # the host this system ran on has crashed
            started()
            if charger is None:
                callback()
            else:
                charger.run(callback)

        timer = SimTimer(env, wrap=run_timer)
        self.system = TradingSystem(self.tap, self.clock, timer, self.market.symbols, spec.secret, settings)
        self.probe = BusProbe(self.system.bus, [f"md.{symbol}" for symbol in self.market.symbols])
        if spec.audits:
            self.tape = QuoteTape(self.market.exchange.feed)
            self.audit = CacheAudit(self.system)
            # Timing wraps the market data path first, so the top-of-book check outside it is not timed.
            self.md_timing = MarketDataTiming(self.system)
            self.top_audit = TopAudit(self.system)
            self.watch = RecoveryWatch(self.market, self.probe, self.tap, ACCOUNT)
            self.health_sampler = HealthSampler(
                env,
                self.system,
                lambda: self.market.gateway.live_sessions(ACCOUNT),
                self.tap.silent_for,
                settings.stale_after,
            )
        self.system.start()
        self.settled = False
        self.closed_market = False

    @property
    def now(self) -> float:
        return self.market.env.now

    def run(self, seconds: float) -> None:
        self.market.run(self.now + seconds)

    def run_until(self, done: Callable[[], bool], limit: float, step: float = 1.0) -> bool:
        """Advance in ``step``s until ``done()`` or ``limit`` more seconds have passed. Every wait
        names its bound: what the scenario expects, with a margin, so a broken system fails fast."""
        deadline = self.now + limit
        while not done() and self.now < deadline:
            self.run(min(step, deadline - self.now))
        return done()

    def send_orders(self, count: int, limit: float, stall: float = 120.0) -> int:
        """Trade until the venue has received ``count`` new orders from the system, ``limit`` seconds
        have passed, or none came for ``stall`` seconds; return how many came."""
        deadline, last, seen = self.now + limit, self.now, len(self.tap.orders)
        while seen < count and self.now < deadline and self.now - last < stall:
            self.run(min(10.0, deadline - self.now))
            if len(self.tap.orders) > seen:
                seen, last = len(self.tap.orders), self.now
        return len(self.tap.orders)

    def oversize_order(self) -> RiskProbe:
        """Decide, as the strategy would, one order a lot above the configured per-order limit."""
        symbol = self.market.symbols[0]
        quote = self.system.cache.quote(symbol)
        assert quote is not None, f"no quote for {symbol}"
        limits = RiskLimits.from_dict(self.system.settings.risk)
        qty = limits.max_order_qty + self.market.instruments_by_symbol[symbol].lot
        sent, rejects = len(self.tap.orders), self.system.engine.risk_rejects
        request = self.system.engine.execute(Place(symbol, Side.BUY, qty, quote.bid))
        self.run(1.0)
        return RiskProbe(
            symbol,
            qty,
            limits.max_order_qty,
            request,
            len(self.tap.orders) > sent,
            self.system.engine.risk_rejects - rejects,
        )

    def oversize_amendment(self) -> RiskProbe:
        """Rest one small order far from the touch, then amend it, as the strategy would, to a lot
        above the configured per-order limit; the amendment must never reach the venue."""
        symbol = self.market.symbols[0]
        instrument = self.market.instruments_by_symbol[symbol]
        quote = self.system.cache.quote(symbol)
        assert quote is not None, f"no quote for {symbol}"
        price = max(instrument.tick, quote.bid - 20 * instrument.tick)
        engine = self.system.engine
        request = engine.execute(Place(symbol, Side.BUY, instrument.lot, price))
        assert request is not None, "the resting order for the amendment was not sent"
        self.run_until(lambda: not engine.order(request).pending, 5.0, step=0.1)
        limits = RiskLimits.from_dict(self.system.settings.risk)
        qty = limits.max_order_qty + instrument.lot
        amended, rejects = len(self.tap.amendments), engine.risk_rejects
        engine.execute(Amend(request, qty, price))
        self.run(1.0)
        reached = any(a.qty >= qty for a in list(self.tap.amendments.values())[amended:])
        return RiskProbe(symbol, qty, limits.max_order_qty, request, reached, engine.risk_rejects - rejects)

    def settle(self, limit: float = 30.0) -> None:
        """Stop deciding, cancel what is open, and wait until nothing is in flight."""
        if self.settled:
            return
        self.system.decisions.stop()
        engine = self.system.engine
        self.run_until(lambda: self.system.optimizer.live_sessions() > 0, limit)
        engine.cancel_all()
        self.run_until(lambda: not engine.in_flight(), limit, step=0.25)
        self.run(1.0)
        self.settled = True

    def close_market(self) -> None:
        """Settle, close the exchange and let what is in flight arrive: books stop moving."""
        self.settle()
        if not self.closed_market:
            self.market.exchange.close()
            self.run(1.0)
            self.closed_market = True

    def top_differences(self) -> list[str]:
        """Symbols whose top of book in the system differs from the exchange's (call after close_market)."""
        out = []
        for symbol in self.market.symbols:
            book = self.market.exchange.book(symbol)
            bid, ask = book.best_bid() or (0, 0), book.best_ask() or (0, 0)
            top = self.system.market_data.top(symbol)
            seen = None if top is None else (top.bid, top.bid_qty, top.ask, top.ask_qty)
            if seen != (bid[0], bid[1], ask[0], ask[1]):
                out.append(f"{symbol}: system {seen}, exchange {(bid[0], bid[1], ask[0], ask[1])}")
        return out

    def reconcile(self) -> Reconciliation:
        self.settle()
        return reconcile(self.system, self.market.exchange.records(ACCOUNT))

    def close(self) -> None:
        self.system.stop()
        self.market.close()

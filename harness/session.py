"""A simulated trading session: the exchange and its market, with the system under test connected.

Built from a seed, a market profile, a fault plan and a system configuration; it runs in simulated
time, and at the end it settles the system's open business and reconciles it with the exchange.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.audit import CacheAudit, MarketDataTiming, QuoteTape
from harness.charging import ChargedVenue, ComputeCharger
from harness.clock import SimClock, SimTimer
from harness.probe import BusProbe
from harness.reconcile import Reconciliation, reconcile
from harness.recovery import RecoveryWatch
from simulator.faults import FaultPlan
from simulator.world import Market, MarketConfig
from system.app import TradingSystem
from system.settings import load_settings

ACCOUNT = "ALLUSE"
SECRET = "allure-of-the-open-market"


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
            )
        )
        env = self.market.env
        self.clock = SimClock(env)
        venue = self.market.gateway
        self.charger: ComputeCharger | None = None
        if spec.charge_compute:
            self.charger = ComputeCharger(self.market.gateway.charge)
            venue = ChargedVenue(venue, self.charger)
            timer = SimTimer(env, wrap=self.charger.wrap(lambda callback: callback()))
        else:
            timer = SimTimer(env)
        settings = load_settings({"account": ACCOUNT, **spec.settings})
        self.system = TradingSystem(venue, self.clock, timer, self.market.symbols, SECRET, settings)
        self.probe = BusProbe(self.system.bus, [f"md.{symbol}" for symbol in self.market.symbols])
        self.tape = QuoteTape(self.market.exchange.feed)
        self.audit = CacheAudit(self.system)
        self.md_timing = MarketDataTiming(self.system.market_data)
        self.watch = RecoveryWatch(self.market, self.probe, ACCOUNT)
        self.system.start()
        self.settled = False
        self.closed_market = False

    @property
    def now(self) -> float:
        return self.market.env.now

    def run(self, seconds: float) -> None:
        self.market.run(self.now + seconds)

    def run_until(self, done: Callable[[], bool], limit: float, step: float = 1.0) -> bool:
        """Advance in ``step``s until ``done()`` or ``limit`` more seconds have passed."""
        deadline = self.now + limit
        while not done() and self.now < deadline:
            self.run(min(step, deadline - self.now))
        return done()

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

"""A simulated market: the exchange, its gateway, background traders, fair values and faults,
built from one seed and run in SimPy time.

Every random draw comes from a stream derived from the seed by name (see :mod:`simulator.rng`), so
the same configuration gives the same journal byte for byte.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simpy

from simulator import instruments as listing
from simulator.exchange import Exchange
from simulator.fairvalue import FairValue
from simulator.faults import FaultPlan, Injector
from simulator.gateway import Gateway
from simulator.journal import Journal
from simulator.latency import Distribution, LatencyModel
from simulator.profiles import Profile, load_profile
from simulator.rng import derive_seed, stream
from simulator.traders import Activity, InformedTrader, MarketMaker, MomentumTrader, NoiseTrader, Seat

# Bounds of a market (README, "Running the simulator"), measured on the 2-core development machine.
# 1,000 symbols take 86 MB and 0.8 s to build and run one simulated second (10,000: 560 MB, 11.7 s;
# 100,000: 5.2 GB, 164 s). Load 10,000 makes 1 symbol send 150,000 orders in 5 simulated seconds
# (3.6 s, 118 MB); past it rates overflow towards infinity (1e308). A whole market that wakes its traders
# 100,000 times a simulated second takes 3 to 4 s of wall time per simulated second (200 symbols at
# load 60: 5 s in 14 s, 150 MB; 1,000 symbols at load 12: 5 s in 21 s, 200 MB).
MAX_SYMBOLS = 1_000
MAX_LOAD = 10_000.0
MAX_WAKEUPS = 100_000.0  # expected actions of all background traders per simulated second


def now_reader(env: simpy.Environment) -> Callable[[], float]:
    """``env.now`` as a callable made in C: the exchange and the system's clock read the time millions
    of times a session, and a Python function around SimPy's ``now`` property costs two Python frames
    a read. SimPy 4 keeps the time in ``_now``; a SimPy without it fails here, at construction."""
    read = functools.partial(getattr, env, "_now")
    if read() != env.now:
        raise RuntimeError("simpy.Environment no longer keeps its time in _now")
    return read


@dataclass(frozen=True)
class MarketConfig:
    seed: int
    symbols: int = 3
    profile: str | Profile = "normal"
    load: float = 1.0  # multiplies the background traders' activity
    faults: str | Path | FaultPlan | None = None
    journal: Path | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    latency: dict[str, dict[str, Any]] | None = None  # link -> distribution fields
    sample_prices: float | None = None  # seconds between samples of each symbol's mid, if wanted
    # An intraday shape: (from simulated second, activity level) steps, the level multiplying the
    # load from that second on; empty: 1.0 throughout.
    shape: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if isinstance(self.symbols, bool) or not isinstance(self.symbols, int):
            raise ValueError(f"symbols must be an integer, got {self.symbols!r}")
        if not 1 <= self.symbols <= MAX_SYMBOLS:
            raise ValueError(
                f"symbols must be 1 to {MAX_SYMBOLS:,} (each costs about 55 KB and 1 ms a simulated "
                f"second), got {self.symbols}"
            )
        if (
            isinstance(self.load, bool)
            or not isinstance(self.load, int | float)
            or not 0 < self.load <= MAX_LOAD
        ):
            raise ValueError(
                f"load must be above 0 and at most {MAX_LOAD:,g} (at 10,000 one symbol sends 30,000 orders "
                f"a simulated second), got {self.load!r}"
            )
        if self.sample_prices is not None and not 0.01 <= self.sample_prices <= 86_400:
            raise ValueError(f"sample_prices must be 0.01 to 86400 seconds, got {self.sample_prices!r}")
        _check_shape(self.shape, self.load)

    def inputs(self) -> list[Path | str]:
        """The files this market reads (a profile or fault plan given by path): never to be overwritten."""
        return [
            source
            for source in (self.profile, self.faults)
            if isinstance(source, Path) or (isinstance(source, str) and source.endswith((".yaml", ".yml")))
        ]


def _check_shape(shape: tuple[tuple[float, float], ...], load: float) -> None:
    """Steps in increasing time from 0, each level above 0 and within MAX_LOAD once multiplied by the load."""
    last = -1.0
    for n, step in enumerate(shape):
        where = f"shape step {n + 1}"
        if not isinstance(step, tuple | list) or len(step) != 2:
            raise ValueError(f"{where}: expected (from second, level), got {step!r}")
        start, level = step
        for name, value in (("from second", start), ("level", level)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
        if n == 0 and start != 0:
            raise ValueError(f"{where}: the shape must start at second 0, got {start!r}")
        if start <= last:
            raise ValueError(f"{where}: from second {start!r} does not follow {last!r}")
        if not 0 < level * load <= MAX_LOAD:
            raise ValueError(
                f"{where}: level {level!r} times load {load:g} must be above 0 and at most {MAX_LOAD:,g}"
            )
        last = start


class Market:
    def __init__(self, config: MarketConfig) -> None:
        self.config = config
        seed = config.seed
        self.profile = config.profile if isinstance(config.profile, Profile) else load_profile(config.profile)
        peak = config.load * max((level for _start, level in config.shape), default=1.0)
        wakeups = config.symbols * self.profile.wakeups(peak)
        if wakeups > MAX_WAKEUPS:
            raise ValueError(
                f"{config.symbols} symbols at load {peak:g} with profile {self.profile.name!r} would "
                f"wake the traders {wakeups:,.0f} times a simulated second, more than the {MAX_WAKEUPS:,.0f} "
                "that take 3 to 4 s of wall time per simulated second: fewer symbols or a lower load"
            )
        plan = config.faults
        if plan is not None and not isinstance(plan, FaultPlan):
            plan = FaultPlan.load(plan)
        listed = listing.generate(config.symbols, stream(seed, "instruments"), derive_seed(seed, "faker"))
        self.instruments_by_symbol = {i.symbol: i for i in listed}
        self.symbols = [i.symbol for i in listed]
        if plan is not None:
            plan.check_symbols(
                self.symbols
            )  # a halt of an unlisted symbol stops the market here, not mid-run
        # A float from the start: the journal writes times as floats whichever form (compiled or
        # sources, see simulator.native) the exchange runs in.
        self.env = simpy.Environment(initial_time=0.0)
        env = self.env
        links = None
        if config.latency:
            links = {k: Distribution.from_dict(v, f"latency: {k}") for k, v in config.latency.items()}
        self.journal = Journal(config.journal, config.inputs())  # last: nothing after it refuses input
        halt = self.profile.halt
        self.exchange = Exchange(
            listed,
            self.journal,
            now=now_reader(env),
            schedule=lambda delay, callback: env.timeout(delay).callbacks.append(lambda _e: callback()),
            halt_pct=halt.pct,
            halt_seconds=halt.seconds,
        )
        latency = LatencyModel(stream(seed, "latency"), **({"links": links} if links else {}))
        self.gateway = Gateway(env, self.exchange, latency, config.credentials, self.journal)
        self.injector = Injector(env, self.gateway, self.exchange, self.journal, self.symbols)
        self.plan = plan or FaultPlan()
        self.injector.schedule(self.plan)
        self.fair: dict[str, FairValue] = {}
        self.prices: dict[str, list[float]] = {s: [] for s in self.symbols}
        self.activity = Activity()
        for inst in listed:
            self._populate(inst)
        opened: dict[str, Any] = {
            "seed": seed,
            "profile": self.profile.name,
            "symbols": self.symbols,
            "load": config.load,
        }
        if config.shape:
            opened["shape"] = [list(step) for step in config.shape]
            env.process(self._follow_shape(config.shape))
        self.journal.write(0.0, "open", opened)

    def _populate(self, inst: listing.Instrument) -> None:
        env, seed, p, load = self.env, self.config.seed, self.profile, self.config.load
        s = inst.symbol
        fair = FairValue(inst.reference_price / 10_000, p.fair_value, stream(seed, f"fair/{s}"), p.crash)
        self.fair[s] = fair
        env.process(self._move_fair(s, fair))

        def seat(name: str, stream_name: str) -> Seat:
            return Seat(
                name, self.exchange, inst, stream(seed, f"{stream_name}/{s}"), fair, load, self.activity
            )

        traders: list[MarketMaker | NoiseTrader | MomentumTrader | InformedTrader] = [
            MarketMaker(seat(f"MM{n}.{s}", f"mm{n}"), p.makers) for n in range(p.makers.count)
        ]
        traders.append(NoiseTrader(seat(f"NOISE.{s}", "noise"), p.noise))
        traders += [
            MomentumTrader(seat(f"MOM{n}.{s}", f"mom{n}"), p.momentum) for n in range(p.momentum.count)
        ]
        traders.append(InformedTrader(seat(f"INF.{s}", "inf"), p.informed))
        for trader in traders:
            env.process(trader.run(env))

    def _follow_shape(self, shape: tuple[tuple[float, float], ...]):  # noqa: ANN202 - a SimPy process
        for start, level in shape:
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            self.activity.level = float(level)
            self.journal.write(self.env.now, "activity", {"level": float(level)})

    def _move_fair(self, symbol: str, fair: FairValue):  # noqa: ANN202 - a SimPy process
        step = self.profile.fair_value.step
        window = self.profile.halt.window
        sample = self.config.sample_prices
        next_roll, next_sample = window, 0.0
        book = self.exchange.book(symbol)
        while True:
            now = self.env.now
            if sample is not None and now >= next_sample:
                bid, ask = book.best_bid(), book.best_ask()
                if bid and ask:
                    self.prices[symbol].append((bid[0] + ask[0]) / 20_000)
                next_sample += sample
            if now >= next_roll:
                self.exchange.roll_reference(symbol)
                next_roll += window
            yield self.env.timeout(step if sample is None else min(step, sample))
            fair.advance(self.env.now - now)

    def run(self, until: float) -> None:
        """Run the market until simulated time ``until`` (absolute seconds)."""
        if until > self.env.now:
            self.env.run(until=until)

    @property
    def events(self) -> int:
        return self.journal.events

    def summary(self) -> list[dict[str, Any]]:
        ex = self.exchange
        return [
            {
                "symbol": s,
                "last": ex.last_price(s) / 10_000,
                "volume": ex.volume[s],
                "phase": ex.phase(s).value,
            }
            for s in self.symbols
        ]

    def close(self) -> None:
        """Complete the journal and put it in place."""
        self.journal.close()

    def discard(self) -> None:
        """End a failed or interrupted run: an old journal at the path stays as it was."""
        self.journal.discard()

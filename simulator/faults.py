"""Faults injected on purpose: a plan in YAML, or one fault at a time from a scenario.

A plan is a list of entries ``{at: SECONDS, fault: KIND, ...parameters}``. Kinds and their
parameters (defaults in brackets):

- ``disconnect``: drop order-entry sessions; ``account`` [all]
- ``latency_spike``: multiply a link's delays; ``link`` [client_to_gateway], ``factor`` [20], ``duration`` [5]
- ``drop_feed``: lose market data messages (a sequence gap); ``count`` [10]
- ``stale_feed``: withhold the feed; ``duration`` [5]
- ``reject_storm``: refuse every order at the gateway; ``duration`` [3]
- ``halt``: halt ``symbol`` [the first; a ticker or its 1-based number], resume after ``duration`` [30]
- ``crash``: gateway crash and restart after ``duration`` [5]
- ``slow_acks``: delay acknowledgements by ``extra`` seconds [0.5] for ``duration`` [10]

Every fault is journaled when it starts and when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy
import yaml

from simulator.exchange import Exchange
from simulator.gateway import Gateway
from simulator.journal import Journal
from simulator.latency import LINKS

PARAMS: dict[str, dict[str, Any]] = {
    "disconnect": {"account": None},
    "latency_spike": {"link": "client_to_gateway", "factor": 20.0, "duration": 5.0},
    "drop_feed": {"count": 10},
    "stale_feed": {"duration": 5.0},
    "reject_storm": {"duration": 3.0},
    "halt": {"symbol": None, "duration": 30.0},
    "crash": {"duration": 5.0},
    "slow_acks": {"extra": 0.5, "duration": 10.0},
}
KINDS = tuple(PARAMS)


@dataclass(frozen=True)
class Fault:
    at: float
    kind: str
    params: tuple[tuple[str, Any], ...]

    def param(self, name: str) -> Any:
        return dict(self.params)[name]

    @property
    def duration(self) -> float:
        return float(dict(self.params).get("duration", 0.0))


def _checked(kind: str, where: str, given: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    defaults = PARAMS[kind]
    values = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            known = ", ".join(defaults) or "none"
            raise ValueError(f"{where}: {kind} has no parameter {key!r} (known: {known})")
        default = defaults[key]
        if value is None and default is None:
            continue  # left to its default (all accounts, the first symbol)
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{where}: {key} must be a positive number, got {value!r}")
            value = float(value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{where}: {key} must be a positive integer, got {value!r}")
        elif key == "link" and value not in LINKS:
            raise ValueError(f"{where}: link {value!r} unknown (known: {', '.join(LINKS)})")
        elif key == "symbol" and not isinstance(value, str | int):
            raise ValueError(f"{where}: symbol must be a ticker or a number, got {value!r}")
        elif key == "account" and not isinstance(value, str):
            raise ValueError(f"{where}: account must be a name, got {value!r}")
        values[key] = value
    return tuple(values.items())


def make_fault(at: float, kind: str, params: dict[str, Any], where: str = "fault") -> Fault:
    if kind not in PARAMS:
        raise ValueError(f"{where}: unknown fault {kind!r} (known: {', '.join(KINDS)})")
    if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
        raise ValueError(f"{where}: 'at' must be seconds from the start, got {at!r}")
    return Fault(float(at), kind, _checked(kind, where, params))


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...] = ()

    @classmethod
    def from_entries(cls, entries: Any, where: str = "fault plan") -> FaultPlan:
        if entries is None:
            return cls()
        if not isinstance(entries, list):
            raise ValueError(f"{where}: expected a list of faults, got {type(entries).__name__}")
        faults = []
        for n, entry in enumerate(entries, start=1):
            here = f"{where}: entry {n}"
            if not isinstance(entry, dict):
                raise ValueError(f"{here}: expected a mapping, got {entry!r}")
            if "at" not in entry or "fault" not in entry:
                raise ValueError(f"{here}: needs 'at' and 'fault'")
            rest = {k: v for k, v in entry.items() if k not in ("at", "fault")}
            faults.append(make_fault(entry["at"], entry["fault"], rest, here))
        return cls(tuple(sorted(faults, key=lambda f: f.at)))

    @classmethod
    def load(cls, source: str | Path) -> FaultPlan:
        """A plan from a YAML file path or from YAML text."""
        text, where = str(source), "fault plan"
        if "\n" not in text and (text.endswith((".yaml", ".yml")) or Path(text).exists()):
            where = text
            try:
                text = Path(text).read_text()
            except OSError as exc:
                raise ValueError(f"{where}: {exc.strerror or exc}") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None
        if isinstance(data, dict) and "faults" in data:
            data = data["faults"]
        return cls.from_entries(data, where)


@dataclass(frozen=True)
class Injected:
    """A fault as it happened: when it started and when its effect ended."""

    kind: str
    start: float
    end: float
    params: tuple[tuple[str, Any], ...]


class Injector:
    def __init__(
        self,
        env: simpy.Environment,
        gateway: Gateway,
        exchange: Exchange,
        journal: Journal,
        symbols: list[str],
    ) -> None:
        self.env = env
        self.gateway = gateway
        self.exchange = exchange
        self.journal = journal
        self.symbols = symbols
        self.injected: list[Injected] = []

    def schedule(self, plan: FaultPlan) -> None:
        for fault in plan.faults:
            self.env.timeout(max(0.0, fault.at - self.env.now)).callbacks.append(
                lambda _e, f=fault: self.inject(f.kind, **dict(f.params))
            )

    def _symbol(self, symbol: str | int | None) -> str:
        if symbol is None:
            return self.symbols[0]
        if isinstance(symbol, int):
            if not 1 <= symbol <= len(self.symbols):
                raise ValueError(f"halt: symbol number {symbol} out of 1..{len(self.symbols)}")
            return self.symbols[symbol - 1]
        if symbol not in self.symbols:
            raise ValueError(f"halt: unknown symbol {symbol!r} (listed: {', '.join(self.symbols)})")
        return symbol

    def inject(self, kind: str, **given: Any) -> Injected:
        """Start fault ``kind`` now; return its record (its end is when its effect is over)."""
        params = dict(make_fault(self.env.now, kind, given).params)
        now = self.env.now
        duration = float(params.get("duration", 0.0))
        g = self.gateway
        detail: dict[str, Any] = dict(params)
        if kind == "disconnect":
            detail["sessions"] = g.disconnect(params["account"])
        elif kind == "latency_spike":
            g.latency.spike(params["link"], params["factor"], now + duration)
        elif kind == "drop_feed":
            g.drop_feed(params["count"])
        elif kind == "stale_feed":
            g.stale_feed(duration)
        elif kind == "reject_storm":
            g.reject_storm(duration)
        elif kind == "halt":
            symbol = self._symbol(params["symbol"])
            detail["symbol"] = symbol
            self.exchange.halt(symbol, "fault injection")
            self.env.timeout(duration).callbacks.append(
                lambda _e: self.exchange.resume(symbol, "fault injection over")
            )
        elif kind == "crash":
            detail["sessions"] = g.crash(duration)
        elif kind == "slow_acks":
            g.slow_acks(duration, params["extra"])
        record = Injected(kind, now, now + duration, tuple(sorted(detail.items(), key=lambda kv: kv[0])))
        self.injected.append(record)
        self.journal.write(
            now, "fault", {"kind": kind, **{k: v for k, v in record.params}, "until": now + duration}
        )
        if duration:
            self.env.timeout(duration).callbacks.append(
                lambda _e: self.journal.write(self.env.now, "fault_end", {"kind": kind})
            )
        return record

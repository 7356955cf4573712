"""Faults injected on purpose: a plan in YAML, or one fault at a time from a scenario.

A plan is a list of entries ``{at: SECONDS, fault: KIND, ...parameters}``. Kinds and their
parameters (defaults in brackets, ranges in parentheses):

- ``disconnect``: drop order-entry sessions; ``account`` [all]
- ``latency_spike``: multiply a link's delays; ``link`` [client_to_gateway], ``factor`` (0, 1000] [20],
  ``duration`` [5]
- ``drop_feed``: lose market data messages (a sequence gap); ``count`` (1 to 1,000,000) [10]
- ``stale_feed``: withhold the feed; ``duration`` [5]
- ``reject_storm``: refuse every order at the gateway; ``duration`` [3]
- ``halt``: halt ``symbol`` [the first; a ticker or its 1-based number], resume after ``duration`` [30]
- ``crash``: gateway crash and restart after ``duration`` [5]
- ``slow_acks``: delay acknowledgements by ``extra`` seconds (0, 60] [0.5] for ``duration`` [10]

``at`` is 0 to 604,800 s (a week) and every ``duration`` above 0 and at most 86,400 s (a day); numbers
are finite, integers are integers. A plan is checked whole when it is loaded, and its halts' symbols
when a market schedules it, so a wrong entry stops a run before it starts, with an
:class:`~userfiles.reading.InputError` naming the file, the entry and the key.

Every fault is journaled when it starts and when it ends.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import simpy
from pydantic import AfterValidator, Field

from simulator.exchange import Exchange
from simulator.gateway import Gateway
from simulator.journal import Journal
from simulator.latency import LINKS
from userfiles.reading import InputError, parse_yaml, read_yaml, shown
from userfiles.schema import Number, Text, Whole, checked, validate

# Ranges of the parameters (README, "Running the simulator"): a fault starts within a week of the
# start (the longest run the command line allows) and lasts at most a day.
MAX_AT = 604_800.0
MAX_DURATION = 86_400.0


def _known_link(link: str) -> str:
    if link not in LINKS:
        raise ValueError(f"unknown link (known: {', '.join(LINKS)})")
    return link


At = Annotated[Number, Field(ge=0, le=MAX_AT)]
Duration = Annotated[Number, Field(gt=0, le=MAX_DURATION)]


@checked
@dataclass(frozen=True)
class _Disconnect:
    account: Text | None = None  # every account


@checked
@dataclass(frozen=True)
class _LatencySpike:
    link: Annotated[Text, AfterValidator(_known_link)] = "client_to_gateway"
    factor: Annotated[Number, Field(gt=0, le=1000)] = 20.0
    duration: Duration = 5.0


@checked
@dataclass(frozen=True)
class _DropFeed:
    count: Annotated[Whole, Field(ge=1, le=1_000_000)] = 10


@checked
@dataclass(frozen=True)
class _Lasting:
    duration: Duration = 5.0


@checked
@dataclass(frozen=True)
class _RejectStorm:
    duration: Duration = 3.0


@checked
@dataclass(frozen=True)
class _Halt:
    symbol: Text | Annotated[Whole, Field(ge=1)] | None = None  # a ticker or its 1-based number; the first
    duration: Duration = 30.0


@checked
@dataclass(frozen=True)
class _SlowAcks:
    extra: Annotated[Number, Field(gt=0, le=60)] = 0.5
    duration: Duration = 10.0


_SCHEMAS: dict[str, type] = {
    "disconnect": _Disconnect,
    "latency_spike": _LatencySpike,
    "drop_feed": _DropFeed,
    "stale_feed": _Lasting,
    "reject_storm": _RejectStorm,
    "halt": _Halt,
    "crash": _Lasting,
    "slow_acks": _SlowAcks,
}
KINDS = tuple(_SCHEMAS)


@dataclass(frozen=True)
class Fault:
    at: float
    kind: str
    params: tuple[tuple[str, Any], ...]
    where: str = field(default="fault", compare=False)  # the plan's file and entry, for messages

    def param(self, name: str) -> Any:
        return dict(self.params)[name]

    @property
    def duration(self) -> float:
        return float(dict(self.params).get("duration", 0.0))


def make_fault(at: float, kind: str, params: dict[str, Any], where: str = "fault") -> Fault:
    """A fault of ``kind`` at ``at`` seconds; an InputError naming ``where`` and the key if it is wrong."""
    if not isinstance(kind, str) or kind not in _SCHEMAS:
        raise InputError(where, "fault", f"unknown fault {shown(kind)} (known: {', '.join(KINDS)})")
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise InputError(where, "at", f"must be seconds from the start, got {shown(at)}")
    if not 0 <= at <= MAX_AT:  # NaN fails this too
        raise InputError(where, "at", f"must be from 0 to {MAX_AT:g} seconds (a week), got {shown(at)}")
    checked_params = validate(_SCHEMAS[kind], params, f"{where}: {kind}")
    values = tuple((f.name, getattr(checked_params, f.name)) for f in dataclasses.fields(checked_params))
    return Fault(float(at), kind, values, where)


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...] = ()

    @classmethod
    def from_entries(cls, entries: Any, where: str = "fault plan") -> FaultPlan:
        if entries is None:
            return cls()
        if not isinstance(entries, list):
            raise InputError(where, "", f"expected a list of faults, got {type(entries).__name__}")
        faults = []
        for n, entry in enumerate(entries, start=1):
            here = f"{where}: entry {n}"
            if not isinstance(entry, dict):
                raise InputError(here, "", f"expected a mapping, got {shown(entry)}")
            if "at" not in entry or "fault" not in entry:
                raise InputError(here, "", "needs 'at' and 'fault'")
            rest = {k: v for k, v in entry.items() if k not in ("at", "fault")}
            faults.append(make_fault(entry["at"], entry["fault"], rest, here))
        return cls(tuple(sorted(faults, key=lambda f: f.at)))

    @classmethod
    def load(cls, source: str | Path) -> FaultPlan:
        """A plan from a YAML file path or from YAML text."""
        text = str(source)
        if isinstance(source, Path) or (
            "\n" not in text and (text.endswith((".yaml", ".yml")) or Path(text).exists())
        ):
            data, where = read_yaml(text), text
        else:
            data, where = parse_yaml(text, "fault plan"), "fault plan"
        if isinstance(data, dict) and "faults" in data:
            data = data["faults"]
        return cls.from_entries(data, where)

    def check_symbols(self, listed: list[str]) -> None:
        """Refuse, naming the entry, a halt of a symbol that is not ``listed``."""
        for fault in self.faults:
            if fault.kind == "halt":
                resolve_symbol(fault.param("symbol"), listed, fault.where)


def resolve_symbol(symbol: str | int | None, listed: list[str], where: str) -> str:
    """The listed symbol a halt names (a ticker, a 1-based number, or None for the first)."""
    if symbol is None:
        return listed[0]
    if isinstance(symbol, int):
        if not 1 <= symbol <= len(listed):
            raise InputError(where, "symbol", f"number {symbol} not in 1..{len(listed)} (listed)")
        return listed[symbol - 1]
    if symbol not in listed:
        some = ", ".join(listed[:10]) + (", ..." if len(listed) > 10 else "")
        raise InputError(where, "symbol", f"unknown symbol {shown(symbol)} (listed: {some})")
    return symbol


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
        """Schedule every fault of ``plan``, having checked first that each names a listed symbol."""
        plan.check_symbols(self.symbols)
        for fault in plan.faults:
            self.env.timeout(max(0.0, fault.at - self.env.now)).callbacks.append(
                lambda _e, f=fault: self.inject(f.kind, **dict(f.params))
            )

    def _symbol(self, symbol: str | int | None) -> str:
        return resolve_symbol(symbol, self.symbols, "halt")

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

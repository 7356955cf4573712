"""The Deployment System: versions of the trading logic deployed into a running system, staged and gated.

A *version* is a named set of strategy parameters, optionally with a component variant (a wrapper
around the strategy it builds), kept in a :class:`VersionRegistry`. The running system decides
through a :class:`DeploymentSystem`, which is the decision loop's strategy: it asks the active
version for each evaluation; during a canary stage it asks the new version too, and acts on the new
version's answer for a fixed share of the evaluations (spread evenly, deterministically). One
call, :meth:`DeploymentSystem.deploy`, starts the canary; every ``gate_interval`` of clock time the
gates judge the canary's own orders from the venue's answers to them:

- the health gate: the share of its answered orders the venue rejected, over at least
  ``min_orders`` answers, must not exceed ``max_reject_rate``;
- the performance gate: the 99th percentile of its orders' send-to-first-answer time, over at least
  ``min_orders`` answers, must not exceed ``max_latency``.

A gate that fails rolls back at once to the version that was active; when the canary stage is over
and both gates pass on enough answers, the new version is promoted and handles every evaluation
(the old one is kept for a manual :meth:`rollback`). A canary with too few answers at its end is
rolled back as not measured, never promoted. :meth:`switch` is the manual procedure's step: the named
version takes every evaluation at once, without a canary. Orders stay with the execution engine
whatever version decided them, so a switch neither drops nor repeats one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.strategy import Strategy
from venue.clock import Clock, Timer
from venue.messages import ExecType, ExecutionReport

WHERE = "deployment"
# New orders whose deciding version is remembered: the newest, as many as the execution engine keeps
# finished orders in memory, so a long day does not grow it (see system.orders.FINISHED_KEPT).
OWNERS_KEPT = 50_000


@dataclass(frozen=True)
class Version:
    """A build of the trading logic: strategy parameters over the settings', and an optional variant
    (``wrap`` receives the strategy built from the parameters and returns the one to run)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    wrap: Callable[[Strategy], Strategy] | None = None
    description: str = ""


class VersionRegistry:
    def __init__(self) -> None:
        self._versions: dict[str, Version] = {}

    def register(self, version: Version) -> None:
        if not isinstance(version.name, str) or not version.name:
            raise InvalidInput(WHERE, "version", f"a version needs a name, got {version.name!r}")
        if version.name in self._versions:
            raise InvalidInput(WHERE, "version", f"version {version.name!r} is registered already")
        self._versions[version.name] = version

    def get(self, name: str) -> Version:
        if name not in self._versions:
            known = ", ".join(sorted(self._versions)) or "none"
            raise InvalidInput(WHERE, "version", f"unknown version {name!r} (registered: {known})")
        return self._versions[name]

    def names(self) -> list[str]:
        return sorted(self._versions)


@dataclass(frozen=True)
class GateSettings:
    canary_share: float = 0.25  # share of evaluations the new version takes in the canary stage
    canary_seconds: float = 60.0  # clock seconds of the canary stage before promotion is judged
    min_orders: int = 5  # answered orders of the canary a gate needs before it judges
    max_reject_rate: float = 0.2  # health gate: venue rejects over answered orders
    max_latency: float = 0.0155  # performance gate: p99 send-to-first-answer, seconds (the plan's target)
    gate_interval: float = 1.0  # clock seconds between gate evaluations

    def __post_init__(self) -> None:
        if not (0 < self.canary_share <= 1):
            raise InvalidInput(WHERE, "canary_share", f"must be in (0, 1], got {self.canary_share!r}")
        for name in ("canary_seconds", "max_latency", "gate_interval"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidInput(WHERE, name, f"must be a positive number, got {value!r}")
        if not (isinstance(self.min_orders, int) and self.min_orders > 0):
            raise InvalidInput(WHERE, "min_orders", f"must be a positive integer, got {self.min_orders!r}")
        if not (0 <= self.max_reject_rate < 1):
            raise InvalidInput(WHERE, "max_reject_rate", f"must be in [0, 1), got {self.max_reject_rate!r}")


@dataclass(frozen=True)
class DeploymentEvent:
    time: float
    kind: str  # "deployed", "promoted", "rolled back", "switched"
    version: str  # the version the event is about
    active: str  # the version handling evaluations after the event
    reason: str
    answered: int = 0  # the canary's answered orders the gates judged
    rejected: int = 0
    p99_latency: float | None = None


@dataclass
class _Canary:
    version: str
    strategy: Strategy
    started: float
    settings: GateSettings
    sent: dict[str, float] = field(default_factory=dict)  # client id -> clock time sent
    latencies: list[float] = field(default_factory=list)
    rejected: int = 0
    evaluations: int = 0  # evaluations since the deployment
    taken: int = 0  # ... the canary acted on


class DeploymentSystem(Lifecycle):
    """The strategy the decision loop asks; see the module docstring."""

    name = "deployment_system"

    def __init__(
        self,
        clock: Clock,
        timer: Timer,
        build: Callable[[Mapping[str, Any]], Strategy],
        initial: str = "1",
    ) -> None:
        super().__init__()
        self._clock = clock
        self._timer = timer
        self._build = build
        self.registry = VersionRegistry()
        self.registry.register(Version(initial, description="the version the system started with"))
        self.active = initial
        self.previous: str | None = None
        self._strategies: dict[str, Strategy] = {initial: build({})}
        self._canary: _Canary | None = None
        self._deciding = initial
        self._owner: dict[str, str] = {}  # client id of a new order -> the version that decided it
        self.history: list[DeploymentEvent] = []
        self._wake: Any = None

    # --- the strategy the decision loop asks ---------------------------------------------------------

    def on_quote(self, symbol: str, quote: Any, position: int, open_orders: Sequence[Any]) -> list:
        intents = self._strategies[self.active].on_quote(symbol, quote, position, open_orders)
        self._deciding = self.active
        canary = self._canary
        if canary is not None:
            # The canary sees every quote, as a new build reading the whole feed would (its state
            # stays as warm as the active version's), and acts on its share of the evaluations.
            proposed = canary.strategy.on_quote(symbol, quote, position, open_orders)
            canary.evaluations += 1
            # 1e-9 absorbs the float error of a share such as 0.1, so 10 of 100 are the canary's.
            if math.floor(canary.evaluations * canary.settings.canary_share + 1e-9) > canary.taken:
                canary.taken += 1
                self._deciding = canary.version
                return proposed
        return intents

    def attributing(self, engine: Any) -> _AttributingEngine:
        """The execution engine as the decision loop should see it: each new order it sends is noted
        as the deciding version's."""
        return _AttributingEngine(engine, self)

    def _sent(self, cl_ord_id: str) -> None:
        owner = self._owner
        owner[cl_ord_id] = self._deciding
        if len(owner) > OWNERS_KEPT:
            del owner[next(iter(owner))]  # the oldest: a dict keeps the order of insertion
        canary = self._canary
        if canary is not None and self._deciding == canary.version:
            canary.sent[cl_ord_id] = self._clock.now()

    def owner(self, cl_ord_id: str) -> str | None:
        """The version whose evaluation sent the new order ``cl_ord_id`` (None: not a decision's, or
        not among the newest OWNERS_KEPT)."""
        return self._owner.get(cl_ord_id)

    def on_message(self, body: object) -> None:
        """A venue message: the first answer to a canary order times it, and a reject counts."""
        canary = self._canary
        if canary is None or type(body) is not ExecutionReport:
            return
        sent = canary.sent.pop(body.cl_ord_id, None)
        if sent is None:
            return
        canary.latencies.append(self._clock.now() - sent)
        if body.exec_type is ExecType.REJECTED:
            canary.rejected += 1

    # --- operations ---------------------------------------------------------------------------------

    def deploy(self, name: str, settings: GateSettings | None = None) -> DeploymentEvent:
        """Start a canary stage of version ``name``; the gates promote it or roll it back."""
        if not self.running:
            raise InvalidInput(WHERE, "state", "the deployment system is not running")
        if self._canary is not None:
            raise InvalidInput(WHERE, "version", f"version {self._canary.version!r} is in its canary stage")
        if name == self.active:
            raise InvalidInput(WHERE, "version", f"version {name!r} is already active")
        strategy = self._strategy(name)
        self._canary = _Canary(name, strategy, self._clock.now(), settings or GateSettings())
        self._schedule()
        return self._event("deployed", name, f"canary share {self._canary.settings.canary_share:.0%}")

    def switch(self, name: str, reason: str = "manual") -> DeploymentEvent:
        """Make ``name`` the active version at once (the manual procedure); ends any canary stage."""
        strategy = self._strategy(name)
        self._end_canary()
        if name != self.active:
            self.previous, self.active = self.active, name
            self._strategies[name] = strategy
        return self._event("switched", name, reason)

    def rollback(self, reason: str = "manual") -> DeploymentEvent:
        """Back to the version active before the last promotion or switch, or end a canary stage."""
        canary = self._canary
        if canary is not None:
            return self._roll_back(canary, reason)
        if self.previous is None:
            raise InvalidInput(WHERE, "version", "no previous version to roll back to")
        bad = self.active
        self.active, self.previous = self.previous, bad
        return self._event("rolled back", bad, reason)

    def status(self) -> dict[str, Any]:
        canary = self._canary
        return {
            "active": self.active,
            "previous": self.previous,
            "canary": None if canary is None else canary.version,
            "versions": self.registry.names(),
        }

    # --- gates --------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        canary = self._canary
        if canary is not None and self._wake is None:
            self._wake = self._timer.call_later(canary.settings.gate_interval, self._judge)

    def _judge(self) -> None:
        self._wake = None
        canary = self._canary
        if canary is None or not self.running:
            return
        s = canary.settings
        answered = len(canary.latencies)
        if answered >= s.min_orders:
            if canary.rejected / answered > s.max_reject_rate:
                self._roll_back(canary, f"health gate: {canary.rejected} of {answered} orders rejected")
                return
            p99 = _p99(canary.latencies)
            if p99 > s.max_latency:
                self._roll_back(
                    canary, f"performance gate: p99 {p99 * 1e3:.1f} ms over {s.max_latency * 1e3:.1f} ms"
                )
                return
        if self._clock.now() - canary.started >= s.canary_seconds:
            if answered < s.min_orders:
                self._roll_back(canary, f"not measured: {answered} answered orders, {s.min_orders} needed")
                return
            self._canary = None
            self.previous, self.active = self.active, canary.version
            self._strategies[canary.version] = canary.strategy
            self._event("promoted", canary.version, "health and performance gates passed", canary)
            return
        self._schedule()

    def _roll_back(self, canary: _Canary, reason: str) -> DeploymentEvent:
        self._end_canary()
        return self._event("rolled back", canary.version, reason, canary)

    def _end_canary(self) -> None:
        self._canary = None
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None

    def _strategy(self, name: str) -> Strategy:
        version = self.registry.get(name)
        if name in self._strategies:
            return self._strategies[name]
        strategy = self._build(version.params)
        return strategy if version.wrap is None else version.wrap(strategy)

    def _event(self, kind: str, version: str, reason: str, canary: _Canary | None = None) -> DeploymentEvent:
        lat = [] if canary is None else canary.latencies
        event = DeploymentEvent(
            self._clock.now(),
            kind,
            version,
            self.active,
            reason,
            answered=len(lat),
            rejected=0 if canary is None else canary.rejected,
            p99_latency=_p99(lat) if lat else None,
        )
        self.history.append(event)
        return event

    # --- the component API ----------------------------------------------------------------------------

    def _on_stop(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None

    def _on_start(self) -> None:
        self._schedule()

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        canary = self._canary
        detail = f"version {self.active}" + ("" if canary is None else f", canary {canary.version}")
        return Health(HealthState.HEALTHY, detail)

    def metrics(self) -> dict[str, float]:
        kinds = [e.kind for e in self.history]
        return {
            "deployment_system.canary": float(self._canary is not None),
            "deployment_system.promotions": float(kinds.count("promoted")),
            "deployment_system.rollbacks": float(kinds.count("rolled back")),
            "deployment_system.switches": float(kinds.count("switched")),
        }

    def validate(self) -> list[str]:
        return [] if self.active in self._strategies else [f"active version {self.active!r} was never built"]


class _AttributingEngine:
    """The execution engine with each new order's client id noted as the deciding version's."""

    def __init__(self, engine: Any, deployment: DeploymentSystem) -> None:
        self._engine = engine
        self._deployment = deployment

    def execute(self, intent: object) -> str | None:
        placed = self._engine.placed
        sent = self._engine.execute(intent)
        if sent is not None and self._engine.placed > placed:
            self._deployment._sent(sent)
        return sent

    def open_orders(self, symbol: str) -> list:
        return self._engine.open_orders(symbol)


def _p99(values: list[float]) -> float:
    """The nearest-rank 99th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]

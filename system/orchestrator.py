"""Starts components in dependency order, supervises them and restarts the ones that fail.

The orchestrator owns no trading logic: it knows each component only through the
:class:`~system.component.Component` API. Supervision runs on the injected timer, so a simulated
session and a live one supervise alike; the restart budget (``max_restarts`` within
``restart_window`` seconds) keeps a component that keeps failing from being restarted forever.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from system.component import Component, Health, HealthState, Lifecycle
from system.errors import InvalidInput
from venue.clock import Clock, Timer, TimerHandle


@dataclass(frozen=True, slots=True)
class _Entry:
    component: Component
    depends_on: tuple[str, ...]
    index: int


class ComponentOrchestrator(Lifecycle):
    """Dependency-ordered start/stop of registered components plus periodic supervision."""

    name = "component_orchestrator"

    def __init__(
        self,
        clock: Clock,
        timer: Timer,
        supervise_interval: float = 1.0,
        max_restarts: int = 5,
        restart_window: float = 60.0,
    ) -> None:
        super().__init__()
        if not supervise_interval > 0:
            raise InvalidInput(self.name, "supervise_interval", f"must be > 0, got {supervise_interval!r}")
        if max_restarts < 0:
            raise InvalidInput(self.name, "max_restarts", f"must be >= 0, got {max_restarts!r}")
        if not restart_window > 0:
            raise InvalidInput(self.name, "restart_window", f"must be > 0, got {restart_window!r}")
        self._clock = clock
        self._timer = timer
        self.supervise_interval = float(supervise_interval)
        self.max_restarts = max_restarts
        self.restart_window = float(restart_window)
        self._entries: dict[str, _Entry] = {}
        self._order: list[str] = []
        self._handle: TimerHandle | None = None
        self._recent: dict[str, deque[float]] = {}
        # Components whose restart raised: they are not running, so their health reads STOPPED, yet
        # they still need restarting on the next pass.
        self._pending: set[str] = set()
        self.restarts = 0
        self.restarts_by_component: dict[str, int] = {}
        self.given_up: set[str] = set()
        self.supervisions = 0
        self.last_error: dict[str, str] = {}

    # -- registration and ordering ---------------------------------------------------------------

    def register(self, component: Component, depends_on: tuple[str, ...] = ()) -> None:
        name = getattr(component, "name", None)
        if not isinstance(name, str) or not name:
            raise InvalidInput(self.name, "component", f"needs a non-empty string name, got {name!r}")
        if name in self._entries:
            raise InvalidInput(self.name, "component", f"duplicate component name {name!r}")
        if self.running:
            raise InvalidInput(self.name, "component", f"cannot register {name!r} while running")
        self._entries[name] = _Entry(component, tuple(depends_on), len(self._entries))
        self.restarts_by_component[name] = 0

    def _resolve_order(self) -> list[str]:
        for name, entry in self._entries.items():
            for dep in entry.depends_on:
                if dep not in self._entries:
                    raise InvalidInput(self.name, "depends_on", f"{name!r} depends on unknown {dep!r}")
                if dep == name:
                    raise InvalidInput(self.name, "depends_on", f"{name!r} depends on itself")
        # Kahn's algorithm; among the components ready at a step the earliest registered goes first.
        remaining = {name: set(entry.depends_on) for name, entry in self._entries.items()}
        order: list[str] = []
        while remaining:
            ready = [name for name, deps in remaining.items() if not deps]
            if not ready:
                name, dep = self._find_cycle(remaining)
                raise InvalidInput(self.name, "depends_on", f"dependency cycle: {name!r} depends on {dep!r}")
            chosen = min(ready, key=lambda n: self._entries[n].index)
            order.append(chosen)
            del remaining[chosen]
            for deps in remaining.values():
                deps.discard(chosen)
        return order

    def _find_cycle(self, remaining: dict[str, set[str]]) -> tuple[str, str]:
        # Every remaining node has an unresolved dependency, so walking them must revisit a node.
        start = min(remaining, key=lambda n: self._entries[n].index)
        seen: list[str] = []
        node = start
        while node not in seen:
            seen.append(node)
            node = min(remaining[node], key=lambda n: self._entries[n].index)
        cycle_start = seen.index(node)
        first = seen[cycle_start]
        nxt = seen[cycle_start + 1] if cycle_start + 1 < len(seen) else node
        return first, nxt

    @property
    def start_order(self) -> list[str]:
        return list(self._order) if self._order else self._resolve_order()

    def components(self) -> list[Component]:
        return [self._entries[name].component for name in self.start_order]

    # -- lifecycle -------------------------------------------------------------------------------

    def _on_start(self) -> None:
        order = self._resolve_order()
        started: list[str] = []
        try:
            for name in order:
                self._entries[name].component.start()
                started.append(name)
        except Exception:
            # Leave nothing half-started behind: the caller sees the error with a clean slate.
            for name in reversed(started):
                self._safe_stop(name)
            raise
        self._order = order
        self._handle = self._timer.call_later(self.supervise_interval, self._supervise)

    def _on_stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for name in reversed(self._order):
            self._safe_stop(name)
        self._pending.clear()

    def _safe_stop(self, name: str) -> None:
        try:
            self._entries[name].component.stop()
        except Exception as exc:  # a failing stop must not keep the others running
            self.last_error[name] = f"stop: {exc!r}"

    # -- supervision -----------------------------------------------------------------------------

    def _supervise(self) -> None:
        self._handle = None
        if not self.running:
            return
        self.supervisions += 1
        try:
            self.supervise()
        finally:
            if self.running:
                self._handle = self._timer.call_later(self.supervise_interval, self._supervise)

    def supervise(self) -> list[str]:
        """One supervision pass; returns the names restarted in it."""
        restarted: list[str] = []
        for name in self._order:
            if name in self.given_up:
                continue
            if name not in self._pending and self._state_of(name) is not HealthState.UNHEALTHY:
                continue
            if not self._budget_allows(name):
                self.given_up.add(name)
                self._pending.discard(name)
                continue
            self._restart(name)
            restarted.append(name)
        return restarted

    def _state_of(self, name: str) -> HealthState:
        try:
            return self._entries[name].component.health().state
        except Exception as exc:  # a component that cannot report its health is treated as failed
            self.last_error[name] = f"health: {exc!r}"
            return HealthState.UNHEALTHY

    def _budget_allows(self, name: str) -> bool:
        now = self._clock.now()
        recent = self._recent.setdefault(name, deque())
        while recent and recent[0] <= now - self.restart_window:
            recent.popleft()
        return len(recent) < self.max_restarts

    def _restart(self, name: str) -> None:
        self._recent[name].append(self._clock.now())
        self.restarts += 1
        self.restarts_by_component[name] += 1
        self._safe_stop(name)
        try:
            # Dependencies first (only those this component needs and that are down), then itself.
            for dep in self._dependencies_in_order(name):
                dep_component = self._entries[dep].component
                if not getattr(dep_component, "running", True):
                    dep_component.start()
            self._entries[name].component.start()
        except Exception as exc:
            self.last_error[name] = f"start: {exc!r}"
            self._pending.add(name)
        else:
            self._pending.discard(name)

    def _dependencies_in_order(self, name: str) -> list[str]:
        needed: set[str] = set()
        stack = list(self._entries[name].depends_on)
        while stack:
            dep = stack.pop()
            if dep not in needed:
                needed.add(dep)
                stack.extend(self._entries[dep].depends_on)
        return [n for n in self._order if n in needed]

    # -- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.given_up:
            return Health(HealthState.DEGRADED, "gave up restarting: " + ", ".join(sorted(self.given_up)))
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {
            f"{self.name}.components": float(len(self._entries)),
            f"{self.name}.restarts": float(self.restarts),
            f"{self.name}.given_up": float(len(self.given_up)),
            f"{self.name}.supervisions": float(self.supervisions),
        }
        for name, count in self.restarts_by_component.items():
            out[f"{self.name}.restarts.{name}"] = float(count)
        return out

    def validate(self) -> list[str]:
        problems: list[str] = []
        if self.restarts != sum(self.restarts_by_component.values()):
            problems.append("total restarts differ from the per-component sum")
        unknown = self.given_up - self._entries.keys()
        if unknown:
            problems.append(f"given up on unregistered components: {sorted(unknown)}")
        position = {name: i for i, name in enumerate(self._order)}
        for name in self._order:
            for dep in self._entries[name].depends_on:
                if position.get(dep, len(position)) > position[name]:
                    problems.append(f"{name!r} starts before its dependency {dep!r}")
        if self.running and len(self._order) != len(self._entries):
            problems.append("start order does not cover every registered component")
        if self.running and self._handle is None:
            problems.append("running without a supervision timer")
        return problems

"""Periodic health checks: polls the watched components and records every change of state.

Only changes are recorded, so the history stays small over a long session while still answering
"for what share of the session was everything healthy". A component's state is taken to hold from
one recorded transition to the next, which is exact up to the polling interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from system.component import Component, Health, HealthState, Periodic
from system.errors import InvalidInput
from venue.clock import Clock, Timer, TimerHandle


@dataclass(frozen=True, slots=True)
class Transition:
    time: float
    component: str
    state: HealthState
    detail: str = ""


class HealthCheckSystem(Periodic):
    """Polls ``health()`` of each watched component every ``interval`` seconds of the timer."""

    name = "health_check_system"

    def __init__(self, clock: Clock, timer: Timer, interval: float = 0.25) -> None:
        super().__init__()
        if not interval > 0:
            raise InvalidInput(self.name, "interval", f"must be > 0, got {interval!r}")
        self._clock = clock
        self._timer = timer
        self.interval = float(interval)
        self._watched: dict[str, Component] = {}
        self._current: dict[str, Health] = {}
        self._history: list[Transition] = []
        self._handle: TimerHandle | None = None
        self.polls = 0
        self.first_poll_at: float | None = None
        self.last_poll_at: float | None = None

    def watch(self, component: Component) -> None:
        name = getattr(component, "name", None)
        if not isinstance(name, str) or not name:
            raise InvalidInput(self.name, "component", f"needs a non-empty string name, got {name!r}")
        existing = self._watched.get(name)
        if existing is not None and existing is not component:
            raise InvalidInput(self.name, "component", f"another component is already watched as {name!r}")
        self._watched[name] = component

    # -- polling ---------------------------------------------------------------------------------

    def tick(self) -> None:
        self.poll()

    def poll(self) -> None:
        """Read every watched component's health now and record the ones that changed."""
        now = self._clock.now()
        for name, component in self._watched.items():
            try:
                health = component.health()
            except Exception as exc:  # a component that cannot say how it is counts as unhealthy
                health = Health(HealthState.UNHEALTHY, f"health() raised {exc!r}")
            previous = self._current.get(name)
            if previous is None or previous.state is not health.state:
                self._history.append(Transition(now, name, health.state, health.detail))
            self._current[name] = health
        self.polls += 1
        if self.first_poll_at is None:
            self.first_poll_at = now
        self.last_poll_at = now

    # -- queries ---------------------------------------------------------------------------------

    def history(self) -> list[Transition]:
        return list(self._history)

    def current(self) -> dict[str, Health]:
        return dict(self._current)

    def unhealthy(self) -> list[str]:
        return [name for name, health in self._current.items() if health.state is not HealthState.HEALTHY]

    def all_healthy(self) -> bool:
        # Nothing polled yet is not evidence of health.
        return self.polls > 0 and len(self._current) == len(self._watched) and not self.unhealthy()

    def time_healthy_share(self, t0: float, t1: float) -> float:
        """Share of [t0, t1] in which every watched component was HEALTHY; t0 is clamped to the first poll."""
        if t1 < t0:
            raise InvalidInput(self.name, "t1", f"must be >= t0 ({t0!r}), got {t1!r}")
        if self.first_poll_at is None:
            return 0.0
        start = max(t0, self.first_poll_at)
        if t1 <= start:
            # An empty window (or one wholly before the first poll): judge the instant itself.
            return 1.0 if t1 >= self.first_poll_at and self._all_healthy_at(t1) else 0.0
        states: dict[str, HealthState] = {}
        unhealthy: set[str] = set()
        healthy_time = 0.0
        seg_start = start
        i, n = 0, len(self._history)
        # Apply everything up to and including the window start, then walk change points inside it.
        while i < n and self._history[i].time <= start:
            self._apply(self._history[i], states, unhealthy)
            i += 1
        while i < n and self._history[i].time < t1:
            when = self._history[i].time
            if not unhealthy:
                healthy_time += when - seg_start
            seg_start = when
            while i < n and self._history[i].time == when:
                self._apply(self._history[i], states, unhealthy)
                i += 1
        if not unhealthy:
            healthy_time += t1 - seg_start
        return healthy_time / (t1 - start)

    def _all_healthy_at(self, t: float) -> bool:
        states: dict[str, HealthState] = {}
        unhealthy: set[str] = set()
        for transition in self._history:
            if transition.time > t:
                break
            self._apply(transition, states, unhealthy)
        return bool(states) and not unhealthy

    @staticmethod
    def _apply(transition: Transition, states: dict[str, HealthState], unhealthy: set[str]) -> None:
        states[transition.component] = transition.state
        if transition.state is HealthState.HEALTHY:
            unhealthy.discard(transition.component)
        else:
            unhealthy.add(transition.component)

    # -- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {
            f"{self.name}.watched": float(len(self._watched)),
            f"{self.name}.unhealthy": float(len(self.unhealthy())),
            f"{self.name}.transitions": float(len(self._history)),
            f"{self.name}.polls": float(self.polls),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        times = [t.time for t in self._history]
        if any(b < a for a, b in zip(times, times[1:], strict=False)):
            problems.append("transitions are not in time order")
        unknown = self._current.keys() - self._watched.keys()
        if unknown:
            problems.append(f"health recorded for unwatched components: {sorted(unknown)}")
        last: dict[str, HealthState] = {}
        for transition in self._history:
            if last.get(transition.component) is transition.state:
                problems.append(f"repeated transition for {transition.component!r} at {transition.time}")
            last[transition.component] = transition.state
        for name, health in self._current.items():
            if last.get(name) is not health.state:
                problems.append(f"current state of {name!r} differs from its last transition")
        if self.running and self._handle is None:
            problems.append("running without a poll timer")
        return problems

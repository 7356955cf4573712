"""The one component API: lifecycle, health, metrics and self-validation, same names everywhere.

This is the plan's "API method alignment": every component of the system satisfies
:class:`Component`, so the orchestrator, the health checks and the certification treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from venue.clock import Timer, TimerHandle


class HealthState(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Health:
    state: HealthState
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state is HealthState.HEALTHY


@runtime_checkable
class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> Health:
        """Current health, judged from the component's own observations."""
        ...

    def metrics(self) -> dict[str, float]:
        """Current figures, keyed ``<component>.<metric>``; values are numbers only."""
        ...

    def validate(self) -> list[str]:
        """Self-check of internal invariants; the problems found, empty when consistent."""
        ...


COMPONENT_METHODS = ("start", "stop", "health", "metrics", "validate")


class Lifecycle:
    """Start/stop bookkeeping shared by components; subclasses override the ``_on_*`` hooks."""

    name = "component"

    def __init__(self) -> None:
        self.running = False

    def start(self) -> None:
        if not self.running:
            self._on_start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._on_stop()

    def _on_start(self) -> None:
        """Acquire what the component needs to run."""

    def _on_stop(self) -> None:
        """Release what ``_on_start`` acquired."""

    def _stopped_health(self) -> Health | None:
        return None if self.running else Health(HealthState.STOPPED, f"{self.name} is not running")


class Periodic(Lifecycle):
    """A component that does its work, :meth:`tick`, every ``interval`` seconds of the injected timer
    while it runs. A subclass sets ``_timer`` and ``interval`` and implements ``tick``; its own
    ``_on_start`` or ``_on_stop``, if it has one, calls this class's."""

    _timer: Timer
    interval: float
    _handle: TimerHandle | None = None

    def _on_start(self) -> None:
        self._handle = self._timer.call_later(self.interval, self._tick)

    def _on_stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        self._handle = None
        if not self.running:
            return
        try:
            self.tick()
        finally:
            # A failing tick is reported by the exception; the component keeps its beat.
            if self.running:
                self._handle = self._timer.call_later(self.interval, self._tick)

    def tick(self) -> None:
        raise NotImplementedError

"""Error recovery: incident bookkeeping, retries with exponential backoff and circuit breakers.

Components report trouble as incidents keyed by ``(kind, key)`` and report the recovery when it
happens; the recovery rate over a session is what the certification reads. Retries and breaker
timeouts run on the injected clock and timer, never the wall clock.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from venue.clock import Clock, Timer, TimerHandle


@dataclass(frozen=True, slots=True)
class Incident:
    kind: str
    key: str
    detail: str
    opened_at: float
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stops calling a failing dependency for ``reset_after`` seconds once failures pile up.

    Closed: calls pass; ``failure_threshold`` consecutive failures open it. Open: calls are refused
    until ``reset_after`` has passed, then it is half-open. Half-open: one trial call is allowed;
    its success closes the breaker, its failure opens it again for another ``reset_after``.
    """

    def __init__(self, name: str, clock: Clock, failure_threshold: int = 5, reset_after: float = 5.0) -> None:
        if failure_threshold < 1:
            raise InvalidInput(
                f"breaker {name}", "failure_threshold", f"must be >= 1, got {failure_threshold!r}"
            )
        if not reset_after > 0:
            raise InvalidInput(f"breaker {name}", "reset_after", f"must be > 0, got {reset_after!r}")
        self.name = name
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.reset_after = float(reset_after)
        self._state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self._trial_in_flight = False
        self.times_opened = 0
        self.refused = 0

    @property
    def state(self) -> BreakerState:
        # Open turns half-open by the passage of time alone, so it is judged on read.
        if (
            self._state is BreakerState.OPEN
            and self.opened_at is not None
            and self._clock.now() >= self.opened_at + self.reset_after
        ):
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    def allow(self) -> bool:
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        self.refused += 1
        return False

    def success(self) -> None:
        self.consecutive_failures = 0
        if self.state is not BreakerState.CLOSED:
            self._state = BreakerState.CLOSED
            self.opened_at = None
            self._trial_in_flight = False

    def failure(self) -> None:
        state = self.state
        self.consecutive_failures += 1
        if state is BreakerState.HALF_OPEN or (
            state is BreakerState.CLOSED and self.consecutive_failures >= self.failure_threshold
        ):
            self._open()
        # A failure reported while open (a call that started before it opened) changes nothing.

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self.opened_at = self._clock.now()
        self._trial_in_flight = False
        self.times_opened += 1

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value})"


class RetryJob:
    """One retried operation; reschedules itself on the timer until it succeeds or runs out."""

    def __init__(
        self,
        owner: ErrorRecoverySystem,
        operation: Callable[[], bool],
        attempts: int,
        base_delay: float,
        max_delay: float,
        on_give_up: Callable[[], None] | None,
    ) -> None:
        self._owner = owner
        self._operation = operation
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._on_give_up = on_give_up
        self.made = 0
        self.done = False
        self.succeeded = False
        self._handle: TimerHandle | None = None
        self.last_error: str = ""

    def run(self) -> None:
        self._handle = None
        if self.done:
            return
        self.made += 1
        try:
            ok = bool(self._operation())
        except Exception as exc:  # an operation that raises counts as a failed attempt
            ok = False
            self.last_error = repr(exc)
        if ok:
            self.done = True
            self.succeeded = True
            self._owner._retry_finished(self)
            return
        if self.made >= self.attempts:
            self.done = True
            self._owner._retry_finished(self)
            if self._on_give_up is not None:
                self._on_give_up()
            return
        delay = min(self.max_delay, self.base_delay * (2 ** (self.made - 1)))
        self._handle = self._owner._timer.call_later(delay, self.run)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self.done:
            self.done = True
            self._owner._retry_finished(self)


class ErrorRecoverySystem(Lifecycle):
    """Incidents opened and closed by the components, retries and the circuit breakers they use."""

    name = "error_recovery_system"

    def __init__(self, clock: Clock, timer: Timer) -> None:
        super().__init__()
        self._clock = clock
        self._timer = timer
        self._incidents: list[Incident] = []
        # Index into _incidents of the open incident per (kind, key): at most one open at a time.
        self._open: dict[tuple[str, str], int] = {}
        self.seen: Counter[str] = Counter()
        self.recovered: Counter[str] = Counter()
        self._breakers: dict[str, CircuitBreaker] = {}
        self._retries: list[RetryJob] = []
        self.retries_started = 0
        self.retries_succeeded = 0
        self.retries_given_up = 0

    # -- incidents -------------------------------------------------------------------------------

    def opened(self, kind: str, key: str, detail: str = "") -> None:
        if (kind, key) in self._open:
            return
        self._open[(kind, key)] = len(self._incidents)
        self._incidents.append(Incident(kind, key, detail, self._clock.now()))
        self.seen[kind] += 1

    def closed(self, kind: str, key: str) -> None:
        index = self._open.pop((kind, key), None)
        if index is None:
            return
        incident = self._incidents[index]
        self._incidents[index] = Incident(
            incident.kind, incident.key, incident.detail, incident.opened_at, self._clock.now()
        )
        self.recovered[kind] += 1

    def incidents(self) -> list[Incident]:
        return list(self._incidents)

    def open_incidents(self) -> list[Incident]:
        return [self._incidents[i] for i in sorted(self._open.values())]

    def recovery_rate(self) -> float:
        total = sum(self.seen.values())
        return 1.0 if total == 0 else sum(self.recovered.values()) / total

    # -- retries ---------------------------------------------------------------------------------

    def retry(
        self,
        operation: Callable[[], bool],
        attempts: int = 5,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        on_give_up: Callable[[], None] | None = None,
    ) -> RetryJob:
        """Call ``operation`` now and, while it fails, again after base_delay * 2**n (capped)."""
        if attempts < 1:
            raise InvalidInput(self.name, "attempts", f"must be >= 1, got {attempts!r}")
        if not (math.isfinite(base_delay) and base_delay >= 0):
            raise InvalidInput(self.name, "base_delay", f"must be a finite number >= 0, got {base_delay!r}")
        if not (math.isfinite(max_delay) and max_delay >= base_delay):
            raise InvalidInput(self.name, "max_delay", f"must be finite and >= base_delay, got {max_delay!r}")
        job = RetryJob(self, operation, attempts, base_delay, max_delay, on_give_up)
        self._retries.append(job)
        self.retries_started += 1
        job.run()
        return job

    def _retry_finished(self, job: RetryJob) -> None:
        if job in self._retries:
            self._retries.remove(job)
        if job.succeeded:
            self.retries_succeeded += 1
        else:
            self.retries_given_up += 1

    def pending_retries(self) -> int:
        return len(self._retries)

    # -- breakers --------------------------------------------------------------------------------

    def breaker(self, name: str, failure_threshold: int = 5, reset_after: float = 5.0) -> CircuitBreaker:
        existing = self._breakers.get(name)
        if existing is not None:
            return existing
        created = CircuitBreaker(name, self._clock, failure_threshold, reset_after)
        self._breakers[name] = created
        return created

    def breakers(self) -> list[CircuitBreaker]:
        return list(self._breakers.values())

    # -- component API ---------------------------------------------------------------------------

    def _on_stop(self) -> None:
        # Pending retries belong to the session that is ending; none may fire after stop.
        for job in list(self._retries):
            job.cancel()

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        tripped = [b.name for b in self._breakers.values() if b.state is BreakerState.OPEN]
        if tripped:
            return Health(HealthState.UNHEALTHY, "breakers open: " + ", ".join(tripped))
        open_now = self.open_incidents()
        if open_now:
            listed = ", ".join(f"{i.kind}:{i.key}" for i in open_now[:10])
            more = f" (+{len(open_now) - 10} more)" if len(open_now) > 10 else ""
            return Health(HealthState.DEGRADED, f"open incidents: {listed}{more}")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {
            f"{self.name}.seen": float(sum(self.seen.values())),
            f"{self.name}.recovered": float(sum(self.recovered.values())),
            f"{self.name}.open": float(len(self._open)),
            f"{self.name}.recovery_rate": self.recovery_rate(),
            f"{self.name}.breakers_open": float(
                sum(1 for b in self._breakers.values() if b.state is BreakerState.OPEN)
            ),
            f"{self.name}.retries_pending": float(len(self._retries)),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        if sum(self.seen.values()) != len(self._incidents):
            problems.append("incidents seen differ from incidents recorded")
        closed = sum(1 for i in self._incidents if i.closed_at is not None)
        if closed != sum(self.recovered.values()):
            problems.append("recovered count differs from closed incidents")
        if len(self._open) != len(self._incidents) - closed:
            problems.append("open index differs from incidents without a close time")
        for (kind, key), index in self._open.items():
            incident = self._incidents[index]
            if (incident.kind, incident.key) != (kind, key) or incident.closed_at is not None:
                problems.append(f"open index for {kind}:{key} points at the wrong incident")
        for kind, count in self.recovered.items():
            if count > self.seen[kind]:
                problems.append(f"more recovered than seen for {kind!r}")
        for incident in self._incidents:
            if incident.closed_at is not None and incident.closed_at < incident.opened_at:
                problems.append(f"incident {incident.kind}:{incident.key} closed before it opened")
        return problems

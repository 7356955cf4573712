"""Examples of error recovery: incidents and recovery rate, retry backoff times, breaker states."""

from __future__ import annotations

import pytest
from fakes import FakeClock, FakeTimer

from system.component import HealthState
from system.errors import InvalidInput
from system.recovery import BreakerState, CircuitBreaker, ErrorRecoverySystem, Incident


def make() -> tuple[ErrorRecoverySystem, FakeClock, FakeTimer]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    system = ErrorRecoverySystem(clock, timer)
    system.start()
    return system, clock, timer


def test_incidents_open_once_close_and_rate() -> None:
    ers, clock, _ = make()
    assert ers.recovery_rate() == 1.0
    assert ers.health().state is HealthState.HEALTHY
    clock.t = 1.0
    ers.opened("feed_gap", "ACME", "no quotes")
    ers.opened("feed_gap", "ACME", "again")  # already open: ignored
    ers.opened("reject", "o-1")
    assert ers.seen == {"feed_gap": 1, "reject": 1}
    health = ers.health()
    assert health.state is HealthState.DEGRADED
    assert "feed_gap:ACME" in health.detail and "reject:o-1" in health.detail
    clock.t = 2.5
    ers.closed("feed_gap", "ACME")
    ers.closed("feed_gap", "UNKNOWN")  # no-op
    assert ers.incidents()[0] == Incident("feed_gap", "ACME", "no quotes", 1.0, 2.5)
    assert [i.key for i in ers.open_incidents()] == ["o-1"]
    assert ers.recovery_rate() == 0.5
    ers.opened("feed_gap", "ACME")  # closed before, so a new incident
    assert ers.seen["feed_gap"] == 2
    assert ers.recovery_rate() == pytest.approx(1 / 3)
    m = ers.metrics()
    assert m["error_recovery_system.seen"] == 3.0
    assert m["error_recovery_system.recovered"] == 1.0
    assert m["error_recovery_system.open"] == 2.0
    assert m["error_recovery_system.recovery_rate"] == pytest.approx(1 / 3)
    assert ers.validate() == []
    ers.stop()
    assert ers.health().state is HealthState.STOPPED


def test_retry_backoff_times_and_give_up() -> None:
    ers, clock, timer = make()
    calls: list[float] = []
    gave_up: list[float] = []

    def op() -> bool:
        calls.append(clock.t)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return False

    ers.retry(op, attempts=6, base_delay=0.1, max_delay=0.5, on_give_up=lambda: gave_up.append(clock.t))
    assert calls == [0.0]
    timer.advance(10.0)
    assert calls == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.2, 1.7])
    assert gave_up == pytest.approx([1.7])
    assert ers.retries_given_up == 1 and ers.pending_retries() == 0


def test_retry_stops_on_success() -> None:
    ers, clock, timer = make()
    calls: list[float] = []

    def op() -> bool:
        calls.append(clock.t)
        return len(calls) == 2

    ers.retry(op, on_give_up=lambda: pytest.fail("should not give up"))
    timer.advance(10.0)
    assert calls == pytest.approx([0.0, 0.05])
    assert ers.retries_succeeded == 1


def test_retry_cancelled_on_stop_and_bad_arguments() -> None:
    ers, _, timer = make()
    calls: list[int] = []
    ers.retry(lambda: calls.append(1) is not None and False)
    ers.stop()
    timer.advance(10.0)
    assert calls == [1]
    with pytest.raises(InvalidInput):
        ers.retry(lambda: True, attempts=0)


def test_breaker_transitions() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("venue", clock, failure_threshold=3, reset_after=2.0)
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.failure()
    breaker.failure()
    breaker.success()  # resets the consecutive count
    breaker.failure()
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    clock.t = 1.9
    assert not breaker.allow()
    clock.t = 2.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # one trial at a time
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    clock.t = 4.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    assert breaker.times_opened == 2


def test_recovery_system_holds_breakers_and_reports_open_ones() -> None:
    ers, clock, _ = make()
    b = ers.breaker("venue", failure_threshold=1, reset_after=1.0)
    assert ers.breaker("venue") is b
    b.failure()
    health = ers.health()
    assert health.state is HealthState.UNHEALTHY and "venue" in health.detail
    clock.t = 1.0
    assert ers.health().state is HealthState.HEALTHY

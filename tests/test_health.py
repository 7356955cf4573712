"""Examples of health checks: transitions, current state and the healthy share of a scripted session."""

from __future__ import annotations

import pytest
from fakes import FakeClock, FakeTimer

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.health import HealthCheckSystem, Transition


class Scripted(Lifecycle):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.state = HealthState.HEALTHY

    def health(self) -> Health:
        if self.state is HealthState.UNHEALTHY:
            raise RuntimeError("cannot tell")
        return Health(self.state, self.state.value)

    def metrics(self) -> dict[str, float]:
        return {}

    def validate(self) -> list[str]:
        return []


def make(interval: float = 1.0) -> tuple[HealthCheckSystem, FakeClock, FakeTimer, Scripted, Scripted]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    hcs = HealthCheckSystem(clock, timer, interval=interval)
    a, b = Scripted("a"), Scripted("b")
    hcs.watch(a)
    hcs.watch(b)
    return hcs, clock, timer, a, b


def test_records_first_poll_and_then_only_changes() -> None:
    hcs, _, timer, a, b = make()
    assert not hcs.all_healthy()
    hcs.start()
    timer.advance(1.0)
    assert hcs.history() == [
        Transition(1.0, "a", HealthState.HEALTHY, "healthy"),
        Transition(1.0, "b", HealthState.HEALTHY, "healthy"),
    ]
    assert hcs.all_healthy() and hcs.unhealthy() == []
    timer.advance(2.0)
    assert len(hcs.history()) == 2 and hcs.polls == 3
    b.state = HealthState.DEGRADED
    timer.advance(1.0)
    assert hcs.history()[-1] == Transition(4.0, "b", HealthState.DEGRADED, "degraded")
    assert hcs.unhealthy() == ["b"] and not hcs.all_healthy()
    assert hcs.current()["b"].state is HealthState.DEGRADED
    a.state = HealthState.UNHEALTHY  # its health() raises: counted as unhealthy
    timer.advance(1.0)
    assert hcs.current()["a"].state is HealthState.UNHEALTHY
    assert "raised" in hcs.current()["a"].detail
    m = hcs.metrics()
    assert m == {
        "health_check_system.watched": 2.0,
        "health_check_system.unhealthy": 2.0,
        "health_check_system.transitions": 4.0,
        "health_check_system.polls": 5.0,
    }
    assert hcs.validate() == []
    assert hcs.health().state is HealthState.HEALTHY
    hcs.stop()
    timer.advance(10.0)
    assert hcs.polls == 5
    assert hcs.health().state is HealthState.STOPPED


def test_time_healthy_share_over_scripted_states() -> None:
    hcs, clock, _, a, b = make()
    script = {
        2.0: (HealthState.HEALTHY, HealthState.HEALTHY),
        4.0: (HealthState.DEGRADED, HealthState.HEALTHY),
        5.0: (HealthState.HEALTHY, HealthState.HEALTHY),
        7.0: (HealthState.HEALTHY, HealthState.STOPPED),
        8.0: (HealthState.HEALTHY, HealthState.STOPPED),
        9.0: (HealthState.HEALTHY, HealthState.HEALTHY),
    }
    for t, (sa, sb) in script.items():
        clock.t = t
        a.state, b.state = sa, sb
        hcs.poll()
    # Healthy on [2,4), [5,7), [9,12]; unhealthy on [4,5), [7,9).
    assert hcs.time_healthy_share(2.0, 12.0) == pytest.approx(7.0 / 10.0)
    assert hcs.time_healthy_share(0.0, 12.0) == pytest.approx(7.0 / 10.0)  # clamped to the first poll
    assert hcs.time_healthy_share(3.0, 6.0) == pytest.approx(2.0 / 3.0)
    assert hcs.time_healthy_share(4.0, 5.0) == 0.0
    assert hcs.time_healthy_share(7.5, 10.0) == pytest.approx(1.0 / 2.5)
    assert hcs.time_healthy_share(0.0, 1.0) == 0.0
    with pytest.raises(InvalidInput):
        hcs.time_healthy_share(5.0, 1.0)


def test_share_without_polls_is_zero() -> None:
    hcs, _, _, _, _ = make()
    assert hcs.time_healthy_share(0.0, 10.0) == 0.0

"""The time to notice an unhealthy component, measured from outside: episodes seen by the outside
watch, set beside the Health Check System's history; a slower check measures slower."""

from __future__ import annotations

import pytest

from harness import healthchecks
from harness.session import SessionSpec, TradingSession


def _measured(key: tuple[str, str], times: int = 2, **settings: float) -> list[healthchecks.Noticed]:
    found = healthchecks.CAUSES[key]
    session = TradingSession(
        SessionSpec(seed=3, symbols=3, faults=healthchecks.fault_plan(found, times), settings=settings)
    )
    watch = healthchecks.OutsideWatch(session, healthchecks.unhealthy_outside(session, found))
    session.run(healthchecks.FIRST_AT + times * healthchecks.EVERY)
    session.close()
    return healthchecks.noticed(session, found.component, watch, 5.0)


@pytest.mark.parametrize("key", sorted(healthchecks.CAUSES))
def test_each_fault_is_one_episode_noticed_within_a_poll(key):
    rows = _measured(key)
    assert len(rows) == 2
    for row in rows:
        assert row.end is not None and row.end - row.start >= healthchecks.FAULT_SECONDS - 2.5
        assert row.state == "unhealthy"
        assert -healthchecks.RESOLUTION <= row.delay <= 0.25 + healthchecks.RESOLUTION
        assert 0 <= row.recovery_delay <= 0.25 + healthchecks.RESOLUTION


def test_a_slower_health_check_is_measured_slower():
    key = ("Trading System Optimizer", "a gateway crash that drops every order-entry session")
    delays = [row.delay for row in _measured(key, health_interval=2.0)]
    assert all(d is not None for d in delays) and max(delays) > 0.5


def test_an_unknown_cause_is_named():
    with pytest.raises(AssertionError, match="a solar flare"):
        healthchecks.cause("Market Data System", "a solar flare")

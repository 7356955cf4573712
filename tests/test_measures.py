"""Figures are judged over a stated least number of samples, from outside the system: a system that
trades nothing gets no figure ("not measured"), never a passing one."""

from __future__ import annotations

import math

import pytest

from harness.evidence import Evidence
from harness.measures import MEASURES, nearest_rank
from harness.session import SessionSpec, TradingSession


@pytest.fixture(scope="module")
def idle() -> TradingSession:
    """A session whose system never decides: it sends no order to the exchange."""
    session = TradingSession(SessionSpec(seed=3, symbols=2))
    session.system.decisions.stop()
    session.run(30)
    yield session
    session.close()


@pytest.mark.parametrize(
    "name",
    [
        "decision-to-acknowledgement p99 latency",
        "decision-to-acknowledgement p95 latency",
        "system error rate",
        "connection reuse",
    ],
)
def test_a_system_that_sends_nothing_is_not_measured(idle: TradingSession, name: str) -> None:
    found = MEASURES[name](idle)
    assert found.samples == 0
    fig = Evidence().figure(
        name, found.value, found.unit, method=found.method, samples=found.samples, least=1, at_most=1e9
    )
    assert not fig.passed and fig.value is None
    assert "not measured" in fig.verdict()


def test_fewer_samples_than_stated_fail_whatever_the_value() -> None:
    evidence = Evidence()
    short = evidence.figure("p99", 1.0, "ms", method="m", samples=999, least=1000, at_most=15.5)
    enough = evidence.figure("p99", 1.0, "ms", method="m", samples=1000, least=1000, at_most=15.5)
    assert (short.passed, short.value) == (False, None)
    assert enough.passed and enough.value == 1.0
    with pytest.raises(AssertionError, match="not measured: 999 samples, at least 1000 needed"):
        evidence.require(short)


def test_nan_meets_no_bound() -> None:
    evidence = Evidence()
    assert not evidence.figure("x", math.nan, "ms", method="m", at_most=15.5).passed
    assert not evidence.figure("x", math.nan, "%", method="m", at_least=95).passed
    assert math.isnan(nearest_rank([], 99))
    assert nearest_rank([3.0, 1.0, 2.0], 50) == 2.0


def test_latency_is_taken_at_the_venue_boundary() -> None:
    session = TradingSession(SessionSpec(seed=4, symbols=2))
    try:
        session.run(30)
        latencies = session.tap.ack_latencies()
        assert latencies and all(0 < t < 1 for t in latencies)
        # The system's own analyzer is a claim; the boundary's figure is the evidence. They agree here.
        assert session.system.perf.count("decision_to_ack") == len(latencies)
    finally:
        session.close()


def test_a_system_that_stops_sending_fails_within_the_stall_bound(idle: TradingSession) -> None:
    started = idle.now
    assert idle.send_orders(10_000, limit=3_600.0, stall=60.0) == 0
    assert idle.now - started <= 60.0 + 10.0  # one step past the stall bound, not the hour

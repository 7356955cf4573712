"""The Advanced Monitoring Framework: importable from its documented module in a fresh interpreter,
its exposition parsed by prometheus_client's own parser, collections on the timer only."""

from __future__ import annotations

import json
import urllib.request

import pytest

from harness.monitoring import fresh_import, parse, snapshot_samples
from system.component import Component, Health, HealthState
from system.errors import InvalidInput
from system.monitoring import AdvancedMonitoringFramework
from tests.fakes import FakeClock, FakeTimer


def test_a_fresh_interpreter_imports_it_and_records_a_latency() -> None:
    """FIX-MONITORING-IMPORT: the plan's first issue was that this import failed."""
    fresh = fresh_import("order", 0.0042, "ACME")
    assert fresh.test_modules == [], f"the monitoring module pulled in test code: {fresh.test_modules}"
    samples = parse(fresh.exposition)
    labels = (("path", "order"), ("symbol", "ACME"))
    assert samples[("allu_latency_seconds_count", labels)] == 1.0
    assert samples[("allu_latency_seconds_sum", labels)] == pytest.approx(0.0042)
    assert samples[("allu_latency_seconds_bucket", (("le", "0.0025"), *labels))] == 0.0
    assert samples[("allu_latency_seconds_bucket", (("le", "0.005"), *labels))] == 1.0


class _Counting:
    """A component whose one counter moves as the test says."""

    name = "counting"

    def __init__(self) -> None:
        self.n = 0.0

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> Health:
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {"counting.n": self.n}

    def validate(self) -> list[str]:
        return []


def _framework() -> tuple[AdvancedMonitoringFramework, FakeTimer, _Counting]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    counting = _Counting()
    assert isinstance(counting, Component)
    return (
        AdvancedMonitoringFramework(clock, timer, interval=1.0, components=lambda: [counting]),
        timer,
        counting,
    )


def test_collects_on_the_timer_and_sees_what_moved() -> None:
    framework, timer, counting = _framework()
    framework.start()
    timer.advance(0.5)
    assert framework.collections == 0
    timer.advance(0.5)
    assert framework.collections == 1
    before = snapshot_samples(framework.snapshot())
    counting.n = 5
    timer.advance(1.0)
    assert framework.value("allu_component_metric", component="counting", metric="n") == 5.0
    after = snapshot_samples(framework.snapshot())
    moved = {name for name, value in after.items() if before.get(name) != value}
    assert {name for name, _ in moved} == {"allu_component_metric", "allu_collections_total"}
    framework.stop()
    timer.advance(10.0)
    assert framework.collections == 2
    assert framework.health().state is HealthState.STOPPED


def test_the_exposition_parses_and_holds_the_json_snapshot_series() -> None:
    framework, timer, counting = _framework()
    framework.record_latency("decision_to_ack", 0.003, symbol="XYZ")
    framework.start()
    counting.n = 2
    timer.advance(3.0)
    parsed = parse(framework.exposition().decode())  # prometheus_client.parser
    snapshot = json.loads(framework.snapshot_json())
    assert snapshot["collections"] == 3
    from_json = snapshot_samples(snapshot)
    assert parsed == from_json
    assert parsed[("allu_component_health", (("component", "counting"),))] == 0.0
    assert not any(name.endswith("_created") for name, _ in parsed), (
        "a creation time would read the wall clock"
    )


def test_a_counter_that_goes_down_makes_it_unhealthy() -> None:
    framework, timer, _ = _framework()
    framework.start()
    timer.advance(1.0)
    framework.collections = -1  # as if its collection counter were reset under it: the next is 0
    timer.advance(1.0)
    assert framework.health().state is HealthState.UNHEALTHY
    assert framework.validate()


@pytest.mark.parametrize("interval", [0, -1.0, float("nan"), 1e9, True, "1"])
def test_a_bad_interval_is_refused_by_name(interval: object) -> None:
    clock = FakeClock()
    with pytest.raises(InvalidInput, match="interval"):
        AdvancedMonitoringFramework(clock, FakeTimer(clock), interval=interval)  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "symbol", "field"), [("", "A", "path"), ("p", "", "symbol")])
def test_a_bad_recorded_latency_is_refused_by_name(path: str, symbol: str, field: str) -> None:
    framework, _, _ = _framework()
    with pytest.raises(InvalidInput, match=field):
        framework.record_latency(path, 0.001, symbol=symbol)
    with pytest.raises(InvalidInput, match="finite"):
        framework.record_latency("p", float("nan"), symbol="A")


def test_serves_the_last_collection_over_http_until_it_stops() -> None:
    framework, timer, counting = _framework()
    framework.start()
    counting.n = 7
    timer.advance(1.0)
    port = framework.serve(0)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        page = parse(response.read().decode())
    assert page == snapshot_samples(framework.snapshot())
    assert page[("allu_component_metric", (("component", "counting"), ("metric", "n")))] == 7.0
    framework.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


@pytest.mark.parametrize("port", [-1, 65_536, 1.5, True])
def test_a_bad_port_is_refused_by_name(port: object) -> None:
    framework, _, _ = _framework()
    with pytest.raises(InvalidInput, match="port"):
        framework.serve(port)  # type: ignore[arg-type]

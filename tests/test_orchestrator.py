"""Examples of the orchestrator: dependency order, cycle errors, supervision restarts and give-up."""

from __future__ import annotations

import pytest
from fakes import FakeClock, FakeTimer

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.orchestrator import ComponentOrchestrator


class Part(Lifecycle):
    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__()
        self.name = name
        self.log = log
        self.broken = False
        self.starts = 0

    def _on_start(self) -> None:
        self.starts += 1
        self.log.append(f"start {self.name}")

    def _on_stop(self) -> None:
        self.log.append(f"stop {self.name}")

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        return Health(HealthState.UNHEALTHY, "broken") if self.broken else Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {}

    def validate(self) -> list[str]:
        return []


def make(**kwargs) -> tuple[ComponentOrchestrator, FakeClock, FakeTimer]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    return ComponentOrchestrator(clock, timer, **kwargs), clock, timer


def test_starts_in_dependency_order_ties_by_registration_and_stops_in_reverse() -> None:
    orch, _, timer = make()
    log: list[str] = []
    parts = {n: Part(n, log) for n in ("gateway", "risk", "feed", "store")}
    orch.register(parts["gateway"], depends_on=("risk", "feed"))
    orch.register(parts["risk"], depends_on=("store",))
    orch.register(parts["feed"])
    orch.register(parts["store"])
    orch.start()
    assert orch.start_order == ["feed", "store", "risk", "gateway"]
    assert [c.name for c in orch.components()] == orch.start_order
    assert log == ["start feed", "start store", "start risk", "start gateway"]
    assert orch.health().state is HealthState.HEALTHY
    assert orch.validate() == []
    assert timer.live() == 1
    log.clear()
    orch.stop()
    assert log == ["stop gateway", "stop risk", "stop store", "stop feed"]
    assert timer.live() == 0
    assert orch.health().state is HealthState.STOPPED


def test_duplicate_unknown_dependency_and_cycle_are_refused() -> None:
    orch, _, _ = make()
    log: list[str] = []
    orch.register(Part("a", log))
    with pytest.raises(InvalidInput, match="duplicate"):
        orch.register(Part("a", log))

    orch2, _, _ = make()
    orch2.register(Part("a", log), depends_on=("ghost",))
    with pytest.raises(InvalidInput) as err:
        orch2.start()
    assert "'a'" in str(err.value) and "'ghost'" in str(err.value)

    orch3, _, _ = make()
    orch3.register(Part("a", log), depends_on=("c",))
    orch3.register(Part("b", log), depends_on=("a",))
    orch3.register(Part("c", log), depends_on=("b",))
    orch3.register(Part("free", log))
    with pytest.raises(InvalidInput, match="cycle") as err:
        orch3.start()
    assert "'a'" in str(err.value) and "'c'" in str(err.value)
    assert not orch3.running


def test_restarts_unhealthy_component_and_starts_its_stopped_dependencies() -> None:
    orch, _, timer = make(supervise_interval=1.0)
    log: list[str] = []
    store, risk, other = Part("store", log), Part("risk", log), Part("other", log)
    orch.register(store)
    orch.register(risk, depends_on=("store",))
    orch.register(other)
    orch.start()
    log.clear()
    risk.broken = True
    store.stop()
    timer.advance(1.0)
    assert log == ["stop store", "stop risk", "start store", "start risk"]
    assert orch.restarts == 1
    assert orch.restarts_by_component == {"store": 0, "risk": 1, "other": 0}
    risk.broken = False
    timer.advance(5.0)
    assert orch.restarts == 1
    assert orch.metrics()["component_orchestrator.restarts.risk"] == 1.0


def test_gives_up_after_max_restarts_within_window() -> None:
    orch, _, timer = make(supervise_interval=1.0, max_restarts=3, restart_window=10.0)
    log: list[str] = []
    bad = Part("bad", log)
    bad.broken = True
    orch.register(bad)
    orch.start()

    # Restarting does not heal it: its _on_start keeps it broken.
    timer.advance(10.0)
    assert orch.restarts_by_component["bad"] == 3
    assert orch.given_up == {"bad"}
    assert orch.health().state is HealthState.DEGRADED
    assert "bad" in orch.health().detail
    timer.advance(100.0)
    assert orch.restarts == 3
    assert orch.validate() == []


def test_restart_budget_refills_after_window() -> None:
    orch, _, timer = make(supervise_interval=1.0, max_restarts=2, restart_window=5.0)
    log: list[str] = []
    flaky = Part("flaky", log)
    orch.register(flaky)
    orch.start()
    for _ in range(4):
        flaky.broken = True
        timer.advance(1.0)
        flaky.broken = False
        timer.advance(4.0)
    assert orch.restarts == 4
    assert orch.given_up == set()


def test_failed_restart_is_retried_on_next_pass() -> None:
    orch, _, timer = make(supervise_interval=1.0, max_restarts=5)
    log: list[str] = []

    class Fragile(Part):
        fail_starts = 0

        def _on_start(self) -> None:
            if self.fail_starts:
                self.fail_starts -= 1
                raise RuntimeError("no")
            super()._on_start()

    frag = Fragile("frag", log)
    orch.register(frag)
    orch.start()
    frag.broken = True
    frag.fail_starts = 1
    timer.advance(1.0)
    assert not frag.running and "frag" in orch.last_error
    frag.broken = False
    timer.advance(1.0)
    assert frag.running
    assert orch.restarts == 2

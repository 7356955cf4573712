"""How fast the system's Health Check System notices a component going unhealthy, judged from outside.

A fault of the simulator makes a component unhealthy in a way the harness can see without asking
the system: the market data system when no market data has reached it (at the venue tap) for longer
than its stale bound; the session pool when the exchange holds no session of the account. An
outside watch samples those conditions every ``RESOLUTION`` seconds of simulated time and keeps
each episode (start, end). For every episode the delay to notice is the time from its start to
the Health Check System's first transition of that component away from healthy, and the delay to
recover is from its end to the transition back to healthy, both read from the check's history.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from harness.session import ACCOUNT, TradingSession
from simulator.faults import FaultPlan

RESOLUTION = 0.01  # seconds of simulated time between two looks of the outside watch
FIRST_AT = 30.0  # the first fault, once the session has logged on and traded a while
EVERY = 30.0  # seconds between two faults of a scenario
FAULT_SECONDS = 5.0  # how long each fault lasts


@dataclass(frozen=True)
class Cause:
    """A component of the system, the fault that makes it unhealthy, and how the outside sees it."""

    component: str  # its name in the system
    fault: str  # the simulator's fault kind
    params: dict
    what: str  # what the outside watch sees while it lasts


# The causes of the scenarios, in their words.
CAUSES = {
    ("Market Data System", "a withheld market data feed"): Cause(
        "market_data_system", "stale_feed", {}, "no market data at the venue tap beyond the stale bound"
    ),
    ("Trading System Optimizer", "a gateway crash that drops every order-entry session"): Cause(
        "trading_system_optimizer", "crash", {}, "no session of the account at the exchange"
    ),
}


def cause(component: str, text: str) -> Cause:
    found = CAUSES.get((component, text))
    assert found is not None, f"no cause {text!r} for the {component} (known: {sorted(CAUSES)})"
    return found


def fault_plan(found: Cause, times: int) -> FaultPlan:
    """``times`` faults of ``found``'s kind, ``EVERY`` seconds apart from ``FIRST_AT``."""
    entries = [
        {"at": FIRST_AT + i * EVERY, "fault": found.fault, "duration": FAULT_SECONDS, **found.params}
        for i in range(times)
    ]
    return FaultPlan.from_entries(entries, f"{times} faults {found.fault}")


def unhealthy_outside(session: TradingSession, found: Cause) -> Callable[[], bool]:
    """The outside condition under which ``found.component`` is unhealthy."""
    if found.component == "market_data_system":
        stale_after = session.system.settings.stale_after
        return lambda: session.tap.silent_for() > stale_after
    gateway = session.market.gateway
    return lambda: gateway.live_sessions(ACCOUNT) == 0


class OutsideWatch:
    """Episodes (start, end) of a condition, sampled every ``RESOLUTION`` simulated seconds."""

    def __init__(self, session: TradingSession, condition: Callable[[], bool]) -> None:
        self._condition = condition
        self.looks = 0
        self.episodes: list[tuple[float, float | None]] = []
        env = session.market.env
        env.process(self._watch(env))

    def _watch(self, env) -> Generator:  # noqa: ANN001 - a simpy Environment
        since: float | None = None
        while True:
            yield env.timeout(RESOLUTION)
            self.looks += 1
            bad = self._condition()
            if bad and since is None:
                since = env.now
                self.episodes.append((since, None))
            elif not bad and since is not None:
                self.episodes[-1] = (since, env.now)
                since = None


@dataclass(frozen=True)
class Noticed:
    start: float  # the episode as seen from outside
    end: float | None
    noticed: float | None  # the health check's transition away from healthy
    recovered: float | None  # ... and back to healthy
    state: str | None  # the state it reported

    @property
    def delay(self) -> float | None:
        return None if self.noticed is None else self.noticed - self.start

    @property
    def recovery_delay(self) -> float | None:
        return None if self.recovered is None or self.end is None else self.recovered - self.end

    def row(self) -> dict:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {
            "unhealthy from outside at s": r(self.start),
            "healthy from outside at s": r(self.end),
            "noticed at s": r(self.noticed),
            "reported": self.state,
            "delay to notice s": r(self.delay),
            "reported healthy at s": r(self.recovered),
            "delay to recover s": r(self.recovery_delay),
        }


def noticed(session: TradingSession, component: str, watch: OutsideWatch, window: float) -> list[Noticed]:
    """Each outside episode beside the Health Check System's history of ``component``: the first
    transition away from healthy from ``RESOLUTION`` before the episode began to ``window`` after,
    and the first back to healthy after that."""
    history = [t for t in session.system.health.history() if t.component == component]
    out = []
    for start, end in watch.episodes:
        bad = next(
            (
                t
                for t in history
                if start - RESOLUTION <= t.time <= start + window and t.state.value != "healthy"
            ),
            None,
        )
        back = None
        if bad is not None:
            back = next((t for t in history if t.time > bad.time and t.state.value == "healthy"), None)
        out.append(
            Noticed(
                start,
                end,
                None if bad is None else bad.time,
                None if back is None else back.time,
                None if bad is None else bad.state.value,
            )
        )
    return out


def every_component(session: TradingSession) -> list[dict]:
    """Per component of the system: the state its ``health()`` answers the harness now, the state in
    the monitoring framework's export, and whether the Health Check System polls it (it does not
    poll itself: its own health is in the export)."""
    checks = session.system.health
    polled = checks.current()
    monitoring = session.system.monitoring
    rows = []
    for component in session.system.components:
        name = component.name
        health = component.health()
        exported = monitoring.value("allu_component_health", component=name)
        itself = component is checks
        watched = name in polled
        rows.append(
            {
                "component": name,
                "health() answers": health.state.value,
                "in the monitoring export": exported,
                "polled": checks.polls if watched else None,
                "reports": exported is not None and (watched or itself),
            }
        )
    return rows

"""The harness's own health sampler: every component asked for its health on a fixed beat of
simulated time, independently of the system's health check system and its history.

It also sets two answers beside what the outside saw: a poll at which the exchange has held no
session of the account for more than ``GRACE`` seconds while the session pool says it is healthy,
or at which no market data has reached the system for ``GRACE`` seconds beyond its stale bound while
the market data system says it is healthy, is a *blind spot*: a health report that does not follow
the component's state."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from system.component import HealthState

EVERY = 0.25  # seconds of simulated time between polls
GRACE = 1.0  # seconds without a session before the pool must stop calling itself healthy


class HealthSampler:
    def __init__(  # noqa: ANN001
        self, env: simpy.Environment, system, sessions, silence, stale_after: float, every: float = EVERY
    ) -> None:
        """``sessions()`` is how many sessions of the account the exchange holds now; ``silence()`` how
        long no market data has reached the system (seen at the venue boundary); ``stale_after`` the
        stale bound the system was configured with."""
        self._system = system
        self._sessions = sessions
        self._silence = silence
        self._stale_after = stale_after
        self._without_since: float | None = None
        self.blind: list[tuple[float, str, str]] = []  # (time, component, what the outside saw)
        self.every = every
        self.polls = 0
        self.healthy = 0
        env.process(self._poll(env))

    def _poll(self, env: simpy.Environment) -> Generator:
        while True:
            yield env.timeout(self.every)
            if not self._system.orchestrator.running:
                continue
            self.polls += 1
            system = self._system
            # Each component is asked once a poll; the blind-spot checks read the same answers.
            states = {c: c.health().state for c in system.components}
            if all(state is HealthState.HEALTHY for state in states.values()):
                self.healthy += 1
            if self._sessions():
                self._without_since = None
            elif self._without_since is None:
                self._without_since = env.now
            elif env.now - self._without_since > GRACE and states[system.optimizer] is HealthState.HEALTHY:
                self.blind.append((env.now, "session pool", "no session of the account at the exchange"))
            silent = self._silence()
            if silent > self._stale_after + GRACE and states[system.market_data] is HealthState.HEALTHY:
                self.blind.append((env.now, "market data system", f"no market data for {silent:.2f} s"))

    def healthy_share(self) -> float:
        return self.healthy / self.polls if self.polls else float("nan")

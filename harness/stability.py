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
        self.unhealthy: list[tuple[float, str, str]] = []  # (time, component, state), first 200
        env.process(self._poll(env))

    def _poll(self, env: simpy.Environment) -> Generator:
        while True:
            yield env.timeout(self.every)
            if not self._system.orchestrator.running:
                continue
            self.polls += 1
            if self._sessions():
                self._without_since = None
            elif self._without_since is None:
                self._without_since = env.now
            elif (
                env.now - self._without_since > GRACE
                and self._system.optimizer.health().state is HealthState.HEALTHY
            ):
                self.blind.append((env.now, "session pool", "no session of the account at the exchange"))
            md = self._system.market_data
            silent = self._silence()
            if silent > self._stale_after + GRACE and md.health().state is HealthState.HEALTHY:
                self.blind.append((env.now, "market data system", f"no market data for {silent:.2f} s"))
            bad = [(c.name, c.health().state) for c in self._system.components]
            bad = [(name, state) for name, state in bad if state is not HealthState.HEALTHY]
            if bad:
                for name, state in bad:
                    if len(self.unhealthy) < 200:
                        self.unhealthy.append((env.now, name, state.value))
            else:
                self.healthy += 1

    def healthy_share(self) -> float:
        return self.healthy / self.polls if self.polls else float("nan")

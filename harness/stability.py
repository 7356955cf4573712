"""The harness's own health sampler: every component asked for its health on a fixed beat of
simulated time, independently of the system's health check system and its history."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from system.component import HealthState

EVERY = 0.25  # seconds of simulated time between polls


class HealthSampler:
    def __init__(self, env: simpy.Environment, system, every: float = EVERY) -> None:  # noqa: ANN001
        self._system = system
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

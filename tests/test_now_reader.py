"""The C-level reader of SimPy's time agrees with ``env.now`` as the simulation runs."""

from __future__ import annotations

import simpy

from harness.clock import SimClock
from simulator.world import now_reader


def test_the_reader_follows_the_environments_time():
    env = simpy.Environment(initial_time=0.0)
    read, clock = now_reader(env), SimClock(env)
    seen = []

    def process():
        for delay in (0.25, 1.5, 3.0):
            yield env.timeout(delay)
            seen.append((env.now, read(), clock.now()))

    env.process(process())
    env.run()
    assert seen == [(0.25, 0.25, 0.25), (1.75, 1.75, 1.75), (4.75, 4.75, 4.75)]

"""Whether the system recovered from each injected fault, judged from the outside.

After a fault's effect ends, the system has recovered once, within ``WINDOW`` seconds, all of
these hold at the same moment:

- the exchange holds a logged-on order-entry session of the system's account;
- the system's market data has caught up: for every symbol, its bus has carried the exchange's
  feed at least up to the sequence number the exchange had published when the fault ended (seen
  by the harness's probe on the bus, so a system waiting for a snapshot has not caught up);
- the exchange has accepted a new order from the account since the fault ended.

Nobody intervenes: there is no operator in a simulated session. The watch is a SimPy process of
the harness; it reads the exchange's records and what the system's bus carried, never a flag the
system sets about itself.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from harness.probe import BusProbe
from simulator.world import Market

WINDOW = 10.0  # seconds after a fault's end within which the system must be back on its feet
CHECK_EVERY = 0.25


@dataclass
class Outcome:
    kind: str
    start: float
    end: float
    recovered_at: float | None = None
    judged: bool = False

    @property
    def recovered(self) -> bool:
        return self.recovered_at is not None

    def row(self) -> dict:
        took = None if self.recovered_at is None else round(self.recovered_at - self.end, 3)
        return {
            "fault": self.kind,
            "start": self.start,
            "end": self.end,
            "recovered": self.recovered,
            "seconds to recover": took,
        }


class RecoveryWatch:
    def __init__(self, market: Market, probe: BusProbe, account: str) -> None:
        self._market = market
        self._probe = probe
        self._account = account
        self.outcomes: list[Outcome] = []
        self._baselines: dict[int, tuple[dict[str, int], int]] = {}
        market.env.process(self._watch(market.env))

    def _watch(self, env: simpy.Environment) -> Generator:
        injected = self._market.injector.injected
        while True:
            yield env.timeout(CHECK_EVERY)
            while len(self.outcomes) < len(injected):
                fault = injected[len(self.outcomes)]
                self.outcomes.append(Outcome(fault.kind, fault.start, fault.end))
            for n, outcome in enumerate(self.outcomes):
                if not outcome.judged and env.now >= outcome.end:
                    self._judge(n, outcome, env.now)

    def _judge(self, n: int, outcome: Outcome, now: float) -> None:
        market = self._market
        records = market.exchange.records(self._account)
        if n not in self._baselines:
            feed = market.exchange.feed
            self._baselines[n] = ({s: feed.seq(s) for s in market.symbols}, len(records.orders))
        seqs, orders = self._baselines[n]
        topics = self._probe.topics
        caught_up = all(topics[f"md.{s}"].feed_seq >= seq for s, seq in seqs.items())
        if market.gateway.live_sessions(self._account) and caught_up and len(records.orders) > orders:
            outcome.recovered_at = now
            outcome.judged = True
        elif now > outcome.end + WINDOW:
            outcome.judged = True

    def rate(self) -> tuple[int, int]:
        """(recovered, judged) over the faults whose window has closed or that recovered."""
        judged = [o for o in self.outcomes if o.judged]
        return sum(o.recovered for o in judged), len(judged)

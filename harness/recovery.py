"""Whether the system recovered from each injected fault, judged from the outside.

After a fault's effect ends, the system has recovered once, within ``WINDOW`` seconds, all of
these hold at the same moment:

- the exchange holds a logged-on order-entry session of the system's account;
- the system's market data has caught up: for every symbol, its bus has carried the exchange's
  feed at least up to the sequence number the exchange had published when the fault ended (seen
  by the harness's probe on the bus, so a system waiting for a snapshot has not caught up);
- the exchange has accepted a new order from the account since the fault ended.

Only a fault whose effect on the system was observed is judged: sessions of the account dropped
(disconnect, crash), a gap or a silence in the feed the system was shown (drop_feed, stale_feed),
an order of the system refused (reject_storm), or in flight (latency_spike, slow_acks), or a halt
announced (halt). A fault that touched nothing proves nothing about recovery.

While each fault lasts (and until it is judged), the watch also checks the protective response a
trader relies on, from the venue tap: no new order on a market the system could not see (gapped,
halted or stale feed) and no order lost (every new order sent is answered by the venue).

Nobody intervenes: there is no operator in a simulated session. The watch is a SimPy process of
the harness; it reads the exchange's records, the venue tap and what the system's bus carried,
never a flag the system sets about itself.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from harness.probe import BusProbe
from harness.tap import VenueTap
from simulator.world import Market
from venue.messages import RejectReason

WINDOW = 10.0  # seconds after a fault's end within which the system must be back on its feet
CHECK_EVERY = 0.25


@dataclass
class Outcome:
    kind: str
    start: float
    end: float
    params: dict
    recovered_at: float | None = None
    judged: bool = False
    effect: str = ""  # what the fault was seen to do to the system; empty when nothing was seen
    violations: int = 0  # new orders sent on a market the system could not see, during the fault
    lost: int = 0  # new orders sent during the fault that the venue never answered

    @property
    def affected(self) -> bool:
        return bool(self.effect)

    @property
    def protected(self) -> bool:
        return self.violations == 0 and self.lost == 0

    @property
    def recovered(self) -> bool:
        return self.recovered_at is not None

    def row(self) -> dict:
        took = None if self.recovered_at is None else round(self.recovered_at - self.end, 3)
        return {
            "fault": self.kind,
            "start": self.start,
            "end": self.end,
            "effect seen": self.effect or "none (not judged)",
            "recovered": self.recovered if self.affected else None,
            "seconds to recover": took,
            "orders on an unseen market": self.violations,
            "orders lost": self.lost,
        }


class RecoveryWatch:
    def __init__(self, market: Market, probe: BusProbe, tap: VenueTap, account: str) -> None:
        self._market = market
        self._probe = probe
        self._tap = tap
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
                self.outcomes.append(Outcome(fault.kind, fault.start, fault.end, dict(fault.params)))
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
        recovered = market.gateway.live_sessions(self._account) and caught_up and len(records.orders) > orders
        if recovered or now > outcome.end + WINDOW:
            outcome.effect = self._effect(outcome, now)
            self._protection(outcome, now)
            outcome.judged = True
            if recovered:
                outcome.recovered_at = now

    def _effect(self, o: Outcome, now: float) -> str:
        tap = self._tap
        if o.kind in ("disconnect", "crash"):
            dropped = o.params.get("sessions", 0)
            return f"{dropped} sessions dropped" if dropped else ""
        if o.kind in ("drop_feed", "stale_feed"):
            gaps = [symbol for t, symbol in tap.gaps if o.start <= t <= now]
            if gaps:
                return f"a gap in the feed of {', '.join(sorted(set(gaps)))}"
            silent = tap.silence(o.start, max(o.end, o.start + 0.5))
            return f"the feed silent for {silent:.2f} s" if silent >= 0.5 else ""
        if o.kind == "reject_storm":
            refused = [
                c
                for c, r in tap.rejects().items()
                if r is RejectReason.THROTTLED and tap.answered_in(c, o.start, now)
            ]
            return f"{len(refused)} orders refused" if refused else ""
        if o.kind in ("latency_spike", "slow_acks"):
            flying = tap.in_flight(o.start, o.end + o.params.get("extra", 0.0))
            return f"{flying} answers of the venue held up" if flying else ""
        if o.kind == "halt":
            return f"{o.params.get('symbol')} halted"
        return ""

    def _protection(self, o: Outcome, now: float) -> None:
        tap = self._tap
        o.violations = sum(1 for v in tap.violations if o.start <= v.time <= now)
        o.lost = sum(
            1 for sent in tap.orders.values() if o.start <= sent.trigger <= o.end and sent.answered is None
        )

    def rate(self) -> tuple[int, int]:
        """(recovered, judged) over the faults with an observed effect whose window has closed or
        that recovered."""
        judged = [o for o in self.outcomes if o.judged and o.affected]
        return sum(o.recovered for o in judged), len(judged)

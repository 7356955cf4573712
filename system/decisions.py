"""The decision loop: market data in, strategy decisions out, carried out by the execution engine.

Each applied update of a symbol marks it for a decision, taken by a timer callback right after
(the market data path stays short, and updates that arrive together make one decision). A decision
reads the symbol's quote through the cache, asks the strategy what to do, and hands the intents to
the execution engine, timing the feed-to-decision path in the clock's time.
"""

from __future__ import annotations

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from venue.clock import Clock, Timer


class DecisionLoop(Lifecycle):
    name = "decision_loop"

    def __init__(self, clock: Clock, timer: Timer, cache, strategy, engine, ledger, perf) -> None:  # noqa: ANN001
        super().__init__()
        self._clock = clock
        self._timer = timer
        self._cache = cache
        self._strategy = strategy
        self._engine = engine
        self._ledger = ledger
        self._perf = perf
        self._pending: dict[str, float] = {}  # symbol -> venue time of its oldest undecided update
        self._scheduled = False
        self.updates = 0
        self.evaluations = 0
        self.decisions = 0
        self.intents = 0
        self.refused = 0  # intents the engine refused as bad input

    def on_update(self, _seq: int, message) -> None:  # noqa: ANN001 - any market data message
        """Note the update and decide on it right after: the market data path never waits for a
        decision, and updates of a symbol that arrive together make one decision."""
        if not self.running:
            return
        self.updates += 1
        if message.symbol not in self._pending:
            self._pending[message.symbol] = message.time
        if not self._scheduled:
            self._scheduled = True
            self._timer.call_later(0.0, self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        if not self.running:
            return
        for symbol, since in pending.items():
            self._decide(symbol, since)

    def _decide(self, symbol: str, since: float) -> None:
        self.evaluations += 1
        quote = self._cache.quote(symbol)
        if quote is None:
            return
        intents = self._strategy.on_quote(
            symbol, quote, self._ledger.position(symbol), self._engine.open_orders(symbol)
        )
        if not intents:
            return
        self.decisions += 1
        self._perf.record("feed_to_decision", max(0.0, self._clock.now() - since))
        for intent in intents:
            self.intents += 1
            try:
                self._engine.execute(intent)
            except InvalidInput:
                self.refused += 1  # the engine refused a malformed intent; the next update decides again

    def health(self) -> Health:
        return self._stopped_health() or Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {
            "decision_loop.updates": self.updates,
            "decision_loop.evaluations": self.evaluations,
            "decision_loop.decisions": self.decisions,
            "decision_loop.intents": self.intents,
            "decision_loop.refused": self.refused,
        }

    def validate(self) -> list[str]:
        return [] if self.decisions <= self.updates else ["more decisions than market data updates"]

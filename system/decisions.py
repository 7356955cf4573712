"""The decision loop: market data in, strategy decisions out, carried out by the execution engine.

On each applied update of a symbol it reads that symbol's quote through the cache, asks the
strategy what to do, and hands the intents to the execution engine, timing the feed-to-decision
path in the clock's time.
"""

from __future__ import annotations

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from venue.clock import Clock


class DecisionLoop(Lifecycle):
    name = "decision_loop"

    def __init__(self, clock: Clock, cache, strategy, engine, ledger, perf) -> None:  # noqa: ANN001
        super().__init__()
        self._clock = clock
        self._cache = cache
        self._strategy = strategy
        self._engine = engine
        self._ledger = ledger
        self._perf = perf
        self.updates = 0
        self.decisions = 0
        self.intents = 0
        self.refused = 0  # intents the engine refused as bad input

    def on_update(self, _seq: int, message) -> None:  # noqa: ANN001 - any market data message
        if not self.running:
            return
        self.updates += 1
        symbol = message.symbol
        quote = self._cache.quote(symbol)
        if quote is None:
            return
        intents = self._strategy.on_quote(
            symbol, quote, self._ledger.position(symbol), self._engine.open_orders(symbol)
        )
        if not intents:
            return
        self.decisions += 1
        self._perf.record("feed_to_decision", max(0.0, self._clock.now() - message.time))
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
            "decision_loop.decisions": self.decisions,
            "decision_loop.intents": self.intents,
            "decision_loop.refused": self.refused,
        }

    def validate(self) -> list[str]:
        return [] if self.decisions <= self.updates else ["more decisions than market data updates"]

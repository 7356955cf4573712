"""The decision loop: market data in, strategy decisions out, carried out by the execution engine.

Each applied update of a symbol marks it for a decision, taken when the market data at hand has
been applied (the market data path stays short, and updates that arrive together make one
decision per symbol). A decision
reads the symbol's quote through the cache, asks the strategy what to do, and hands the intents to
the execution engine, timing the feed-to-decision path in the clock's time.
"""

from __future__ import annotations

from dataclasses import dataclass

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.memory import BoundedBuffer
from venue.clock import Clock


@dataclass(frozen=True, slots=True)
class Decision:
    """What a decision saw and did: the quote it acted on (as of the channel's ``seq``) and the
    client ids of the requests it sent. Kept in a bounded log for audit and tracing."""

    time: float
    symbol: str
    seq: int
    bid: int
    ask: int
    requests: tuple[str, ...]


class DecisionLoop(Lifecycle):
    name = "decision_loop"

    def __init__(  # noqa: ANN001 - the collaborators are the system's own components
        self,
        clock: Clock,
        market_data,
        cache,
        strategy,
        engine,
        ledger,
        risk,
        perf,
        log: BoundedBuffer,
        mark_interval: float = 0.5,
    ) -> None:
        super().__init__()
        self._market_data = market_data
        self.log = log
        self._clock = clock
        self._cache = cache
        self._strategy = strategy
        self._engine = engine
        self._ledger = ledger
        self._risk = risk
        self.unrealized = 0.0  # open P&L at the last mark, price units x qty
        self.mark_interval = mark_interval  # clock seconds between marks to market, while data flows
        self._marked_at = -mark_interval
        self._perf = perf
        self._pending: dict[str, float] = {}  # symbol -> venue time of its oldest undecided update
        self.updates = 0
        self.evaluations = 0
        self.decisions = 0
        self.intents = 0
        self.refused = 0  # intents the engine refused as bad input

    def on_update(self, _seq: int, message) -> None:  # noqa: ANN001 - any market data message
        """Note that the symbol changed; the decision is taken in :meth:`drain`."""
        if not self.running:
            return
        self.updates += 1
        if message.symbol not in self._pending:
            self._pending[message.symbol] = message.time

    def drain(self) -> None:
        """Decide once for every symbol that changed since the last drain, and mark to market when
        ``mark_interval`` has passed since the last mark.

        Called when the market data at hand has been applied, so the market data path never waits
        for a decision, and updates that arrive together make one decision per symbol."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        if not self.running:
            return
        for symbol, since in pending.items():
            self._decide(symbol, since)
        now = self._clock.now()
        if now - self._marked_at >= self.mark_interval:
            self._marked_at = now
            self._mark_to_market()

    def _mark_to_market(self) -> None:
        """Value the open positions at the quotes just seen and let risk judge the total P&L and the
        gross exposure: the loss limit counts open losses, not only realized ones."""
        positions = self._ledger.positions()
        if not positions:
            return
        marks = {}
        for symbol in positions:
            quote = self._cache.quote(symbol)
            if quote is not None:
                marks[symbol] = quote.mid
        self.unrealized = self._ledger.unrealized_pnl(marks)
        exposure = sum(abs(qty) * marks[symbol] for symbol, qty in positions.items() if symbol in marks)
        self._risk.post_trade(self._ledger.realized_pnl(), self.unrealized, exposure)

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
        now = self._clock.now()
        self._perf.record("feed_to_decision", max(0.0, now - since))
        sent = []
        for intent in intents:
            self.intents += 1
            try:
                request = self._engine.execute(intent)
            except InvalidInput:
                self.refused += 1  # the engine refused a malformed intent; the next update decides again
                continue
            if request is not None:
                sent.append(request)
        self.log.append(
            Decision(now, symbol, self._market_data.state(symbol).seq, quote.bid, quote.ask, tuple(sent))
        )

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

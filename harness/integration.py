"""Pairwise component interactions exercised in a session, and how many of them succeeded.

Each row is one pair of components (or a component and the exchange) and one kind of interaction
between them, counted from both ends where the far end is observable: the exchange's records,
the bus's delivery accounting, the cache's reads, the engine's requests.
"""

from __future__ import annotations

from harness.session import ACCOUNT, TradingSession


def interactions(s: TradingSession) -> list[dict]:
    system = s.system
    md, bus, cache, engine = system.market_data, system.bus, system.cache, system.engine
    decisions, risk, optimizer, ledger = system.decisions, system.risk, system.optimizer, system.ledger
    records = s.market.exchange.records(ACCOUNT)
    fills_at_exchange = len(records.fills())
    # New orders the exchange took in or refused, as its own records say.
    answered = len(engine.orders().keys() & (records.orders.keys() | records.rejected))
    components = system.components

    def row(pair: str, interaction: str, attempts: int, succeeded: int) -> dict:
        return {
            "pair": pair,
            "interaction": interaction,
            "attempts": int(attempts),
            "succeeded": int(succeeded),
        }

    return [
        row(
            "exchange feed -> market data system",
            "updates applied (refused or skipped ones fail)",
            md.updates + md.refused + md.skipped,
            md.updates,
        ),
        row("market data system -> decision loop", "bus deliveries in order", bus.expected, bus.delivered),
        row(
            "market data enhancer -> decision loop",
            "quote reads served",
            cache.hits + cache.misses + cache.unavailable,
            cache.hits + cache.misses,
        ),
        row(
            "decision loop -> execution engine",
            "intents accepted",
            decisions.intents,
            decisions.intents - decisions.refused,
        ),
        row(
            "execution engine -> risk management",
            "pre-trade checks answered",
            engine.placed + engine.risk_rejects,
            risk.passed + sum(risk.refused.values()),
        ),
        row(
            "execution engine -> session pool",
            "submissions sent",
            optimizer.submissions + optimizer.unsent,
            optimizer.submissions,
        ),
        row("session pool -> exchange", "new orders answered by the exchange", engine.placed, answered),
        row(
            "execution engine -> paper trading",
            "exchange fills booked in the ledger",
            fills_at_exchange,
            min(fills_at_exchange, ledger.fills_count()),
        ),
        row(
            "orchestrator -> components",
            "components running",
            len(components),
            sum(1 for c in components if getattr(c, "running", False)),
        ),
    ]

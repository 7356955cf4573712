"""Pairwise component interactions exercised in a session, and how many of them succeeded.

Each row is one pair of components (or a component and the exchange) and one kind of interaction
between them, counted from both ends where the far end is observable: the venue tap, the exchange's
records, the bus probe, the cache's reads, the engine's requests. Each pair must meet the target
on its own: one pooled ratio would let a pair that fails completely hide behind the busy ones.
"""

from __future__ import annotations

from harness.session import ACCOUNT, TradingSession


def interactions(s: TradingSession) -> list[dict]:
    """Each row counts an interaction at both of its ends, and at least one end is outside the
    system (the venue tap, the exchange's records, the bus probe) wherever the outside can see it."""
    system, tap = s.system, s.tap
    md, cache, engine = system.market_data, system.cache, system.engine
    decisions, risk, optimizer, ledger = system.decisions, system.risk, system.optimizer, system.ledger
    records = s.market.exchange.records(ACCOUNT)
    fills_at_exchange = len(records.fills())
    numbered = sum(r["numbered"] for r in s.probe.table())
    answered = len(tap.orders) - len(tap.unanswered())
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
            "updates the venue delivered that the system applied (refused or skipped ones fail)",
            len(tap.md_times),
            min(md.updates, len(tap.md_times)),
        ),
        row(
            "market data system -> decision loop",
            "bus messages published (numbered, as the probe saw them) that the decision loop received",
            numbered,
            min(decisions.updates, numbered),
        ),
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
            "pre-trade checks (new orders and amendments) the risk system answered",
            engine.risk_checks,
            min(engine.risk_checks, risk.passed + sum(risk.refused.values())),
        ),
        row(
            "execution engine -> session pool",
            "order-entry requests that crossed to the venue",
            optimizer.submissions + optimizer.unsent,
            min(optimizer.submissions + optimizer.unsent, tap.order_entries),
        ),
        row("session pool -> exchange", "new orders sent that the venue answered", len(tap.orders), answered),
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

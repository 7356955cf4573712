"""The figures scenarios ask about, by the names stakeholders use, measured from a session.

Each measure returns (value, unit, method): the method says how the figure was obtained, and it
travels with the figure into the report.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.session import TradingSession

Measured = tuple[float, str, str]


def connection_reuse(s: TradingSession) -> Measured:
    o = s.system.optimizer
    return (
        100.0 * o.reuse_rate(),
        "%",
        f"order-entry submissions sent over a pool session that was already open and logged on, "
        f"over all submissions ({o.reused} of {o.submissions})",
    )


def cache_hit_rate(s: TradingSession) -> Measured:
    c = s.system.cache
    return (
        100.0 * c.hit_rate(),
        "%",
        f"quote reads by the trading components served from the Market Data Enhancer without "
        f"recomputation, over all reads ({c.hits} hits, {c.misses} misses)",
    )


def _ack_latency(q: float) -> Callable[[TradingSession], Measured]:
    def measure(s: TradingSession) -> Measured:
        perf = s.system.perf
        charged = (
            "with the system's measured compute time charged" if s.charger else "without compute charging"
        )
        return (
            1000.0 * perf.percentile("decision_to_ack", q),
            "ms",
            f"p{q:g} of {perf.count('decision_to_ack')} decision-to-acknowledgement latencies in simulated "
            f"time, default latency model, {charged}",
        )

    return measure


def system_error_rate(s: TradingSession) -> Measured:
    e = s.system.engine
    sent = max(1, e.placed)
    return (
        100.0 * e.errors / sent,
        "%",
        f"system errors of the execution engine over orders placed ({e.errors} of {e.placed}; "
        f"risk rejects counted apart: {e.risk_rejects})",
    )


def healthy_share(s: TradingSession) -> Measured:
    return (
        100.0 * s.system.health.time_healthy_share(0.0, s.now),
        "%",
        "share of simulated time during which every component reported HEALTHY, integrated from "
        "the health check system's transition history",
    )


def data_flow_reliability(s: TradingSession) -> Measured:
    bus = s.system.bus
    return (
        100.0 * bus.reliability(),
        "%",
        "messages delivered in order to each subscribed consumer over expected deliveries, data flow manager",
    )


MEASURES: dict[str, Callable[[TradingSession], Measured]] = {
    "connection reuse": connection_reuse,
    "cache hit rate": cache_hit_rate,
    "decision-to-acknowledgement p95 latency": _ack_latency(95),
    "decision-to-acknowledgement p99 latency": _ack_latency(99),
    "system error rate": system_error_rate,
    "share of time all components are healthy": healthy_share,
    "data flow reliability": data_flow_reliability,
}

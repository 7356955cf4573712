"""The figures scenarios ask about, by the names stakeholders use, measured from a session.

Each measure returns (value, unit, method): the method says how the figure was obtained, and it
travels with the figure into the report.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.integration import interactions
from harness.recovery import WINDOW
from harness.session import TradingSession

Measured = tuple[float, str, str]


def connection_reuse(s: TradingSession) -> Measured:
    o = s.system.optimizer
    return (
        100.0 * o.reuse_rate(),
        "%",
        f"order-entry submissions sent on a pool session that had already carried an earlier submission "
        f"since its logon, over all submissions ({o.reused} of {o.submissions}; the first submission "
        f"after each of the pool's logons counts as not reused)",
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


def recovery_rate(s: TradingSession) -> Measured:
    watch = s.watch
    s.run_until(lambda: all(o.judged for o in watch.outcomes), WINDOW + 1.0, step=0.5)
    recovered, judged = watch.rate()
    return (
        100.0 * recovered / judged if judged else 0.0,
        "%",
        f"injected faults after which, within {WINDOW:g} s of the fault's end and with no operator, the "
        f"exchange held a live session of the account, the system's market data had caught up with the "
        f"exchange's feed, and the exchange accepted a new order from the system ({recovered} of {judged})",
    )


def md_throughput(s: TradingSession) -> Measured:
    samples = s.md_timing.samples
    total = sum(samples)
    return (
        len(samples) / total if total else 0.0,
        "updates/s",
        f"market data updates the market data system processed in session ({len(samples)}) over the wall "
        f"time its processing took ({total:.3f} s), with the whole system running",
    )


def md_p99(s: TradingSession) -> Measured:
    timing = s.md_timing
    return (
        1000.0 * timing.windowed(99),
        "ms",
        f"wall time of each of {len(timing.samples)} market data updates processed in session by the market "
        f"data system (validation, book, bus publication), timed by the harness with perf_counter; the "
        f"median over 10 consecutive runs of updates of each run's p99 (whole-session p99: "
        f"{1000.0 * timing.percentile(99):.4f} ms)",
    )


def integration_success(s: TradingSession) -> Measured:
    rows = interactions(s)
    attempts = sum(r["attempts"] for r in rows)
    ok = sum(r["succeeded"] for r in rows)
    return (
        100.0 * ok / attempts if attempts else 0.0,
        "%",
        f"interactions between pairs of components that succeeded, over {len(rows)} pairs and "
        f"{attempts} interactions exercised in the session",
    )


MEASURES: dict[str, Callable[[TradingSession], Measured]] = {
    "automatic recovery rate": recovery_rate,
    "in-session market data throughput": md_throughput,
    "in-session market data p99 processing latency": md_p99,
    "pairwise integration success": integration_success,
    "connection reuse": connection_reuse,
    "cache hit rate": cache_hit_rate,
    "decision-to-acknowledgement p95 latency": _ack_latency(95),
    "decision-to-acknowledgement p99 latency": _ack_latency(99),
    "system error rate": system_error_rate,
    "share of time all components are healthy": healthy_share,
    "data flow reliability": data_flow_reliability,
}


# Tables recorded with a figure, so a reviewer sees what it was computed from.
TABLES: dict[str, Callable[[TradingSession], list[dict]]] = {
    "automatic recovery rate": lambda s: [o.row() for o in s.watch.outcomes],
    "pairwise integration success": interactions,
}

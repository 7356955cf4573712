"""The figures scenarios ask about, by the names stakeholders use, measured from a session.

Each measure returns a :class:`Measured`: the value, its unit, how it was obtained, and how many
samples it rests on (and what one sample is), so a scenario can state the least it needs and a
figure over too few samples fails as "not measured". Figures are taken from outside the component
they judge wherever the outside can see it: the venue tap (what crossed the boundary), the
gateway's and the exchange's records, the bus probe, and the harness's own health sampler.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from harness.integration import interactions
from harness.recovery import WINDOW
from harness.session import ACCOUNT, TradingSession
from venue.messages import RejectReason

# Refusals that come from the market's state (a halt, the close, a throttle, an empty book), not
# from a fault in the system's order: they are counted apart from system errors.
MARKET_REASONS = frozenset(
    (
        RejectReason.MARKET_HALTED,
        RejectReason.MARKET_CLOSED,
        RejectReason.THROTTLED,
        RejectReason.NO_LIQUIDITY,
    )
)


@dataclass(frozen=True, slots=True)
class Measured:
    value: float
    unit: str
    method: str
    samples: int
    of: str  # what one sample is, in the scenario's words: "acknowledged orders"


def nearest_rank(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` of ``values`` (NaN when there are none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def connection_reuse(s: TradingSession) -> Measured:
    traffic = s.market.gateway.traffic(ACCOUNT)
    return Measured(
        100.0 * traffic.reuse(),
        "%",
        f"the gateway's records: order-entry messages of the account that arrived on a session an "
        f"earlier message had already used, over all its order-entry messages ({traffic.order_entries} "
        f"messages over {traffic.sessions_used} sessions; {traffic.logons} logons accepted)",
        traffic.order_entries,
        "order submissions",
    )


def cache_hit_rate(s: TradingSession) -> Measured:
    a, c = s.audit, s.system.cache
    return Measured(
        100.0 * a.reused / a.served if a.served else math.nan,
        "%",
        f"quote reads by the trading components that the Market Data Enhancer served with the very "
        f"quote it had served before for the symbol (no recomputation), over all reads it served, "
        f"seen by the harness through the cache's observer seam ({a.reused} of {a.served}; the cache's "
        f"own count: {c.hits} hits, {c.misses} misses); every served quote is also compared with the "
        f"market data system's book ({a.stale} differed)",
        a.served,
        "cache reads",
    )


def _ack_latency(q: float) -> Callable[[TradingSession], Measured]:
    def measure(s: TradingSession) -> Measured:
        latencies = s.tap.ack_latencies()
        charged = (
            "with the system's measured compute time charged" if s.charger else "without compute charging"
        )
        return Measured(
            1000.0 * nearest_rank(latencies, q),
            "ms",
            f"p{q:g} of {len(latencies)} decision-to-acknowledgement latencies in simulated time, taken "
            f"at the venue boundary by the harness: from the arrival of the input the order was decided "
            f"on to the arrival of the venue's first answer; default latency model, {charged}",
            len(latencies),
            "acknowledged orders",
        )

    return measure


def system_error_rate(s: TradingSession) -> Measured:
    """Errors seen from outside (the venue's answers and silences), or the engine's own count if larger."""
    s.settle()
    tap, engine = s.tap, s.system.engine
    answered = len(tap.orders) - len(tap.unanswered())
    refused = {clid: r for clid, r in tap.rejects().items() if r not in MARKET_REASONS}
    outside = len(refused) + len(tap.unanswered())
    errors = max(outside, engine.errors)
    market = len(tap.rejects()) - len(refused)
    return Measured(
        100.0 * errors / answered if answered else math.nan,
        "%",
        f"new orders the venue refused for a fault of the order, or never answered, over the new orders "
        f"it answered, seen at the venue boundary ({len(refused)} refused, {len(tap.unanswered())} "
        f"unanswered of {len(tap.orders)} sent; the engine's own count, {engine.errors}, is used when "
        f"larger); refusals for the market's state ({market}) and the system's own risk rejects "
        f"({engine.risk_rejects}) are counted apart",
        answered,
        "orders",
    )


def healthy_share(s: TradingSession) -> Measured:
    sampler = s.health_sampler
    return Measured(
        100.0 * sampler.healthy_share(),
        "%",
        f"share of the harness's own health polls (every {sampler.every:g} s of simulated time, asking "
        f"every component) in which every component answered HEALTHY ({sampler.healthy} of "
        f"{sampler.polls})",
        sampler.polls,
        "health polls",
    )


def data_flow_reliability(s: TradingSession) -> Measured:
    rows = s.probe.table()
    numbered = sum(r["numbered"] for r in rows)
    in_order = sum(r["in order"] for r in rows)
    return Measured(
        100.0 * in_order / numbered if numbered else math.nan,
        "%",
        f"messages a consumer of its own (the harness's probe on the bus) received once and in order, "
        f"over the messages the topics' sequence numbers say were published ({in_order} of {numbered}, "
        f"{len(rows)} topics)",
        numbered,
        "published messages",
    )


def recovery_rate(s: TradingSession) -> Measured:
    watch = s.watch
    s.run_until(lambda: all(o.judged for o in watch.outcomes), WINDOW + 1.0, step=0.5)
    recovered, judged = watch.rate()
    unaffected = sum(1 for o in watch.outcomes if o.judged and not o.affected)
    return Measured(
        100.0 * recovered / judged if judged else math.nan,
        "%",
        f"injected faults whose effect on the system was observed (a session dropped, a gap in its feed, "
        f"an order refused or in flight) after which, within {WINDOW:g} s of the fault's end and with no "
        f"operator, the exchange held a live session of the account, the system's market data had caught "
        f"up with the exchange's feed, and the exchange accepted a new order from the system ({recovered} "
        f"of {judged}; {unaffected} faults with no observed effect are not judged)",
        judged,
        "faults with an observed effect",
    )


def md_throughput(s: TradingSession) -> Measured:
    samples = s.md_timing.samples
    total = sum(samples)
    return Measured(
        len(samples) / total if total else math.nan,
        "updates/s",
        f"market data updates the market data system processed in session ({len(samples)}) over the wall "
        f"time its processing took ({total:.3f} s), with the whole system running",
        len(samples),
        "market data updates",
    )


def md_p99(s: TradingSession) -> Measured:
    timing = s.md_timing
    return Measured(
        1000.0 * timing.windowed(99),
        "ms",
        f"wall time of each of {len(timing.samples)} market data updates processed in session by the market "
        f"data system (validation, book, bus publication), timed by the harness with perf_counter; the "
        f"median over 10 consecutive runs of updates of each run's p99 (whole-session p99: "
        f"{1000.0 * timing.percentile(99):.4f} ms)",
        len(timing.samples),
        "market data updates",
    )


def integration_success(s: TradingSession) -> Measured:
    """The weakest pair's success rate: every pair must meet the target on its own."""
    rows = interactions(s)
    rates = [100.0 * r["succeeded"] / r["attempts"] if r["attempts"] else math.nan for r in rows]
    weakest = min(rows, key=lambda r: r["attempts"])
    return Measured(
        min(rates) if all(not math.isnan(r) for r in rates) else math.nan,
        "%",
        f"the lowest success rate of {len(rows)} pairs of components, each over the interactions it "
        f"exercised in the session (fewest: {weakest['attempts']}, {weakest['pair']})",
        weakest["attempts"],
        "interactions per pair",
    )


def md_rate(s: TradingSession) -> Measured:
    timing = s.md_timing
    return Measured(
        len(timing.samples) / s.now if s.now else math.nan,
        "messages/s",
        f"market data updates that reached the market data system ({len(timing.samples)}) over the "
        f"session's simulated time ({s.now:g} s)",
        int(s.now),
        "simulated seconds",
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
    "market data message rate": md_rate,
}


# Tables recorded with a figure, so a reviewer sees what it was computed from.
TABLES: dict[str, Callable[[TradingSession], list[dict]]] = {
    "automatic recovery rate": lambda s: [o.row() for o in s.watch.outcomes],
    "pairwise integration success": interactions,
    "data flow reliability": lambda s: s.probe.table(),
    "market data message rate": lambda s: [
        {
            "load factor": s.spec.load,
            "market data per simulated second": round(len(s.md_timing.samples) / s.now, 1),
            "simulated seconds": s.now,
            "new orders sent": len(s.tap.orders),
        }
    ],
}

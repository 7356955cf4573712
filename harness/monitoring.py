"""Monitoring and analytics judged from outside them.

- The framework's export is read as a client would: the Prometheus text exposition, parsed by
  ``prometheus_client``'s own parser, scraped every few simulated seconds while the session trades
  (or over HTTP from the loopback port it serves). A series "moved" when two scrapes disagree.
- The import the plan calls its first issue is tried in a fresh interpreter.
- The analytics report is set beside what the venue tap and the exchange recorded for the account:
  orders sent, orders filled, fills, refusals and decision-to-acknowledgement latencies.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import textwrap
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from time import thread_time

from prometheus_client.parser import text_string_to_metric_families

from harness import mdstream
from harness.measures import nearest_rank
from harness.session import ACCOUNT, TradingSession
from simulator.faults import FaultPlan
from system.analytics import AnalyticsReport
from system.app import MONITORING_INTERVAL
from system.monitoring import AdvancedMonitoringFramework

ROOT = Path(__file__).resolve().parent.parent
PLAN_RATE = 33_481  # the plan's market data operations per second
SCRAPE_EVERY = 10.0  # simulated seconds between two scrapes of a trading session
LATENCY_TOLERANCE = 0.01  # the Performance Analyzer's percentiles: within 1% of the exact ones
# A degraded session, in the scenarios' words, and the fault plan that degrades it.
DEGRADATIONS = {
    "a tenfold latency spike on order entry for 60 s": [
        {"at": 60, "fault": "latency_spike", "link": "client_to_gateway", "factor": 10, "duration": 60}
    ],
    "a storm of refused orders for 30 s": [{"at": 60, "fault": "reject_storm", "duration": 30}],
}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, by name and sorted labels, as prometheus_client parses it."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def snapshot_samples(snapshot: dict) -> Samples:
    """The framework's JSON snapshot in the same form as :func:`parse`."""
    return {(s["name"], tuple(sorted(s["labels"].items()))): s["value"] for s in snapshot["series"]}


def degradation(text: str) -> FaultPlan:
    assert text in DEGRADATIONS, f"no degradation called {text!r} (known: {', '.join(DEGRADATIONS)})"
    return FaultPlan.from_entries(DEGRADATIONS[text], f"the degradation {text!r}")


@dataclass
class Scrapes:
    """The exposition of a session's monitoring, scraped every ``SCRAPE_EVERY`` simulated seconds."""

    session: TradingSession
    taken: list[Samples] = field(default_factory=list)

    def scrape(self) -> Samples:
        samples = parse(self.session.system.monitoring.exposition().decode())
        self.taken.append(samples)
        return samples

    def trade(self, seconds: float) -> None:
        """Trade for ``seconds``, scraping after every ``SCRAPE_EVERY`` of them."""
        end = self.session.now + seconds
        while self.session.now < end:
            self.session.run(min(SCRAPE_EVERY, end - self.session.now))
            self.scrape()

    def series(self) -> set:
        return set(self.taken[-1]) if self.taken else set()

    def moved(self) -> set:
        """Series whose value differs between two of the scrapes (present in both)."""
        out = set()
        for before, after in zip(self.taken, self.taken[1:], strict=False):
            out.update(key for key, value in after.items() if key in before and before[key] != value)
        return out

    def table(self) -> list[dict]:
        """Series and moved series per metric family, for a reviewer."""
        moved = self.moved()
        families: dict[str, list[int]] = {}
        for name, _ in self.series():
            row = families.setdefault(name, [0, 0])
            row[0] += 1
        for name, _ in moved:
            families[name][1] += 1
        return [{"series name": n, "series": c[0], "moved": c[1]} for n, c in sorted(families.items())]


@dataclass(frozen=True)
class FreshImport:
    exposition: str
    test_modules: list[str]  # simpy, harness or test modules the import pulled in


FRESH_PROGRAM = textwrap.dedent(
    """
    import json, sys
    from system.monitoring import AdvancedMonitoringFramework

    class Clock:
        def now(self):
            return 0.0

    class Timer:
        def call_later(self, delay, callback):
            raise AssertionError("not started, so nothing is scheduled")

    framework = AdvancedMonitoringFramework(Clock(), Timer())
    framework.record_latency(sys.argv[1], float(sys.argv[2]), symbol=sys.argv[3])
    framework.collect()
    banned = sorted(m for m in sys.modules if m.split(".")[0] in ("simpy", "harness", "tests"))
    print(json.dumps({"modules": banned, "text": framework.exposition().decode()}))
    """
)


def fresh_import(path: str, seconds: float, symbol: str) -> FreshImport:
    """A new interpreter imports the framework from ``system.monitoring``, records one latency and
    prints its exposition."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROGRAM, path, repr(seconds), symbol],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"the fresh interpreter failed (exit {done.returncode}): {done.stderr}"
    out = json.loads(done.stdout)
    return FreshImport(out["text"], out["modules"])


def scrape_http(session: TradingSession) -> tuple[str, dict]:
    """Serve the running session's metrics on a loopback port, fetch the page with urllib, and
    return it with the framework's JSON snapshot of the same collection."""
    monitoring = session.system.monitoring
    port = monitoring.serve(0)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200, f"/metrics answered {response.status}"
        page = response.read().decode()
    return page, monitoring.snapshot()


@dataclass(frozen=True)
class Outside:
    """What the venue tap and the exchange recorded, to set beside an analytics report."""

    orders: int  # new orders that crossed the venue boundary
    orders_filled: int  # of them, those the exchange filled at least once
    fills: int
    rejected: int  # new orders the venue refused
    unanswered: int
    # Decision to acknowledgement, seconds, at the venue boundary: until the answer could be applied
    # in the account's exec_seq order (VenueTap.in_order_latencies), as the system must apply it.
    latencies: list[float]

    def latency_ms(self, q: float) -> float:
        return 1000.0 * nearest_rank(self.latencies, q)


def settled_report(session: TradingSession) -> tuple[AnalyticsReport, Outside]:
    """Settle the session (nothing in flight), then the analytics report and the outside records."""
    session.settle()
    report = session.system.analytics.report()
    records = session.market.exchange.records(ACCOUNT)
    tap = session.tap
    return report, Outside(
        orders=len(tap.orders),
        orders_filled=sum(
            1 for clid in tap.orders if clid in records.orders and records.orders[clid].cum_qty > 0
        ),
        fills=len(records.fills()),
        rejected=len(tap.rejects()),
        unanswered=len(tap.unanswered()),
        latencies=tap.in_order_latencies(),
    )


def total(samples: Samples, name: str) -> float:
    """The sum of a family's series over every label set (every symbol)."""
    return sum(value for (sample, _), value in samples.items() if sample == name)


def perf_gauge(samples: Samples, metric: str) -> float | None:
    labels = (("component", "performance_analyzer"), ("metric", f"decision_to_ack.{metric}"))
    return samples.get(("allu_component_metric", labels))


def against_monitoring(report: AnalyticsReport, samples: Samples) -> list[dict]:
    """The report's figures beside the same figures read from the exposition of the same collection."""
    pairs = [
        ("orders", report.orders, total(samples, "allu_orders_total")),
        ("orders filled", report.orders_filled, total(samples, "allu_orders_filled_total")),
        ("fills", report.fills, total(samples, "allu_fills_total")),
        ("orders refused", report.orders_rejected, total(samples, "allu_orders_rejected_total")),
        ("latency p50 ms", report.latency_p50_ms, perf_gauge(samples, "p50_ms")),
        ("latency p95 ms", report.latency_p95_ms, perf_gauge(samples, "p95_ms")),
        ("latency p99 ms", report.latency_p99_ms, perf_gauge(samples, "p99_ms")),
        ("latency samples", report.latency_samples, perf_gauge(samples, "count")),
        ("P&L", report.pnl, samples.get(("allu_session_pnl", ()))),
    ]
    return [{"figure": n, "analytics": a, "monitoring": m, "equal": a == m} for n, a, m in pairs]


def agrees(mine: float, theirs: float) -> bool:
    """Whether a percentile from the Performance Analyzer's buckets matches the exact one: each
    bucket's representative lies within 1% of every value in it (and a float's rounding)."""
    return abs(mine - theirs) <= LATENCY_TOLERANCE * abs(theirs) + 1e-12


def against_outside(report: AnalyticsReport, outside: Outside) -> list[dict]:
    """The report's figures beside the venue tap's and the exchange's records. Counts must be equal;
    latency percentiles within the analyzer's 1% buckets of the same percentiles of the latencies
    the tap reconstructs (decision to the moment the answer could be applied in exec_seq order)."""
    counts = [
        ("orders sent", report.orders, outside.orders),
        ("orders filled", report.orders_filled, outside.orders_filled),
        ("fills", report.fills, outside.fills),
        ("orders refused", report.orders_rejected, outside.rejected),
    ]
    out = [
        {"figure": name, "analytics": mine, "outside": theirs, "tolerance": 0.0, "agree": mine == theirs}
        for name, mine, theirs in counts
    ]
    for q in (50, 95, 99):
        mine = getattr(report, f"latency_p{q}_ms")
        theirs = outside.latency_ms(q) if outside.latencies else None
        out.append(
            {
                "figure": f"latency p{q} ms",
                "analytics": mine,
                "outside": theirs,
                "tolerance": LATENCY_TOLERANCE,
                "agree": None if theirs is None else agrees(mine, theirs),
            }
        )
    return out


@dataclass(frozen=True)
class SideBySide:
    """The market data path's throughput with monitoring off and on, from alternate runs."""

    off: float  # updates per CPU second of the replaying thread, median of the runs
    on: float
    ratio_pct: float  # median over the pairs of runs of on / off: a pair shares the machine's load
    runs: int  # pairs
    updates: int  # per run
    collections: int  # per monitored run
    collect_ms: float  # median CPU time of one collection


def md_path_side_by_side(recording: mdstream.Recording, runs: int = 9) -> SideBySide:
    """Replay the stream into a fresh market data system, alternately without and with a monitoring
    framework reading it, and compare the updates per CPU second of the replaying thread (the
    thread's CPU time, not the wall clock: the machine is shared, and a run preempted by another
    process would otherwise look slower), collections included.

    The framework collects once per monitoring interval. A replay runs hundreds of times faster
    than the stream's own clock, so collecting on the stream's clock would put a collection every
    few dozen updates, where a live system at the plan's rate (33,481 updates a second) sees one
    every 33,481: collections come every ``PLAN_RATE * MONITORING_INTERVAL`` updates, as live at
    that rate. Both runs go through the stream in the same chunks; the monitored one collects after
    each, and its time includes the collections. The two runs of a pair follow each other, so the
    ratio is taken per pair (the machine is shared) and its median reported."""
    every = round(PLAN_RATE * MONITORING_INTERVAL)
    messages = recording.messages
    chunks = [messages[i : i + every] for i in range(0, len(messages), every)]
    off: list[float] = []
    on: list[float] = []
    costs: list[float] = []
    for _ in range(runs):
        for monitored in (False, True):
            # The very system the market data baseline times (mdstream), so both figures agree.
            md, clock, bus = mdstream._system(recording)
            handle = md.on_market_data
            framework = AdvancedMonitoringFramework(
                clock,
                _NoTimer(),
                interval=MONITORING_INTERVAL,
                symbols=recording.symbols,
                components=lambda md=md, bus=bus: [md, bus],
                market_data=md,
                bus=bus,
            )
            spent = 0.0
            gc.collect()  # neither run pays for the garbage the one before it left
            started = thread_time()
            for chunk in chunks:
                for message in chunk:
                    clock.t = message.time
                    handle(message)
                if monitored:
                    before = thread_time()
                    framework.collect()
                    spent += thread_time() - before
            rate = len(messages) / (thread_time() - started)
            if monitored:
                on.append(rate)
                costs.append(1000.0 * spent / len(chunks))
            else:
                off.append(rate)
    return SideBySide(
        statistics.median(off),
        statistics.median(on),
        statistics.median(100.0 * b / a for a, b in zip(off, on, strict=True)),
        runs,
        len(messages),
        len(chunks),
        statistics.median(costs),
    )


class _NoTimer:
    """The replay calls ``collect`` itself, on the stream's clock; nothing is scheduled."""

    def call_later(self, delay: float, callback: object) -> None:
        raise AssertionError("the replay's monitoring framework was started")

"""The Real-time Analytics Engine: a session's KPIs and its grade, from what monitoring collected.

Every figure is read from the Advanced Monitoring Framework's last collection (its series, by
name and labels), never from the components directly, so a report quotes exactly the figures the
monitoring exported for the same session. The engine evaluates the last collection every
``interval`` seconds of the injected timer; :meth:`RealtimeAnalyticsEngine.report` takes a fresh
collection first, so its figures are as of the moment the report is asked for.

The grade is the worst of three per-KPI grades (a session is as good as its weakest part), by the
thresholds in :data:`THRESHOLDS`, also tabled in the README:

| grade | decision-to-ack p99 | error rate | fill rate |
|---|---|---|---|
| A+ | <= 15.5 ms (the plan's target) | <= 0.1% | >= 20% |
| A  | <= 25 ms | <= 0.5% | >= 15% |
| B  | <= 50 ms | <= 1% | >= 10% |
| C  | <= 100 ms | <= 2% | >= 5% |
| D  | <= 250 ms | <= 5% | >= 2% |
| F  | above | above | below |

The error rate counts every order the venue refused and every order the engine counted as an
error, over the orders placed. Fewer than :data:`MIN_ORDERS` orders give no grade ("not graded").
Slippage, P&L and drawdown are reported but not graded: they judge the strategy, not the system.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from system.component import Health, HealthState, Periodic
from system.monitoring import AdvancedMonitoringFramework
from venue.clock import Clock, Timer, TimerHandle

GRADES = ("A+", "A", "B", "C", "D", "F")
DEFAULT_INTERVAL = 5.0  # seconds of clock time between evaluations
MIN_ORDERS = 20
LATENCY_PATH = "decision_to_ack"
# Per KPI: (is higher better, bounds for A+, A, B, C, D); beyond the last bound the grade is F.
THRESHOLDS: dict[str, tuple[bool, tuple[float, ...]]] = {
    "latency_p99_ms": (False, (15.5, 25.0, 50.0, 100.0, 250.0)),
    "error_rate_pct": (False, (0.1, 0.5, 1.0, 2.0, 5.0)),
    "fill_rate_pct": (True, (20.0, 15.0, 10.0, 5.0, 2.0)),
}


def grade_of(kpi: str, value: float) -> str:
    """The grade of one KPI's value by :data:`THRESHOLDS`; NaN (not measured) is an F."""
    higher_is_better, bounds = THRESHOLDS[kpi]
    for grade, bound in zip(GRADES, bounds, strict=False):
        if (value >= bound) if higher_is_better else (value <= bound):
            return grade
    return "F"


def overall(grades: dict[str, str]) -> str:
    """The worst of the per-KPI grades."""
    return max(grades.values(), key=GRADES.index)


@dataclass(frozen=True, slots=True)
class AnalyticsReport:
    time: float  # clock time of the collection the figures come from
    elapsed: float  # clock seconds since the engine started
    orders: int
    orders_filled: int
    orders_rejected: int
    errors: int
    fills: int
    filled_quantity: int
    fill_rate_pct: float
    slippage_bps: float  # quantity-weighted over symbols, against the mid the order was decided on
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    latency_samples: int
    market_data_per_second: float
    orders_per_second: float
    error_rate_pct: float
    pnl: float
    max_drawdown: float
    kpi_grades: dict[str, str]
    grade: str | None  # None: too few orders to grade

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RealtimeAnalyticsEngine(Periodic):
    """Session KPIs and grade from the monitoring framework's collection; see the module docstring."""

    name = "realtime_analytics_engine"

    def __init__(
        self,
        monitoring: AdvancedMonitoringFramework,
        clock: Clock,
        timer: Timer,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        super().__init__()
        self._monitoring = monitoring
        self._clock = clock
        self._timer = timer
        self.interval = interval
        self._handle: TimerHandle | None = None
        self._started_at = 0.0
        self.reports = 0
        self.last: AnalyticsReport | None = None

    def _on_start(self) -> None:
        self._started_at = self._clock.now()
        super()._on_start()

    def tick(self) -> None:
        self.evaluate()

    def report(self) -> AnalyticsReport:
        """Collect now, then compute the KPIs and grade from that collection."""
        self._monitoring.collect()
        return self.evaluate()

    def evaluate(self) -> AnalyticsReport:
        """The KPIs and grade from the monitoring framework's last collection."""
        m = self._monitoring
        total = m.total

        def perf(metric: str) -> float:
            value = m.value(
                "allu_component_metric", component="performance_analyzer", metric=f"{LATENCY_PATH}.{metric}"
            )
            return math.nan if value is None else value

        def engine(metric: str) -> float:
            value = m.value("allu_component_metric", component="trading_execution_engine", metric=metric)
            return 0.0 if value is None else value

        orders = int(total("allu_orders_total"))
        filled = int(total("allu_orders_filled_total"))
        rejected = int(total("allu_orders_rejected_total"))
        errors = int(engine("errors"))
        quantity = int(total("allu_filled_quantity_total"))
        weighted = sum(
            (m.value("allu_slippage_bps", symbol=s) or 0.0) * total("allu_filled_quantity_total", symbol=s)
            for s in m.symbols
        )
        now = m.collected_at if m.collected_at is not None else self._clock.now()
        elapsed = now - self._started_at
        fill_rate = 100.0 * filled / orders if orders else math.nan
        error_rate = 100.0 * (rejected + errors) / orders if orders else math.nan
        p99 = perf("p99_ms")
        kpis = {"latency_p99_ms": p99, "error_rate_pct": error_rate, "fill_rate_pct": fill_rate}
        grades = {kpi: grade_of(kpi, value) for kpi, value in kpis.items()}
        self.last = AnalyticsReport(
            time=now,
            elapsed=elapsed,
            orders=orders,
            orders_filled=filled,
            orders_rejected=rejected,
            errors=errors,
            fills=int(total("allu_fills_total")),
            filled_quantity=quantity,
            fill_rate_pct=fill_rate,
            slippage_bps=weighted / quantity if quantity else math.nan,
            latency_p50_ms=perf("p50_ms"),
            latency_p95_ms=perf("p95_ms"),
            latency_p99_ms=p99,
            latency_samples=int(perf("count")) if not math.isnan(perf("count")) else 0,
            market_data_per_second=total("allu_market_data_messages_total") / elapsed
            if elapsed > 0
            else math.nan,
            orders_per_second=orders / elapsed if elapsed > 0 else math.nan,
            error_rate_pct=error_rate,
            pnl=m.value("allu_session_pnl") or 0.0,
            max_drawdown=m.value("allu_session_max_drawdown") or 0.0,
            kpi_grades=grades,
            grade=overall(grades) if orders >= MIN_ORDERS else None,
        )
        self.reports += 1
        return self.last

    # --- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if not self._monitoring.running:
            return Health(HealthState.DEGRADED, "the monitoring framework it reads is not running")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        out = {f"{n}.reports": float(self.reports)}
        if self.last is not None and self.last.grade is not None:
            out[f"{n}.grade_rank"] = float(GRADES.index(self.last.grade))  # 0 is A+, 5 is F
        return out

    def validate(self) -> list[str]:
        problems = []
        for kpi, (_, bounds) in THRESHOLDS.items():
            if len(bounds) != len(GRADES) - 1:
                problems.append(f"{kpi}: {len(bounds)} bounds for {len(GRADES)} grades")
        return problems

"""The Alerting System's rule state machine (hold, fire once, resolve, a pending alert that never
fires), its responses, the latency quantile it reads from histogram buckets, and the configuration it
refuses by name."""

from __future__ import annotations

import math

import pytest

from system.alerting import AlertingSystem, AlertState, Severity, histogram_quantile
from system.errors import InvalidInput
from system.monitoring import LATENCY_BUCKETS, LATENCY_LES
from system.risk import RiskLimits
from system.settings import load_settings
from tests.fakes import FakeClock, FakeTimer

SYMBOLS = ("AAA", "BBB")


class FakeMonitoring:
    """The last collection as the alerting system reads it: series by name and labels."""

    def __init__(self) -> None:
        self.symbols = list(SYMBOLS)
        self.running = True
        self.series_values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.set_sessions(2)
        for symbol in SYMBOLS:
            self.set("allu_feed_age_seconds", 0.2, symbol=symbol)
            self.set("allu_position", 0, symbol=symbol)

    def set(self, name: str, value: float, **labels: str) -> None:
        self.series_values[(name, tuple(sorted(labels.items())))] = float(value)

    def set_sessions(self, live: int) -> None:
        self.set("allu_component_metric", live, component="trading_system_optimizer", metric="sessions_live")

    def value(self, name: str, **labels: str) -> float | None:
        return self.series_values.get((name, tuple(sorted(labels.items()))))

    def buckets(self, name: str, **labels: str) -> list[tuple[str, float]] | None:
        found = [(le, self.value(f"{name}_bucket", **labels, le=le)) for le in LATENCY_LES]
        return None if found[-1][1] is None else [(le, n or 0.0) for le, n in found]

    def total(self, name: str, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(v for (n, have), v in self.series_values.items() if n == name and wanted <= set(have))


class FakeRisk:
    def __init__(self) -> None:
        self.limits = RiskLimits(max_position=1_000, max_orders_per_second=200)


class Responses:
    def __init__(self) -> None:
        self.done: list[str] = []

    def __getattr__(self, kind: str):
        return lambda *args: self.done.append(kind if not args else f"{kind} {args[0]}")


@pytest.fixture
def world():
    clock = FakeClock()
    timer = FakeTimer(clock)
    monitoring = FakeMonitoring()
    risk = FakeRisk()
    responses = Responses()
    alerting = AlertingSystem(
        monitoring,  # type: ignore[arg-type]
        clock,
        timer,
        {"market_data_stale_s": 3.0, "market_data_stale_for": 2.0, "throttle_orders_per_second": 2},
        risk=risk,
        pause=responses.pause,
        resume=responses.resume,
        reconnect=responses.reconnect,
        resync=responses.resync,
        cancel_all=responses.cancel_all,
    )
    alerting.start()
    return clock, timer, monitoring, risk, responses, alerting


def states(alerting: AlertingSystem, rule: str) -> list[tuple[float, str]]:
    return [(e.time, e.state) for e in alerting.history(rule)]


def test_a_condition_goes_pending_fires_after_its_hold_once_and_resolves(world):
    clock, timer, monitoring, _, responses, alerting = world
    timer.advance(2.0)
    monitoring.set("allu_feed_age_seconds", 4.0, symbol="BBB")
    timer.advance(1.0)  # t=3: pending
    assert alerting.rule("market_data_staleness").state is AlertState.PENDING
    timer.advance(1.0)  # t=4: held 1 s of 2
    assert alerting.firing() == []
    timer.advance(1.0)  # t=5: held 2 s, fires
    timer.advance(5.0)  # stays firing: no second event, no second response
    monitoring.set("allu_feed_age_seconds", 0.1, symbol="BBB")
    timer.advance(1.0)
    assert states(alerting, "market_data_staleness") == [
        (3.0, "pending"),
        (5.0, "firing"),
        (11.0, "resolved"),
    ]
    assert responses.done == ["resync BBB"]
    event = alerting.history("market_data_staleness", "firing")[0]
    assert event.severity is Severity.WARNING and event.value == 4.0 and event.threshold == 3.0
    assert alerting.validate() == []


def test_a_condition_shorter_than_the_hold_never_fires(world):
    _, timer, monitoring, _, responses, alerting = world
    monitoring.set("allu_feed_age_seconds", 4.0, symbol="AAA")
    timer.advance(2.0)  # pending at 1, still pending at 2
    monitoring.set("allu_feed_age_seconds", 0.5, symbol="AAA")
    timer.advance(1.0)
    assert states(alerting, "market_data_staleness") == [(1.0, "pending"), (3.0, "inactive")]
    assert alerting.rule("market_data_staleness").fired == 0
    assert responses.done == []


def test_no_rule_fires_on_a_quiet_collection(world):
    _, timer, _, risk, responses, alerting = world
    timer.advance(60.0)
    assert alerting.events == [] and responses.done == []
    assert alerting.evaluations == 60
    assert risk.limits.max_orders_per_second == 200


def test_a_rule_without_hold_fires_at_once_and_cancels_everything(world):
    _, timer, monitoring, _, responses, alerting = world
    monitoring.set("allu_position", -800, symbol="AAA")  # 80% of 1,000: at the threshold
    timer.advance(1.0)
    assert states(alerting, "risk_limit_use") == [(1.0, "firing")]
    assert responses.done == ["cancel_all"]
    monitoring.set("allu_position", -100, symbol="AAA")
    monitoring.set("allu_component_metric", 1, component="risk_management_system", metric="killed")
    timer.advance(1.0)  # the kill switch keeps it firing
    assert alerting.firing() == ["risk_limit_use"]


def test_no_live_session_is_one_alert_reconnecting_the_pool_at_every_evaluation(world):
    _, timer, monitoring, _, responses, alerting = world
    monitoring.set_sessions(0)
    timer.advance(5.0)
    monitoring.set_sessions(2)
    timer.advance(1.0)
    assert states(alerting, "venue_disconnect") == [(1.0, "pending"), (3.0, "firing"), (6.0, "resolved")]
    assert responses.done == ["reconnect"] * 3  # at 3, 4 and 5 s, while it fired
    assert alerting.history("venue_disconnect", "firing")[0].severity is Severity.CRITICAL


def test_an_error_rate_pauses_the_strategy_until_it_resolves(world):
    _, timer, monitoring, _, responses, alerting = world
    orders = rejected = 0
    for second in range(12):
        orders += 4
        rejected += 4 if 2 <= second < 6 else 0
        monitoring.set("allu_orders_total", orders, symbol="AAA", side="buy")
        monitoring.set("allu_orders_rejected_total", rejected, symbol="AAA")
        timer.advance(1.0)
    assert [s for _, s in states(alerting, "order_error_rate")] == ["pending", "firing"]
    assert responses.done == ["pause"]
    # Ten seconds after the last refusal the window holds none: resolved, and the strategy resumes.
    for _ in range(8):
        orders += 4
        monitoring.set("allu_orders_total", orders, symbol="AAA", side="buy")
        timer.advance(1.0)
    assert [s for _, s in states(alerting, "order_error_rate")] == ["pending", "firing", "resolved"]
    assert responses.done == ["pause", "resume"]


def test_a_refusal_among_few_orders_is_no_storm_but_refusals_alone_are(world):
    _, timer, monitoring, _, _, alerting = world
    timer.advance(1.0)
    monitoring.set("allu_orders_total", 2, symbol="AAA", side="buy")
    monitoring.set("allu_orders_rejected_total", 1, symbol="AAA")
    timer.advance(5.0)  # 1 refused of 2 placed: over the least denominator of 5, 20%, not above it
    assert alerting.rule("order_error_rate").value == pytest.approx(20.0)
    assert alerting.events == []
    monitoring.set("allu_orders_total", 3, symbol="AAA", side="buy")
    monitoring.set("allu_orders_rejected_total", 3, symbol="AAA")
    timer.advance(1.0)
    assert alerting.rule("order_error_rate").value == pytest.approx(60.0)
    assert alerting.rule("order_error_rate").state is AlertState.PENDING
    timer.advance(20.0)  # nothing placed since, and the refusals have left the window: no data
    assert math.isnan(alerting.rule("order_error_rate").value)
    assert [s for _, s in states(alerting, "order_error_rate")] == ["pending", "firing", "resolved"]


def _latencies(monitoring: FakeMonitoring, path: str, counts: list[float]) -> None:
    """Cumulative bucket counts of ``path``: ``counts`` per bucket, the last one +Inf."""
    running = 0.0
    for bound, n in zip((*LATENCY_BUCKETS, "+Inf"), counts, strict=True):
        running += n
        le = bound if bound == "+Inf" else repr(float(bound))
        monitoring.set("allu_latency_seconds_bucket", running, path=path, symbol="all", le=le)


def test_a_slow_order_path_throttles_until_both_latency_rules_resolve(world):
    _, timer, monitoring, risk, _, alerting = world
    empty = [0.0] * (len(LATENCY_BUCKETS) + 1)
    total = list(empty)
    timer.advance(1.0)
    for _ in range(5):  # 20 acks a second between 50 and 100 ms: p99 about 99.5 ms
        total[LATENCY_BUCKETS.index(0.1)] += 20
        _latencies(monitoring, "decision_to_ack", total)
        _latencies(monitoring, "feed_to_decision", total)
        timer.advance(1.0)
    assert sorted(alerting.firing()) == ["market_data_lag", "order_latency"]
    assert alerting.rule("order_latency").value == pytest.approx(99.5)
    assert risk.limits.max_orders_per_second == 2
    for _ in range(11):  # nothing new for a window: no data, both resolve
        timer.advance(1.0)
    assert alerting.firing() == []
    assert risk.limits.max_orders_per_second == 200


def test_histogram_quantile_interpolates_within_the_bucket_as_prometheus_does():
    buckets = [(0.005, 0.0), (0.01, 50.0), (0.025, 100.0), (math.inf, 100.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.01)
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.01 + 0.015 * 49 / 50)
    assert histogram_quantile(0.99, [(0.005, 0.0), (math.inf, 10.0)]) == 0.005
    assert histogram_quantile(0.99, [(0.005, 0.0), (math.inf, 0.0)]) is None


@pytest.mark.parametrize(
    ("alerts", "key", "says"),
    [
        ({"order_latency_p99_ms": 0}, "alerts.order_latency_p99_ms", "greater than or equal to 0.1"),
        ({"error_rate_pct": 101}, "alerts.error_rate_pct", "less than or equal to 100"),
        ({"market_data_stale_for": -1}, "alerts.market_data_stale_for", "greater than or equal to 0"),
        ({"window": "ten"}, "alerts.window", "valid number"),
        ({"venue_min_sessions": 1.5}, "alerts.venue_min_sessions", "valid integer"),
        ({"order_latency": 5}, "alerts.order_latency", "unknown key"),
        ({"risk_limit_use_pct": math.nan}, "alerts.risk_limit_use_pct", "finite"),
    ],
)
def test_bad_alert_settings_are_refused_by_name(alerts, key, says):
    with pytest.raises(InvalidInput) as refused:
        load_settings({"alerts": alerts})
    assert refused.value.field == key
    assert says in refused.value.problem
    clock = FakeClock()
    with pytest.raises(InvalidInput) as again:
        AlertingSystem(FakeMonitoring(), clock, FakeTimer(clock), alerts)  # type: ignore[arg-type]
    assert again.value.field == key


def test_the_thresholds_come_from_the_settings():
    settings = load_settings({"alerts": {"order_latency_p99_ms": 8, "order_latency_for": 5}})
    clock = FakeClock()
    alerting = AlertingSystem(FakeMonitoring(), clock, FakeTimer(clock), settings.alerts)  # type: ignore[arg-type]
    rule = alerting.rule("order_latency")
    assert (rule.threshold, rule.hold) == (8, 5)
    with pytest.raises(InvalidInput, match="unknown rule"):
        alerting.rule("cpu")

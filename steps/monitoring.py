"""Steps for the Advanced Monitoring Framework and the Real-time Analytics Engine: the export read
as a client reads it, the grade set beside what the venue and the exchange recorded."""

from __future__ import annotations

import math

from behave import given, then, when

from harness import monitoring as watch
from steps.figures import recorded
from steps.session import market, trading
from system.analytics import GRADES, MIN_ORDERS

# The latency the fresh interpreter records, in seconds.
FRESH_LATENCY = 0.0042
# When another step traded the session, the scrapes are taken over this many more simulated seconds
# of the same live session.
TAIL = 60.0


# --- the framework's import ----------------------------------------------------------------------


@when("a fresh interpreter imports the Advanced Monitoring Framework from the documented monitoring module")
def fresh_interpreter(context):
    context.fresh_path = "order"


@when("it records one order latency for the {symbol:w} symbol")
def fresh_record(context, symbol):
    context.fresh_symbol = symbol
    context.fresh = watch.fresh_import(context.fresh_path, FRESH_LATENCY, symbol)


@then("the framework's export holds that latency under the {symbol:w} symbol")
def fresh_export(context, symbol):
    fresh = context.fresh
    assert not fresh.test_modules, f"importing the framework pulled in {fresh.test_modules}"
    samples = watch.parse(fresh.exposition)
    labels = (("path", context.fresh_path), ("symbol", symbol))
    count = samples.get(("allu_latency_seconds_count", labels))
    seconds = samples.get(("allu_latency_seconds_sum", labels))
    context.evidence.table("export", [{"count": count, "sum": seconds, "recorded": FRESH_LATENCY}])
    assert count == 1.0, f"the export holds {count} latencies for {symbol}: {sorted(samples)}"
    assert seconds is not None and math.isclose(seconds, FRESH_LATENCY), f"the export's sum is {seconds}"


# --- a live session with monitoring -------------------------------------------------------------------


@given("a live simulated session in a {profile:w} market of {count:d} symbols with monitoring on")
def live_session(context, profile, count):
    market(context, profile, count)


@given("the exchange simulator injects {degradation}")
def inject(context, degradation):
    context.fault_plan = watch.degradation(degradation)


@when("the session trades for {seconds:d} simulated seconds")
def session_trades(context, seconds):
    session = trading(context)
    assert session.system.monitoring.running, "the monitoring framework is not running in the session"
    context.scrapes = watch.Scrapes(session)
    context.scrapes.trade(seconds)


@then("the monitoring framework exports at least {least:Count} distinct metric series")
def exports_series(context, least):
    scrapes = context.scrapes
    context.evidence.table("series per family", scrapes.table())
    fig = context.evidence.figure(
        "metric series exported",
        len(scrapes.series()),
        "series",
        method=f"series in the last of {len(scrapes.taken)} scrapes of the Prometheus text exposition, "
        f"one every {watch.SCRAPE_EVERY:g} simulated seconds, parsed by prometheus_client's parser",
        samples=len(scrapes.taken),
        least=2,
        at_least=least,
    )
    context.evidence.require(fig)


@then("at least {least:Count} of them changed value while the session traded")
def series_moved(context, least):
    scrapes = context.scrapes
    fig = context.evidence.figure(
        "metric series that moved",
        len(scrapes.moved()),
        "series",
        method=f"series whose value differed between two consecutive of {len(scrapes.taken)} scrapes of the "
        f"exposition, one every {watch.SCRAPE_EVERY:g} simulated seconds while the session traded",
        samples=len(scrapes.taken),
        least=2,
        at_least=least,
    )
    context.evidence.require(fig)


@when("a client scrapes the metrics page of the running session over HTTP")
def scrape_over_http(context):
    context.page, context.page_snapshot = watch.scrape_http(trading(context))


@then("the page parses as the Prometheus text exposition format")
def page_parses(context):
    context.page_samples = watch.parse(context.page)
    assert context.page_samples, "the page holds no sample"
    context.evidence.table(
        "metrics page", [{"bytes": len(context.page), "series": len(context.page_samples)}]
    )


@then("it holds the same series as the framework's JSON snapshot")
def page_is_snapshot(context):
    snapshot = watch.snapshot_samples(context.page_snapshot)
    only_page = sorted(set(context.page_samples) - set(snapshot))[:5]
    only_json = sorted(set(snapshot) - set(context.page_samples))[:5]
    assert not only_page and not only_json, f"only on the page: {only_page}; only in the JSON: {only_json}"
    differ = [k for k, v in snapshot.items() if context.page_samples[k] != v][:5]
    assert not differ, f"values differ between the page and the JSON snapshot: {differ}"


# --- analytics ---------------------------------------------------------------------------------------


def _report(context):  # noqa: ANN202 - (AnalyticsReport, Outside)
    """The settled session's analytics report and the outside records, set side by side once."""
    if getattr(context, "graded", None) is None:
        report, outside = watch.settled_report(trading(context))
        agreement = watch.against_outside(report, outside)
        context.evidence.table("analytics report", [report.as_dict()])
        context.evidence.table("analytics against the venue and the exchange", agreement)
        wrong = [row for row in agreement if row["agree"] is False]
        assert not wrong, (
            f"the analytics report disagrees with the venue's and the exchange's records: {wrong}"
        )
        context.graded = report, outside
    return context.graded


def _grade_figures(context, report) -> None:  # noqa: ANN001 - an AnalyticsReport
    for kpi, unit, samples in (
        ("latency_p99_ms", "ms", report.latency_samples),
        ("error_rate_pct", "%", report.orders),
        ("fill_rate_pct", "%", report.orders),
    ):
        context.evidence.figure(
            f"analytics {kpi} (graded {report.kpi_grades[kpi]})",
            getattr(report, kpi),
            unit,
            method="the Real-time Analytics Engine's report, from the monitoring framework's last collection "
            "of a settled session, checked against the venue tap and the exchange's records",
            samples=samples,
            least=MIN_ORDERS,
        )


@then("the analytics engine grades the session below {grade}")
def graded_below(context, grade):
    assert grade in GRADES, f"no grade {grade!r} (grades: {', '.join(GRADES)})"
    report, _ = _report(context)
    _grade_figures(context, report)
    assert report.grade is not None, f"not graded: {report.orders} orders, {MIN_ORDERS} needed"
    assert GRADES.index(report.grade) > GRADES.index(grade), (
        f"graded {report.grade} ({report.kpi_grades}), not below {grade}"
    )


@then("the analytics engine grades the session {grade}")
def graded(context, grade):
    assert grade in GRADES, f"no grade {grade!r} (grades: {', '.join(GRADES)})"
    report, _ = _report(context)
    _grade_figures(context, report)
    assert report.grade == grade, f"graded {report.grade} ({report.kpi_grades}), not {grade}"


@then("the analytics engine has graded the session")
def has_graded(context):
    report, _ = _report(context)
    _grade_figures(context, report)
    assert report.grade in GRADES, f"not graded: {report.orders} orders, {MIN_ORDERS} needed"


@then(
    "the grade report quotes the fill rate, slippage, latency percentiles, throughput and error rate it used"
)
def report_quotes(context):
    report, _ = _report(context)
    quoted = {
        "fill rate %": report.fill_rate_pct,
        "slippage bps": report.slippage_bps,
        "latency p50 ms": report.latency_p50_ms,
        "latency p95 ms": report.latency_p95_ms,
        "latency p99 ms": report.latency_p99_ms,
        "market data per second": report.market_data_per_second,
        "orders per second": report.orders_per_second,
        "error rate %": report.error_rate_pct,
    }
    missing = [name for name, value in quoted.items() if not math.isfinite(value)]
    assert not missing, f"the report quotes no figure for {missing}"
    assert report.orders_per_second > 0 and report.market_data_per_second > 0, quoted


def _against_monitoring(context) -> None:
    report, _ = _report(context)
    rows = watch.against_monitoring(
        report, watch.parse(trading(context).system.monitoring.exposition().decode())
    )
    context.evidence.table("analytics against the monitoring export", rows)
    wrong = [row for row in rows if not row["equal"]]
    assert not wrong, f"the analytics report differs from the monitoring framework's export: {wrong}"


@then(
    "the analytics report's order count, fill count and latency percentiles equal the monitoring framework's"
)
def equals_monitoring(context):
    _against_monitoring(context)


@then("the analytics engine has graded the session from the metrics the monitoring framework collected")
def graded_from_monitoring(context):
    _against_monitoring(context)
    has_graded(context)


@then("the monitoring framework has recorded the orders the exchange received")
def recorded_orders(context):
    report, outside = _report(context)
    samples = watch.parse(trading(context).system.monitoring.exposition().decode())
    exported = watch.total(samples, "allu_orders_total")
    fig = context.evidence.figure(
        "orders in the monitoring export",
        exported,
        "orders",
        method="the sum over symbols of allu_orders_total in the exposition of a settled session, beside "
        f"the {outside.orders} new orders the venue tap saw the system send",
        samples=outside.orders,
        least=1,
        at_least=outside.orders,
        at_most=outside.orders,
    )
    context.evidence.require(fig)


@then(
    "the monitoring framework has collected at least {least:Count} metric series "
    "that changed during the session"
)
def changed_in_session(context, least):
    scrapes = watch.Scrapes(trading(context))
    scrapes.scrape()
    scrapes.trade(TAIL)
    context.scrapes = scrapes
    series_moved(context, least)


# --- the market data path's throughput, monitoring on and off ---------------------------------------


@when(
    "the market data system processes a recorded stream of {updates:d} updates with monitoring on "
    "and with it off"
)
def side_by_side(context, updates):
    context.stream_updates = updates
    context.side_by_side = watch.md_path_side_by_side(recorded(context, updates, "normal", 5))


@then("the throughput with monitoring on is at least {percent:g}% of the throughput with it off")
def keeps_throughput(context, percent):
    side = context.side_by_side
    context.evidence.table(
        "market data path, monitoring off and on",
        [
            {
                "off updates per CPU s": round(side.off),
                "on updates per CPU s": round(side.on),
                "runs each": side.runs,
                "updates per run": side.updates,
                "collections per monitored run": side.collections,
                "CPU ms per collection": round(side.collect_ms, 3),
            }
        ],
    )
    fig = context.evidence.figure(
        "market data throughput with monitoring on, of off",
        side.ratio_pct,
        "%",
        method=f"median over {side.runs} pairs of runs of the updates per CPU second with monitoring over "
        f"those without: replays of a recorded stream of "
        f"{side.updates} updates in 5 symbols into a fresh market data system, alternately without and "
        f"with the monitoring framework collecting from it every {watch.PLAN_RATE} updates (once a "
        "second at the plan's rate), collections included; CPU time of the replaying thread",
        samples=side.updates,
        least=context.stream_updates,
        at_least=percent,
    )
    context.evidence.require(fig)

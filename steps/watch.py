"""Steps for the manual monitoring command (RISK-MANUAL-MONITORING): run as an operator runs it, in
a separate process, and its printout set beside the session's export."""

from __future__ import annotations

import tempfile
from pathlib import Path

from behave import then, when

from harness import watch
from steps.session import trading

UNTIL_FIRING = 120.0  # simulated seconds: the scenario's fault begins at 30 s and lasts 10 s


def _ran(context, done, source: str) -> None:
    context.watch_source = source
    context.watch_output = done.stdout
    context.evidence.table(
        "the command's printout", [{"line": line} for line in done.stdout.splitlines()] or [{"line": ""}]
    )
    assert done.returncode == 0, f"the command failed (exit {done.returncode}): {done.stderr}"


@when("the operator runs the documented manual monitoring command against the running session's metrics page")
def against_page(context):
    session = trading(context)
    assert session.system.monitoring.running, "the session's monitoring is not running"
    port = session.system.monitoring.serve(0)
    url = f"http://127.0.0.1:{port}/metrics"
    _ran(context, watch.run(url), url)


@when("the operator runs the documented manual monitoring command on the session's saved snapshot")
def on_snapshot(context):
    session = trading(context)
    session.close_market()  # finished: settled, the exchange closed, nothing more to come
    session.system.monitoring.collect()  # the last collection, of the finished session
    folder = Path(tempfile.mkdtemp(prefix="snapshot-"))
    path = folder / "monitoring.json"
    path.write_text(session.system.monitoring.snapshot_json(), encoding="utf-8")
    _ran(context, watch.run("--snapshot", str(path)), str(path))


@then(
    "it prints every symbol's orders, fills, refusals, market data messages and rate, position and P&L "
    "as the session exports them"
)
def prints_export(context):
    monitoring = trading(context).system.monitoring
    rows = watch.against_export(watch.printed_table(context.watch_output), monitoring)
    context.evidence.table("printed beside the export", rows)
    wrong = [row for row in rows if not row["agree"]]
    assert not wrong, f"the command printed figures the export does not hold: {wrong}"
    orders = sum(row["exported"] for row in rows if row["figure"] == "orders")
    fig = context.evidence.figure(
        "printed figures that equal the export",
        len(rows) - len(wrong),
        "figures",
        method=f"the per-symbol table printed by python -m harness.watch from {context.watch_source}, read "
        f"back and set beside the framework's value() and total() for the same collection; {orders:g} "
        "orders behind them",
        samples=int(orders),
        least=20,
        at_least=len(rows),
    )
    context.evidence.require(fig)


@when("the session trades until the {rule} alert fires")
def until_fires(context, rule):
    context.alert_from = trading(context).now
    fired = watch.until_exported_firing(trading(context), rule.replace(" ", "_"), UNTIL_FIRING)
    assert fired, f"the {rule} alert did not fire within {UNTIL_FIRING:g} simulated seconds"


@then("it lists the {rule} alert as firing, as the alerting system reports it")
def lists_alert(context, rule):
    session = trading(context)
    name = rule.replace(" ", "_")
    printed = watch.printed_alerts(context.watch_output)
    collected = session.system.monitoring.collected_at
    before = watch.active_at(session.system.alerting, collected, inclusive=False)
    through = watch.active_at(session.system.alerting, collected, inclusive=True)
    silent = session.tap.silence(context.alert_from, session.now)
    context.evidence.table(
        "alerts",
        [
            {
                "printed": str(printed),
                "the alerting system's history at the collection": str(before),
                "... with the events at its instant": str(through),
                "collection at s": collected,
                "longest silence s": silent,
            }
        ],
    )
    assert printed.get(name) == "firing", f"the command lists {printed}, not {name} firing"
    assert printed in (before, through), (
        f"printed {printed}; the alerting system's history at the collection ({collected} s): {before} "
        f"or, with the events at that instant, {through}"
    )
    threshold = session.system.alerting.settings.market_data_stale_s
    fig = context.evidence.figure(
        "longest market data silence at the venue tap before the alert was listed",
        silent,
        "s",
        method="the longest stretch without market data reaching the system, at the venue tap, from the "
        f"session's start to the command (samples: the messages that reached it); the rule's threshold is "
        f"{threshold:g} s",
        samples=sum(1 for t in session.tap.md_times if context.alert_from <= t <= session.now),
        least=100,
        at_least=threshold,
    )
    context.evidence.require(fig)

"""Steps of the production trading day: they read the day's record (harness.day), which runs once."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import allure
from behave import given, then

import steps.types  # noqa: F401 - registers the Count step type
from harness import day


def _record(context) -> dict:
    return context.day


@given("a full trading day of {seconds:g} simulated seconds in the {profile:w} market profile")
def full_day(context, seconds, profile):
    assert seconds == day.DAY, f"the day is {day.DAY:g} simulated seconds, not {seconds:g}"
    assert profile == day.PROFILE, f"the day runs in the {day.PROFILE} profile, not {profile}"
    seed = day.day_seed(context.base_seed)
    context.seed = seed
    out = Path(context.config.userdata.get("day_out", str(day.OUT)))  # the audit gives each run its own
    context.day = record = day.shared(
        seed, seconds, out, progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    context.day_out = out
    assert record["stopped"] is None, (
        f"the day stopped at {record['stopped']['at']:,.0f} s: {record['stopped']['why']}"
    )
    assert record["seconds"] == seconds and record["profile"] == profile, record["key"]


@given("the trading system trades through it with its measured compute time charged to simulated time")
def charged(context):
    record = _record(context)
    assert record["compute_charged_seconds"] > 0, "no compute time was charged to the day"
    assert record["orders_sent"] > 0, "the system sent no order in the day"


@then("the market data rate averaged at least {rate:g} updates per simulated second, bursts left out")
def average_rate(context, rate):
    record = _record(context)
    fig = context.evidence.figure(
        "market data rate outside the bursts",
        round(record["rate_average_outside_bursts"], 1),
        "updates/s",
        method="updates the venue delivered to the system (the tap), over the day's seconds outside the "
        f"two bursts; over the whole day {record['rate_average']:,.1f}/s",
        samples=int(record["seconds"]),
        least=int(day.DAY - 2 * day.BURST_SECONDS),
        at_least=rate,
    )
    context.evidence.figure(
        "market data updates in the day", record["md_updates"], "updates", method="the tap's count"
    )
    assert fig.passed, fig.verdict()


@then(
    "it reached {rate:d} updates per simulated second for at least {seconds:d} seconds"
    " at the open and at the close"
)
def bursts(context, rate, seconds):
    record = _record(context)
    assert record["burst_rate"] == rate, f"the day's bursts aim at {record['burst_rate']}/s, not {rate}/s"
    failed = []
    for end in ("open", "close"):
        fig = context.evidence.figure(
            f"seconds at {rate:,} updates/s or more at the {end}",
            record[f"burst_{end}_seconds"],
            "s",
            method=f"the longest run of consecutive simulated seconds in the {end}'s ten minutes in which "
            f"the venue delivered at least {rate:,} updates to the system (the tap's arrival times)",
            samples=int(day.BURST_WINDOW),
            least=int(day.BURST_WINDOW),
            at_least=seconds,
        )
        if not fig.passed:
            failed.append(fig.verdict())
    assert not failed, "; ".join(failed)


@then("memory, order latency, queue depth and message rates were sampled and charted through the day")
def charted(context):
    record = _record(context)
    expected = int(record["seconds"] // day.SAMPLE)
    snapshots = int(record["seconds"] // day.SNAPSHOT)
    counts = {
        "samples of resident memory and message counts": (len(record["samples"]), expected),
        "snapshots of retained memory and the queue": (len(record["snapshots"]), snapshots),
        "ten-minute latency and queue figures": (
            sum(
                1 for t in record["per_ten_minutes"] if t["p99_ms"] is not None and t["queue_p99"] is not None
            ),
            snapshots,
        ),
    }
    short = [f"{name}: {have} of at least {least}" for name, (have, least) in counts.items() if have < least]
    for name, (have, least) in counts.items():
        context.evidence.figure(name, have, "samples", method="the day's sampler", samples=have, least=least)
    charts = [context.day_out / name for name in record.get("charts", [])]
    missing = [str(p) for p in charts if not p.is_file() or p.stat().st_size == 0]
    for path in charts:
        if path.is_file():
            allure.attach.file(str(path), name=path.name, attachment_type=allure.attachment_type.PNG)
    assert not short, "; ".join(short)
    assert len(charts) == 4 and not missing, f"charts: {record.get('charts')}, missing {missing}"


MEASURES = {
    # measure -> (how to read it from an hour's record, unit, how it is measured)
    "memory retained by the system": (
        lambda hour: hour["retained_bytes"] / 1e6,
        "MB",
        "bytes of every Python object reachable from the system, stopping at the simulator and harness "
        "(harness.footprint), at the end of the first hour compared and at the close",
    ),
    "order latency p99": (
        lambda hour: hour["latency"]["p99_ms"],
        "ms",
        "from the callback that sent a new order to the venue's first answer (the tap), orders decided "
        "in the hour",
    ),
    "market data queue depth p99": (
        lambda hour: hour["queue_p99"],
        "messages",
        "messages waiting for the system when each arrival of market data (the updates the exchange "
        "published at one instant) reached it in the hour (the gateway's record)",
    ),
}
SAMPLES = {
    "memory retained by the system": lambda record, hour: len(record["snapshots"]),
    "order latency p99": lambda record, hour: hour["latency"]["orders"],
    "market data queue depth p99": lambda record, hour: hour["queue_arrivals"],
}


# "20%", or "20% or 1 message" for a figure that is a small whole number (a queue's p99: 3 messages
# over the day), where one message more would otherwise be a change of a third.
TOLERANCE = re.compile(r"^(\d+(?:\.\d+)?)%(?: or (\d+) messages?)?$")


@then(
    "the {measure} in the last hour is within {tolerance} of the first hour's,"
    " over at least {least:Count} {of}"
)
def within(context, measure, tolerance, least, of):
    assert measure in MEASURES, f"no day measure called {measure!r} (known: {', '.join(MEASURES)})"
    rule = TOLERANCE.match(tolerance)
    assert rule, f"a tolerance is 'N%' or 'N% or M messages', not {tolerance!r}"
    share, floor = float(rule[1]), int(rule[2] or 0)
    read, unit, method = MEASURES[measure]
    record = _record(context)
    first, last = record["first_hour"], record["last_hour"]
    start, end = read(first), read(last)
    samples = min(SAMPLES[measure](record, first), SAMPLES[measure](record, last))
    context.evidence.figure(
        f"{measure}, first hour", start, unit, method=method, samples=samples, least=least
    )
    context.evidence.figure(f"{measure}, last hour", end, unit, method=method, samples=samples, least=least)
    measured = start is not None and end is not None
    allowed = max(share / 100 * start, floor) if measured else 0.0
    fig = context.evidence.figure(
        f"{measure}: change from the first hour to the last",
        round(abs(end - start), 4) if measured else None,
        unit,
        method=f"|last - first|, allowed {tolerance} of the first hour's ({allowed:.4g} {unit}); {method}",
        samples=samples,
        least=least,
        at_most=allowed,
    )
    assert fig.passed, f"{fig.verdict()}: first hour {start}, last hour {end} {unit}"


@then("every order the system sent in the day was answered and the feed showed it no gap")
def nothing_lost(context):
    record = _record(context)
    problems = {
        "orders never answered": record["orders_unanswered"],
        "feed gaps shown to the system": record["feed_gaps_shown"],
        "gaps in the bus's numbering (the probe)": record["bus_gaps"],
    }
    for name, found in problems.items():
        context.evidence.figure(
            name,
            found,
            "",
            method="the tap and the bus probe",
            samples=record["orders_sent"],
            least=1,
            at_most=0,
        )
    assert not any(problems.values()), problems


@then("the system's orders, fills, positions and cash at the close reconcile exactly with the exchange")
def reconciled(context):
    result = _record(context)["reconciliation"]
    context.evidence.figure(
        "orders reconciled at the close",
        result["orders"],
        "orders",
        method="every order of the account at the exchange against the system's (memory, or the database and "
        f"ledger for the {result['archived']:,} it had let go of), then positions, cash and fills",
        samples=result["orders"],
        least=1,
    )
    assert result["ok"], result["summary"]

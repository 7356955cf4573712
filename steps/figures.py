"""Judging measured figures against the plan's targets, and the market data baseline steps."""

from __future__ import annotations

from behave import given, then, when

import steps.types  # noqa: F401 - registers the Bound step type
from harness import mdstream
from harness.measures import MEASURES, TABLES, Measured
from harness.targets import parse_target
from simulator.rng import derive_seed
from steps.session import trading


def figures(context) -> dict[str, Measured]:
    if getattr(context, "figures", None) is None:
        context.figures = {}
    return context.figures


def _judged(context, name: str, figure: Measured, bound: str, target: str, least: int, of: str):  # noqa: ANN202
    goal = parse_target(target)
    assert goal.unit == figure.unit, f"{name}: measured in {figure.unit}, target given in {goal.unit}"
    assert of == figure.of, f"{name} is measured over {figure.of}, not {of}"
    limits = {"at_least": goal.value} if bound == "at least" else {"at_most": goal.value}
    return context.evidence.figure(
        name, figure.value, figure.unit, method=figure.method, samples=figure.samples, least=least, **limits
    )


def judge(context, name: str, figure: Measured, bound: str, target: str, least: int, of: str) -> None:
    context.evidence.require(_judged(context, name, figure, bound, target, least, of))


def require_none(
    context, name: str, found: int, unit: str, method: str, samples: int, least: int, examples: list
) -> None:
    """Record that ``found`` things went wrong over ``samples`` observations, and require none (and
    at least ``least`` observations)."""
    fig = context.evidence.figure(name, found, unit, method=method, samples=samples, least=least, at_most=0)
    assert fig.passed, f"{fig.verdict()}; e.g. {examples[:5]}"


@then("the {measure} is {bound:Bound} {target}, over at least {least:Count} {of}")
@then("its {measure} is {bound:Bound} {target}, over at least {least:Count} {of}")
def figure_meets_target(context, measure, bound, target, least, of):
    known = figures(context)
    if measure in known:
        return judge(context, measure, known[measure], bound, target, least, of)
    assert measure in MEASURES, f"no figure called {measure!r} (known: {', '.join([*known, *MEASURES])})"
    session = trading(context)
    figure = MEASURES[measure](session)
    if measure in TABLES:
        context.evidence.table(measure, TABLES[measure](session))
    judge(context, measure, figure, bound, target, least, of)


@then("these figures meet their targets:")
def figures_meet_targets(context):
    """Every row's figure is measured and recorded before any is judged, so a failing row does not
    hide the others from the report."""
    session = trading(context)
    parse_count = steps.types.parse_count
    failed = []
    for row in context.table:
        name = row["figure"]
        assert row["bound"] in ("at least", "at most"), (
            f"{name}: bound {row['bound']!r} is not at least/at most"
        )
        assert name in MEASURES, f"no figure called {name!r} (known: {', '.join(MEASURES)})"
        figure = MEASURES[name](session)
        fig = _judged(
            context, name, figure, row["bound"], row["target"], parse_count(row["least"]), row["samples"]
        )
        if not fig.passed:
            failed.append(fig.verdict())
    assert not failed, "; ".join(failed)


# --- the market data baseline ----------------------------------------------------------------------


def recorded(context, updates: int, profile: str, count: int) -> mdstream.Recording:
    """The run's recorded stream: one recording per run seed, shared by the scenarios measuring it."""
    seed = derive_seed(context.base_seed, "market data stream") % 2**31
    return mdstream.record(seed, updates, profile, count)


def _stream_method(stream: mdstream.Recording) -> str:
    return (
        f"{len(stream.messages)} updates in {len(stream.symbols)} symbols recorded from "
        f"{stream.simulated_seconds:g} simulated seconds of the exchange's feed, replayed into a fresh "
        f"market data system publishing on its bus"
    )


def stream_throughput(stream: mdstream.Recording) -> tuple[Measured, object]:
    """The throughput figure, and the market data system of the last run."""
    rate, md = mdstream.throughput(stream)
    method = f"wall clock, median of {mdstream.RUNS} runs; {_stream_method(stream)}"
    return Measured(rate, "updates/s", method, md.updates, "market data updates"), md


def stream_latency(stream: mdstream.Recording) -> dict[int, Measured]:
    """p50 and p99 of the per-update processing latency."""
    timings = mdstream.latency(stream)
    method = (
        f"each update timed alone with perf_counter_ns into 1% histogram buckets; {_stream_method(stream)}"
    )
    count = timings.count("update")
    return {
        q: Measured(1000.0 * timings.percentile("update", q), "ms", method, count, "market data updates")
        for q in (50, 99)
    }


@given(
    "a stream of {updates:d} market data updates recorded from a simulated {profile:w} market "
    "in {count:d} symbols"
)
def recorded_stream(context, updates, profile, count):
    context.stream = recorded(context, updates, profile, count)


@when("the market data system processes the stream")
def process_stream(context):
    figures(context)["market data throughput"], context.md = stream_throughput(context.stream)


@when("the market data system processes the stream one update at a time under a latency histogram")
def time_each_update(context):
    for q, figure in stream_latency(context.stream).items():
        figures(context)[f"p{q} processing latency"] = figure


@then("its books match the exchange's books at the end of the stream")
def books_match(context):
    differences = mdstream.book_differences(context.stream, context.md)
    assert not differences, "; ".join(differences)

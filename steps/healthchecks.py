"""Steps for the Health Check System: every component polled, and the time to notice a component
going unhealthy, measured from outside the system."""

from __future__ import annotations

from behave import given, then, when

from harness import healthchecks
from steps.session import trading

WINDOW = 5.0  # seconds after an episode's start in which a report is looked for at all


@given(
    "the exchange simulator makes the {component} unhealthy by {cause} {times:d} times, "
    "30 simulated seconds apart"
)
def causes(context, component, cause, times):
    context.health_cause = healthchecks.cause(component, cause)
    context.health_times = times


@when("the session trades through them")
def through(context):
    found = context.health_cause
    context.fault_plan = healthchecks.fault_plan(found, context.health_times)
    session = trading(context)
    context.health_watch = healthchecks.OutsideWatch(session, healthchecks.unhealthy_outside(session, found))
    session.run(healthchecks.FIRST_AT + context.health_times * healthchecks.EVERY)
    context.health_noticed = healthchecks.noticed(session, found.component, context.health_watch, WINDOW)
    context.evidence.table("each episode", [n.row() for n in context.health_noticed])


def _worst(context, delays: list[float | None], what: str, bound: float, least: int) -> None:
    found = context.health_cause
    missed = sum(1 for d in delays if d is None)
    measured = [d for d in delays if d is not None]
    fig = context.evidence.figure(
        f"{found.component}: longest delay to {what}",
        max(measured) if not missed and measured else float("inf"),
        "s",
        method=f"from the start (or end) of each episode of '{found.what}', seen by an outside watch every "
        f"{healthchecks.RESOLUTION:g} simulated s, to the Health Check System's transition in its history; "
        f"{missed} episodes never reported",
        samples=len(delays),
        least=least,
        at_most=bound,
    )
    context.evidence.require(fig)


@then(
    "the health check system reported the {component} unhealthy within {bound:g} simulated seconds "
    "each time, over at least {least:d} times"
)
def noticed_within(context, component, bound, least):
    rows = context.health_noticed
    wrong = [n.row() for n in rows if n.state not in (None, "unhealthy")]
    assert not wrong, f"the {component} was reported degraded, not unhealthy: {wrong}"
    context.health_least = least
    _worst(context, [n.delay for n in rows], "notice", bound, least)


@then("it reported the {component} healthy again within {bound:g} simulated seconds each time it recovered")
def recovered_within(context, component, bound):
    _worst(
        context,
        [n.recovery_delay for n in context.health_noticed],
        "report it recovered",
        bound,
        context.health_least,
    )


@then(
    "every component of the system reports its health, "
    "polled at least {least:d} times by the health check system"
)
def every_component(context, least):
    session = trading(context)
    rows = healthchecks.every_component(session)
    context.evidence.table("components", rows)
    silent = [r["component"] for r in rows if not r["reports"]]
    assert not silent, f"components that report no health: {silent}"
    checks = session.system.health
    fig = context.evidence.figure(
        "polls of every watched component by the health check system",
        min(r["polled"] for r in rows if r["polled"] is not None),
        "polls",
        method="the Health Check System's poll count over the session, every component's health() called "
        "by the harness and its state in the monitoring framework's export",
        samples=checks.polls,
        least=least,
        at_least=least,
    )
    context.evidence.require(fig)

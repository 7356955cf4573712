"""Steps about deploying system versions into a running session: the canary, the gates, rollbacks."""

from __future__ import annotations

from behave import given, then, when

import steps.types  # noqa: F401 - registers the Count step type
from harness import deployment as dep
from steps.session import trading

LATENCY_BOUND = 0.0155  # seconds: the plan's decision-to-acknowledgement target
REJECT_REACH = 2.0  # seconds from the gate's fifth reject to the rollback (gates judge every second)
BAD = {
    "a version whose orders the exchange rejects": "faulty",
    "a version that takes 20 ms longer per decision": "slow",
}


@given("a live simulated session trading with system version 1")
def session_with_versions(context):
    context.trading = dep.deployment_session(context.seed)
    context.add_cleanup(context.trading.close)


def _deploy_at(context, version: str, at: float, **gates) -> None:
    s = trading(context)
    s.run(at - s.now)
    context.deployed = (version, s.now)
    dep.deploy(s, version, **gates)


@when("version {version:w} is deployed with the deployment command after {at:d} simulated seconds")
def deploy_version(context, version, at):
    _deploy_at(context, version, float(at))


@when("version {version:w} is deployed with a canary share of {share:d}% for {seconds:d} simulated seconds")
def deploy_canary(context, version, share, seconds):
    _deploy_at(context, version, 60.0, canary_share=share / 100, canary_seconds=float(seconds))


@when("{which} is deployed after {at:d} simulated seconds")
def deploy_bad(context, which, at):
    assert which in BAD, f"unknown version {which!r} (known: {', '.join(BAD)})"
    _deploy_at(context, BAD[which], float(at))


@when("the session trades on for {seconds:d} simulated seconds")
def trade_on(context, seconds):
    trading(context).run(float(seconds))


def _history_table(context) -> None:
    context.evidence.table(
        "deployment events",
        [
            {
                "time": round(e.time, 3),
                "event": e.kind,
                "version": e.version,
                "active after": e.active,
                "reason": e.reason,
                "canary orders answered": e.answered,
                "rejected": e.rejected,
            }
            for e in trading(context).system.deployment.history
        ],
    )


def _ended(context, kind: str) -> float:
    """The time of the deployed version's promotion or rollback, as the deployment system reports it."""
    _history_table(context)
    version, _ = context.deployed
    ended = [e for e in dep.events(trading(context), kind) if e.version == version]
    assert ended, f"version {version} was never {kind}: {trading(context).system.deployment.history}"
    return ended[0].time


def _only_version_after(context, version: str, since: float, least: int, label: str) -> None:
    orders = dep.between(dep.venue_orders(trading(context)), since, float("inf"))
    _none_other(context, orders, version, least, label)


def _none_other(context, orders: list[dep.VenueOrder], version: str, least: int, label: str) -> None:
    others = [o for o in orders if o.version != version]
    fig = context.evidence.figure(
        f"new orders at the venue not of version {version} {label}",
        len(others),
        "orders",
        method="order sizes of the new orders the venue tap saw after the switch",
        samples=len(orders),
        least=least,
        at_most=0,
    )
    assert fig.passed, f"{fig.verdict()}; e.g. {others[:5]}"


@then(
    "version {version:w} is promoted and sends every new order after its promotion, "
    "over at least {least:Count} orders"
)
def promoted_takes_over(context, version, least):
    promoted = _ended(context, "promoted")
    _only_version_after(context, version, promoted, least, "after its promotion")


@then(
    "version {version:w} sends between {low:d}% and {high:d}% of the new orders during the canary stage, "
    "over at least {least:Count} orders"
)
def canary_share(context, version, low, high, least):
    s = trading(context)
    _, start = context.deployed
    end = _ended(context, "promoted")
    mine, total = dep.share(dep.between(dep.venue_orders(s), start, end), version)
    fig = context.evidence.figure(
        f"share of version {version} in the canary stage's new orders",
        100.0 * mine / total if total else 0.0,
        "%",
        method=f"order sizes at the venue tap, {start:g} s to the promotion at {end:g} s ({mine} of {total})",
        samples=total,
        least=least,
        at_least=low,
        at_most=high,
    )
    context.evidence.require(fig)


@then(
    "version {version:w} is promoted at the end of the canary stage, "
    "its orders all accepted and answered within 15.5 ms at p99"
)
def promoted_after_gates(context, version):
    s = trading(context)
    _, start = context.deployed
    end = _ended(context, "promoted")
    canary = [o for o in dep.between(dep.venue_orders(s), start, end) if o.version == version]
    least = s.system.deployment.history[-1].answered or 1
    lat = dep.latencies(canary)
    fig = context.evidence.figure(
        f"version {version}'s p99 order latency in the canary stage",
        1e3 * (dep.p99(lat) or 0.0),
        "ms",
        method="decision to first answer at the venue tap, the canary's orders",
        samples=len(lat),
        least=5,
        at_most=LATENCY_BOUND * 1e3,
    )
    context.evidence.require(fig)
    rejected = [o for o in canary if o.rejected]
    fig = context.evidence.figure(
        f"version {version}'s orders rejected by the exchange in the canary stage",
        len(rejected),
        "orders",
        method="venue answers at the tap",
        samples=len(canary),
        least=least,
        at_most=0,
    )
    context.evidence.require(fig)
    stage = context.evidence.figure(
        "canary stage length before promotion",
        end - start,
        "s",
        method="deployment to the promotion event",
        at_least=120.0,
    )
    context.evidence.require(stage)


@then(
    "the health gate rolls it back to version 1 within {reach:d} simulated seconds "
    "of the exchange's fifth reject of its orders"
)
def health_rollback(context, reach):
    s = trading(context)
    version, _ = context.deployed
    rolled = _ended(context, "rolled back")
    rejects = dep.rejects_of(s, version)
    assert len(rejects) >= 5, f"the exchange rejected {len(rejects)} orders of version {version}, 5 needed"
    assert s.system.deployment.active == "1", f"version {s.system.deployment.active} is active"
    fig = context.evidence.figure(
        "rollback after the fifth reject",
        rolled - rejects[4],
        "s",
        method="the fifth reject's arrival at the venue tap to the rollback event",
        samples=len(rejects),
        least=5,
        at_least=0.0,
        at_most=float(reach),
    )
    context.evidence.require(fig)
    context.rolled_back_at = rolled


@then("its order latency at the venue was above 15.5 ms at p99 while version 1's was below")
def slower_at_venue(context):
    s = trading(context)
    version, start = context.deployed
    rolled = _ended(context, "rolled back")
    orders = dep.venue_orders(s)
    for name, which, since, until, bound in (
        (f"version {version}", version, start, rolled, {"at_least": LATENCY_BOUND * 1e3}),
        ("version 1 before the deployment", "1", 0.0, start, {"at_most": LATENCY_BOUND * 1e3}),
    ):
        lat = dep.latencies([o for o in dep.between(orders, since, until) if o.version == which])
        fig = context.evidence.figure(
            f"{name}'s p99 order latency",
            1e3 * (dep.p99(lat) or 0.0),
            "ms",
            method="decision to first answer at the venue tap",
            samples=len(lat),
            least=5,
            **bound,
        )
        context.evidence.require(fig)


@then("the performance gate rolled it back to version 1")
def performance_rollback(context):
    s = trading(context)
    version, _ = context.deployed
    context.rolled_back_at = _ended(context, "rolled back")
    event = next(e for e in dep.events(s, "rolled back") if e.version == version)
    assert event.reason.startswith("performance gate"), f"rolled back for {event.reason!r}"
    assert s.system.deployment.active == "1", f"version {s.system.deployment.active} is active"


@then("the bad version sends no order after the rollback, over at least {least:Count} orders")
def none_after_rollback(context, least):
    _only_version_after(context, "1", context.rolled_back_at, least, "after the rollback")


@when(
    "the operator follows the runbook's manual procedure to switch to version 2 and fall back to version 1, "
    "{seconds:d} simulated seconds apart"
)
def manual_procedure(context, seconds):
    s = trading(context)
    s.run(float(seconds))
    context.procedure = dep.manual_procedure(s, float(seconds))


@then("each request of the procedure succeeds and the status shows the version it switched to")
def procedure_succeeds(context):
    steps = context.procedure
    context.evidence.table(
        "manual procedure",
        [{"time": round(p.time, 3), "request": p.request, "status": p.status} for p in steps],
    )
    failed = [p for p in steps if p.status != 200]
    assert not failed, f"{len(failed)} requests of the procedure failed: {failed}"
    shown = [p.answer["deployment"]["active"] for p in steps if p.request.startswith("GET /status")]
    assert shown == ["1", "2", "1"], f"the status showed versions {shown}, expected 1, 2, 1"
    switched, fell_back = (p.time for p in steps if p.request.startswith("POST"))
    context.switched, context.fell_back = switched, fell_back


@then("version 2 sent every new order while it was active, over at least {least:Count} orders")
def version_2_while_active(context, least):
    orders = dep.between(dep.venue_orders(trading(context)), context.switched, context.fell_back)
    _none_other(context, orders, "2", least, "while it was active")


@then("version 1 sends every new order after the fallback, over at least {least:Count} orders")
def version_1_after_fallback(context, least):
    _only_version_after(context, "1", context.fell_back, least, "after the fallback")

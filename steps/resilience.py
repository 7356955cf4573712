"""Steps for faults: campaigns, what the health checks saw, and every order's final state."""

from __future__ import annotations

from behave import given, then

from harness.campaign import campaign
from harness.recovery import WINDOW
from steps.figures import require_none
from steps.session import trading
from system.component import HealthState


@given("a fault campaign of {count:d} faults of {kinds:d} kinds, one every {every:d} seconds")
def fault_campaign(context, count, kinds, every):
    context.fault_plan = campaign(count, kinds, float(every))


@then("{count:d} faults of {kinds:d} kinds were injected")
def faults_injected(context, count, kinds):
    injected = trading(context).market.injector.injected
    seen = sorted({f.kind for f in injected})
    context.evidence.table(
        "faults injected", [{"kind": k, "count": sum(f.kind == k for f in injected)} for k in seen]
    )
    assert len(injected) == count, f"{len(injected)} faults were injected"
    assert len(seen) == kinds, f"{len(seen)} kinds of fault were injected: {seen}"


def _judged(context) -> list:
    s = trading(context)
    watch = s.watch
    s.run_until(lambda: all(o.judged for o in watch.outcomes), WINDOW + 1.0, step=0.5)
    assert watch.outcomes, "no fault was injected"
    context.evidence.table("faults", [o.row() for o in watch.outcomes])
    return watch.outcomes


@then("at least one of the faults had an effect the system had to cope with")
def a_fault_felt(context):
    """A fault may happen to find nothing to hit (no order in flight during a short storm); a row
    proves something only if at least one of its faults did hit."""
    outcomes = _judged(context)
    assert any(o.affected for o in outcomes), (
        f"none of the {len(outcomes)} faults had an observed effect on the system: "
        f"{[f'{o.kind} at {o.start:g} s' for o in outcomes]}"
    )


@then("while each fault lasted the system sent no order on a market it could not see, and lost none")
def protected(context):
    exposed = [o.row() for o in _judged(context) if not o.protected]
    assert not exposed, f"faults during which the system traded blind or lost orders: {exposed}"


@then(
    "the system sent no request again while the session that carried it was up, "
    "over at least {least:d} logons"
)
def no_needless_resend(context, least):
    """Judged on the wire: a request id sent twice, the first session still up at the second send.
    Each logon the venue acknowledged is a chance to get it wrong: a session coming up is no reason
    to send again what another session still carries."""
    s = trading(context)
    s.settle()
    tap = s.tap
    require_none(
        context,
        "requests sent again while the session that carried them was up",
        len(tap.needless_resends),
        "requests",
        f"client ids the system put on the wire a second time, before any answer, while the session "
        f"that carried the first was still up, seen by the tap at the venue boundary "
        f"({tap.requests_resent} requests sent again in all, {tap.logons} logons acknowledged)",
        tap.logons,
        least,
        [f"{clid} at {t:.3f} s" for t, clid in tap.needless_resends],
    )


@then("the health checks saw at least one component unhealthy during the faults")
def unhealthy_seen(context):
    s = trading(context)
    injected = s.market.injector.injected
    assert injected, "no fault was injected"
    start, end = min(f.start for f in injected), max(f.end for f in injected) + WINDOW
    bad = [
        t for t in s.system.health.history() if start <= t.time <= end and t.state is not HealthState.HEALTHY
    ]
    assert bad, "the health checks saw every component healthy all through the faults"
    context.evidence.table(
        "health transitions during the faults",
        [
            {"time": round(t.time, 3), "component": t.component, "state": t.state.value, "detail": t.detail}
            for t in bad[:50]
        ],
    )


@then("every order the system sent reached a final or open state the exchange agrees with")
def final_states(context):
    s = trading(context)
    result = s.reconcile()
    assert result.ok, result.summary()
    ours = s.system.engine.orders()
    pending = [clid for clid, o in ours.items() if o.pending]
    assert not pending, f"{len(pending)} orders still wait for an answer: {pending[:5]}"
    held = s.system.engine.held()
    assert held == 0, f"{held} execution reports still wait for a missing earlier one"
    states: dict[str, int] = {}
    for order in ours.values():
        states[order.status] = states.get(order.status, 0) + 1
    context.evidence.table("order states", [{"state": k, "orders": v} for k, v in sorted(states.items())])
    assert ours, "the system sent no orders"


@then("every health report followed what the exchange showed, over at least {least:Count} health polls")
def health_follows_state(context, least):
    sampler = trading(context).health_sampler
    context.evidence.table(
        "health reports the exchange contradicted",
        [
            {"time": round(t, 3), "component": c, "the exchange showed": why}
            for t, c, why in sampler.blind[:50]
        ],
    )
    require_none(
        context,
        "health polls contradicted by the exchange",
        len(sampler.blind),
        "polls",
        "the harness's own polls of every component, set beside the exchange's sessions of the account and "
        "the market data that reached the system: the session pool may not say HEALTHY with no session at "
        "the exchange, nor the market data system with its feed silent beyond its stale bound",
        sampler.polls,
        least,
        sampler.blind,
    )

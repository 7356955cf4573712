"""Phase 1 steps: every component reachable under its plan name, one API, its own job, its own
figure, and bad input refused by name."""

from __future__ import annotations

import importlib
from dataclasses import replace
from numbers import Real

from behave import then, when

from harness import bad_input
from harness import monitoring as watch
from harness.measures import cache_hit_rate, connection_reuse, nearest_rank, system_error_rate
from harness.session import ACCOUNT, SessionSpec, TradingSession
from steps.figures import figures, recorded, stream_latency, stream_throughput
from steps.session import trading
from system.component import COMPONENT_METHODS, Component, Health, HealthState

# Where each component lives, as the README documents it: the plan's name is the class name.
PLAN_MODULES = {
    "Trading System Optimizer": "system.sessions",
    "Market Data Enhancer": "system.cache",
    "Advanced Monitoring Framework": "system.monitoring",
    "Real-time Analytics Engine": "system.analytics",
}

ATTRIBUTES = {
    "Market Data System": "market_data",
    "Market Data Enhancer": "cache",
    "Trading System Optimizer": "optimizer",
    "Trading Execution Engine": "engine",
    "Risk Management System": "risk",
    "Paper Trading System": "ledger",
    "Advanced Monitoring Framework": "monitoring",
    "Real-time Analytics Engine": "analytics",
}


def component_of(context, plan_name: str):  # noqa: ANN201 - a system component
    assert plan_name in ATTRIBUTES, f"no component called {plan_name!r} (known: {', '.join(ATTRIBUTES)})"
    return getattr(trading(context).system, ATTRIBUTES[plan_name])


# --- availability ------------------------------------------------------------------------------------


@when("the {component} is imported by its plan name and started with the trading system")
def import_and_start(context, component):
    assert component in PLAN_MODULES, f"the plan names no component {component!r}"
    module = importlib.import_module(PLAN_MODULES[component])
    context.component_class = getattr(module, component.replace(" ", "").replace("-", ""))
    context.charge_compute = False
    context.component = component_of(context, component)


@then("the running {component} is the component the plan names")
def is_instance(context, component):
    kind = type(context.component)
    assert isinstance(context.component, context.component_class), (
        f"the running {component} is a {kind.__module__}.{kind.__name__}"
    )
    assert isinstance(context.component, Component), f"the {component} does not satisfy the component API"


@then("after {seconds:d} simulated seconds the {component} reports itself healthy and busy")
def healthy_after(context, seconds, component):
    trading(context).run(seconds)
    health = context.component.health()
    assert health.state is HealthState.HEALTHY, f"the {component} reports {health.state}: {health.detail}"
    busy = {k: v for k, v in context.component.metrics().items() if v}
    assert busy, f"the {component} reports no activity at all: {context.component.metrics()}"


@then("the {component} stops cleanly when the trading system stops")
def stops_cleanly(context, component):
    trading(context).system.stop()
    health = context.component.health()
    assert health.state is HealthState.STOPPED, f"after stopping, the {component} reports {health.state}"


# --- one API -------------------------------------------------------------------------------------------


@then("every component offers start, stop, health, metrics and validate, and each call answers in kind")
def one_api(context):
    rows = []
    for c in trading(context).system.components:
        missing = [m for m in COMPONENT_METHODS if not callable(getattr(c, m, None))]
        assert not missing, f"{c.name} lacks {missing}"
        health, metrics, problems = c.health(), c.metrics(), c.validate()
        assert isinstance(health, Health), f"{c.name}.health() gave {health!r}"
        assert isinstance(metrics, dict) and metrics, f"{c.name}.metrics() gave {metrics!r}"
        for key, value in metrics.items():
            assert key.startswith(f"{c.name}."), f"{c.name}.metrics() key {key!r} is not named after it"
            assert isinstance(value, Real) and not isinstance(value, bool), f"{c.name}: {key} = {value!r}"
        assert isinstance(problems, list), f"{c.name}.validate() gave {problems!r}"
        rows.append({"component": c.name, "health": health.state.value, "metrics": len(metrics)})
    context.evidence.table("component API", rows)
    assert len(rows) >= 12, f"only {len(rows)} components answered"


# --- basic function -------------------------------------------------------------------------------------


@then("the exchange received orders from the system over a session it had used before")
def optimizer_works(context):
    s = trading(context)
    traffic = s.market.gateway.traffic(ACCOUNT)
    reused = traffic.order_entries - traffic.sessions_used
    assert len(s.market.exchange.records(ACCOUNT).orders) > 0, (
        "the exchange accepted no order from the system"
    )
    assert reused > 0, (
        f"every one of {traffic.order_entries} order-entry messages came on a session of its own "
        f"({traffic.sessions_used} sessions)"
    )


@then("the Market Data Enhancer has served quotes equal to the market data system's book")
def cache_works(context):
    s = trading(context)
    assert s.system.cache.hits > 0, f"no cache hit in {s.system.cache.misses} reads"
    assert s.audit.served > 0, "the cache served no quote"
    assert s.audit.stale == 0, f"{s.audit.stale} of {s.audit.served} served quotes stale: {s.audit.examples}"


@then(
    "the Performance Analyzer's decision-to-acknowledgement latency agrees with the latency seen at the venue"
)
def perf_works(context):
    s = trading(context)
    perf, seen = s.system.perf, s.tap.in_order_latencies()
    assert seen, "no order was acknowledged by the venue"
    assert perf.count("decision_to_ack") == len(seen), (
        f"the analyzer measured {perf.count('decision_to_ack')} latencies, "
        f"the venue answered {len(seen)} orders"
    )
    for q in (50, 99):
        mine, theirs = perf.percentile("decision_to_ack", q), nearest_rank(seen, q)
        assert watch.agrees(mine, theirs), (
            f"the analyzer's p{q} is {1000 * mine:.4f} ms, the venue boundary's {1000 * theirs:.4f} ms "
            f"(decision to the answer's turn in exec_seq order, over {len(seen)} orders)"
        )


# --- each component's figure alone ---------------------------------------------------------------------


def _isolated_session(context) -> TradingSession:
    session = TradingSession(SessionSpec(seed=context.seed, symbols=3, profile="normal"))
    context.add_cleanup(session.close)
    session.run(120)
    return session


@when("the {component} alone is measured on simulator data")
def measure_alone(context, component):
    known = figures(context)
    if component == "Market Data System":
        stream = recorded(context, 200_000, "normal", 5)
        known["throughput"], _ = stream_throughput(stream)
        known["p99 processing latency"] = stream_latency(stream)[99]
        return
    session = _isolated_session(context)
    measure = {
        "Market Data Enhancer": ("cache hit rate", cache_hit_rate),
        "Trading System Optimizer": ("connection reuse", connection_reuse),
        "Trading Execution Engine": ("system error rate", system_error_rate),
    }
    assert component in measure, f"no isolated measure for the {component}"
    name, how = measure[component]
    found = how(session)
    known[name] = replace(found, method=f"{found.method}; 120 s normal market in 3 symbols")


# --- bad input -------------------------------------------------------------------------------------------


def _progress(s) -> dict[str, int]:  # noqa: ANN001 - harness.session.TradingSession
    """What the system visibly does, seen from outside: market data its bus carried, new orders the
    venue received, fills the exchange recorded for the account."""
    return {
        "market data delivered": sum(t.received for t in s.probe.topics.values()),
        "orders sent": len(s.tap.orders),
        "fills at the exchange": len(s.market.exchange.records(ACCOUNT).fills()),
    }


@when("{bad} is given to the {component}")
def give_bad_input(context, bad, component):
    s = trading(context)
    context.before = _progress(s)
    context.refusal = bad_input.give(s, bad)


@then('it is refused with an error naming the field "{field}"')
def refused_by_name(context, field):
    error = context.refusal
    assert error.field == field, f"the error names {error.field!r}, not {field!r}: {error}"
    assert field in str(error), f"the message does not name {field!r}: {error}"
    context.evidence.table("refusal", [{"field": error.field, "message": str(error)}])


@then("the {component} still does its job afterwards")
def still_works(context, component):
    s = trading(context)
    s.run(20)
    before, now = context.before, _progress(s)
    stalled = [k for k in ("market data delivered", "orders sent") if now[k] <= before[k]]
    assert not stalled, f"the system stalled after the bad input: {before} -> {now}"
    problems = {c.name: c.validate() for c in s.system.components if c.validate()}
    assert not problems, f"self-validation problems after the bad input: {problems}"
    result = s.reconcile()
    assert result.ok, result.summary()
    if component == "Market Data System":
        s.close_market()
        assert not s.top_differences(), "; ".join(s.top_differences())

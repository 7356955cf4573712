"""Phase 1 steps: every component reachable under its plan name, one API, its own job, its own
figure, and bad input refused by name."""

from __future__ import annotations

import importlib
import math
from numbers import Real

from behave import then, when

from harness.measures import cache_hit_rate, connection_reuse, system_error_rate
from harness.session import ACCOUNT, SessionSpec, TradingSession
from steps.figures import figures, recorded, stream_latency, stream_throughput
from steps.session import trading
from system.component import COMPONENT_METHODS, Component, Health, HealthState
from system.errors import InvalidInput
from system.intents import Place
from system.risk import RiskLimits
from system.settings import load_settings
from venue.messages import Quote, Side

ATTRIBUTES = {
    "Market Data System": "market_data",
    "Market Data Enhancer": "cache",
    "Trading System Optimizer": "optimizer",
    "Trading Execution Engine": "engine",
    "Risk Management System": "risk",
    "Paper Trading System": "ledger",
}


def component_of(context, plan_name: str):  # noqa: ANN201 - a system component
    assert plan_name in ATTRIBUTES, f"no component called {plan_name!r} (known: {', '.join(ATTRIBUTES)})"
    return getattr(trading(context).system, ATTRIBUTES[plan_name])


# --- availability ------------------------------------------------------------------------------------


@when("the {component} is imported from {module} and started with the trading system")
def import_and_start(context, component, module):
    context.component_class = getattr(importlib.import_module(module), component.replace(" ", ""))
    context.charge_compute = False
    context.component = component_of(context, component)


@then("the running {component} is an instance of the class imported from {module}")
def is_instance(context, component, module):
    kind = type(context.component)
    assert isinstance(context.component, context.component_class), (
        f"the running {component} is a {kind.__module__}.{kind.__name__}"
    )
    assert isinstance(context.component, Component), f"the {component} does not satisfy the component API"


@then("after {seconds:d} simulated seconds the {component} reports itself healthy")
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


@then("the Trading System Optimizer has sent orders over a session it reused")
def optimizer_works(context):
    s = trading(context)
    accepted = len(s.market.exchange.records(ACCOUNT).orders)
    assert s.system.optimizer.reused > 0, "no submission went over a reused session"
    assert accepted > 0, "the exchange accepted no order from the system"


@then("the Market Data Enhancer has served quotes from its cache")
def cache_works(context):
    s = trading(context)
    assert s.system.cache.hits > 0, f"no cache hit in {s.system.cache.misses} reads"
    assert s.audit.served > 0 and s.audit.stale == 0, (
        f"{s.audit.stale} of {s.audit.served} served quotes stale"
    )


@then("the Performance Analyzer has measured the decision-to-acknowledgement latency")
def perf_works(context):
    perf = trading(context).system.perf
    assert perf.count("decision_to_ack") > 0, "no decision-to-acknowledgement latency measured"
    assert perf.percentile("decision_to_ack", 50) > 0, "a zero latency was measured"


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
    value, unit, method = how(session)
    known[name] = (value, unit, f"{method}; 120 s normal market in 3 symbols")


# --- bad input -------------------------------------------------------------------------------------------


def _quote(context, **change) -> Quote:
    md = trading(context).system.market_data
    symbol = change.pop("symbol", md.symbols[0])
    state = md.state(md.symbols[0])
    fields = {
        "bid_price": state.bid,
        "bid_qty": state.bid_qty,
        "ask_price": state.ask,
        "ask_qty": state.ask_qty,
    }
    fields.update(change)
    return Quote(symbol, state.seq + 1, time=trading(context).now, **fields)


def _feed(context, quote: Quote) -> InvalidInput:
    md = trading(context).system.market_data
    before = md.refused
    md.on_market_data(quote)
    assert md.refused == before + 1, "the market data system accepted the bad update"
    return md.errors[-1]


def _intent(context, **change) -> InvalidInput:
    s = trading(context)
    symbol = s.market.symbols[0]
    fields = {
        "symbol": symbol,
        "side": Side.BUY,
        "qty": 100,
        "price": s.market.instruments_by_symbol[symbol].tick,
    }
    fields.update(change)
    placed = s.system.engine.placed
    try:
        s.system.engine.execute(Place(**fields))
    except InvalidInput as error:
        assert s.system.engine.placed == placed, "the bad order was counted as placed"
        return error
    raise AssertionError("the execution engine accepted the bad order")


def _raises(action) -> InvalidInput:  # noqa: ANN001
    try:
        action()
    except InvalidInput as error:
        return error
    raise AssertionError("the bad input was accepted")


BAD_INPUT = {
    "a quote with a negative bid price": lambda c: _feed(c, _quote(c, bid_price=-100)),
    "a quote with a NaN ask size": lambda c: _feed(c, _quote(c, ask_qty=math.nan)),
    "a crossed quote": lambda c: _feed(c, _quote(c, bid_price=_quote(c).ask_price + 100)),
    "a quote for an unknown symbol": lambda c: _feed(c, _quote(c, symbol="ZZZZ")),
    "an order for zero shares": lambda c: _intent(c, qty=0),
    "an order with a NaN price": lambda c: _intent(c, price=math.nan),
    "an order on an unknown side": lambda c: _intent(c, side="sideways"),
    "risk limits with an unknown key": lambda c: _raises(lambda: RiskLimits.from_dict({"max_ordr_qty": 10})),
    "a fill with a negative quantity": lambda c: _raises(
        lambda: trading(c).system.ledger.apply_fill(
            "bad-fill", "O0", trading(c).market.symbols[0], Side.BUY, -100, 10_000, trading(c).now
        )
    ),
    "a configuration with a misspelled key": lambda c: _raises(lambda: load_settings({"pool_sise": 3})),
}


@when("{bad} is given to the {component}")
def give_bad_input(context, bad, component):
    assert bad in BAD_INPUT, f"no bad input called {bad!r}"
    s = trading(context)
    context.before = {
        "updates": s.system.market_data.updates,
        "placed": s.system.engine.placed,
        "checked": s.system.risk.checked,
        "fills": s.system.ledger.fills_count(),
    }
    context.refusal = BAD_INPUT[bad](context)


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
    before = context.before
    now = {
        "updates": s.system.market_data.updates,
        "placed": s.system.engine.placed,
        "checked": s.system.risk.checked,
        "fills": s.system.ledger.fills_count(),
    }
    progressed = {k for k in now if now[k] > before[k]}
    assert {"updates", "placed", "checked"} <= progressed, f"the system stalled: {before} -> {now}"
    problems = {c.name: c.validate() for c in s.system.components if c.validate()}
    assert not problems, f"self-validation problems after the bad input: {problems}"
    result = s.reconcile()
    assert result.ok, result.summary()
    if component == "Market Data System":
        s.close_market()
        assert not s.top_differences(), "; ".join(s.top_differences())

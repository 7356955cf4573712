"""Steps that build a simulated trading session (market, system, faults), run it, and judge its
figures and its books against the exchange."""

from __future__ import annotations

import contextlib

from behave import given, then

from harness.operations import environment, profile_settings
from harness.session import SECRET, SessionSpec, TradingSession
from simulator.faults import FaultPlan
from simulator.rng import derive_seed

# Multipliers of the background traders' activity. At stress the normal market in 3 symbols
# publishes above the plan's 33,481 market data operations per second (the row asserts it).
LOADS = {"light": 0.5, "normal": 1.0, "peak": 3.0, "stress": 2500.0}


def trading(context) -> TradingSession:
    """The scenario's trading session, built on first use from what the Given steps set."""
    if getattr(context, "trading", None) is None:
        spec = SessionSpec(
            seed=context.seed,
            symbols=context.market_symbols,
            profile=context.market_profile,
            load=context.market_load,
            faults=getattr(context, "fault_plan", None),
            charge_compute=getattr(context, "charge_compute", False),
            settings=getattr(context, "system_settings", {}),
            secret=getattr(context, "venue_secret", SECRET),
        )
        context.trading = TradingSession(spec)
        context.add_cleanup(context.trading.close)
    return context.trading


def in_session(context) -> bool:
    return getattr(context, "market_load", None) is not None


@given("a {profile:w} market in {count:d} symbols")
def market(context, profile, count):
    context.trading = None
    context.market_profile = profile
    context.market_symbols = count
    context.market_load = 1.0


@given("a {profile:w} market in {count:d} symbols at {load:w} load")
def loaded_market(context, profile, count, load):
    market(context, profile, count)
    assert load in LOADS, f"unknown load {load!r} (known: {', '.join(LOADS)})"
    # Every row of a load table trades the same market, so its rows differ by load alone.
    context.seed = derive_seed(context.base_seed, f"load table {profile} {count}") % 2**31
    context.market_load = LOADS[load]
    context.load_name = load


@given("a {profile:w} market in 1 symbol at {load:w} load")
def loaded_market_of_one(context, profile, load):
    loaded_market(context, profile, 1, load)


@given("the trading system trades on it with its default configuration")
def default_system(context):
    context.charge_compute = False


@given("the trading system trades on it with its measured compute time charged to simulated time")
def charged_system(context):
    context.charge_compute = True


@given(
    "the trading system trades on it configured by the {name:w} profile, "
    "its measured compute time charged to simulated time"
)
def profiled_system(context, name):
    context.charge_compute = True
    context.system_settings, context.venue_secret = profile_settings(name, environment())


def _value(text: str) -> int | float | str:
    """A number when the text is one, else the text itself."""
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text)
    return text


@given("this fault plan:")
def fault_plan(context):
    """One fault per row: ``at`` and ``fault``, and a column per parameter (blank: not given)."""
    entries = [
        {heading: _value(row[heading]) for heading in context.table.headings if row[heading].strip()}
        for row in context.table
    ]
    context.fault_plan = FaultPlan.from_entries(entries, "the scenario's fault plan")


@then("the system's orders, fills and positions reconcile exactly with the exchange")
@then("the system's orders, fills, positions and cash reconcile exactly with the exchange")
def reconciled(context):
    result = trading(context).reconcile()
    context.evidence.table(
        "reconciliation",
        [
            {
                "orders": result.orders,
                "fills": result.fills,
                "symbols held": result.symbols,
                "differences": len(result.differences),
            }
        ],
    )
    assert result.orders > 0, "the system sent no orders, so there is nothing to reconcile"
    assert result.ok, result.summary()


@then("every component's self-validation finds no problems")
def self_validation(context):
    problems = {c.name: c.validate() for c in trading(context).system.components}
    bad = {name: found for name, found in problems.items() if found}
    assert not bad, f"self-validation problems: {bad}"

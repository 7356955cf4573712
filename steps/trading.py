"""Steps about the system's trading: order volume, risk rejects, cache freshness, and the trace of
a fill back to the quote that caused it."""

from __future__ import annotations

import math

from behave import then, when

from harness.session import ACCOUNT
from steps.session import trading
from system.intents import Place
from venue.messages import Side


@when("the trading system has sent {count:d} orders")
def orders_sent(context, count):
    s = trading(context)
    engine = s.system.engine
    done = s.run_until(lambda: engine.placed >= count, limit=50 * count, step=20.0)
    assert done, f"only {engine.placed} orders sent in {s.now:g} simulated seconds"


@then("risk rejects are counted apart from system errors")
def risk_apart(context):
    s = trading(context)
    engine, risk = s.system.engine, s.system.risk
    errors, rejects, placed = engine.errors, engine.risk_rejects, engine.placed
    symbol = s.market.symbols[0]
    quote = s.system.cache.quote(symbol)
    assert quote is not None, f"no quote for {symbol}"
    too_big = risk.limits.max_order_qty + s.market.instruments_by_symbol[symbol].lot
    assert engine.execute(Place(symbol, Side.BUY, too_big, quote.bid)) is None, "an oversize order was sent"
    assert engine.risk_rejects == rejects + 1, "the risk reject was not counted"
    assert engine.errors == errors and engine.placed == placed, (
        "a risk reject was counted as an error or an order"
    )
    context.evidence.figure(
        "risk rejects", engine.risk_rejects, "orders", method="execution engine, counted apart"
    )


@then("no quote older than the market data system's book was served from the cache")
def no_stale_quote(context):
    audit = trading(context).audit
    context.evidence.figure("quotes served from the cache", audit.served, "quotes", method="harness audit")
    assert audit.served > 0, "the cache served no quote"
    assert audit.stale == 0, f"{audit.stale} stale quotes served, e.g. {audit.examples}"


@then("some fill at the exchange can be traced back through its order and decision to a quote from the feed")
def trace_fill(context):
    s = trading(context)
    orders = s.system.engine.orders()
    by_request = {request: d for d in s.system.decisions.log for request in d.requests}
    for clid, theirs in s.market.exchange.records(ACCOUNT).orders.items():
        if not theirs.fills or clid not in orders or clid not in by_request:
            continue
        decision = by_request[clid]
        found = s.tape.latest(decision.symbol, decision.seq)
        if found is None:
            continue
        seq, (bid, ask) = found
        assert (bid, ask) == (decision.bid, decision.ask), (
            f"decision for {clid} saw {decision.bid}/{decision.ask}, the feed's quote {seq} was {bid}/{ask}"
        )
        assert orders[clid].order_id == theirs.order_id, f"{clid}: order ids differ"
        context.traced_symbol = decision.symbol
        context.evidence.table(
            "traced fill",
            [
                {
                    "fill": f"{theirs.fills[0][1]} at {theirs.fills[0][2]}",
                    "order": theirs.order_id,
                    "client id": clid,
                    "decision time": decision.time,
                    "quote seq": seq,
                    "bid": bid,
                    "ask": ask,
                }
            ],
        )
        return
    raise AssertionError("no fill could be traced back to a decision and a quote")


@then("the ledger's position and P&L for that symbol follow from the exchange's fills")
def ledger_follows(context):
    s = trading(context)
    s.settle()
    symbol = context.traced_symbol
    records = s.market.exchange.records(ACCOUNT)
    position, cash = records.positions().get(symbol, 0), records.cash(symbol)
    ledger = s.system.ledger
    assert ledger.position(symbol) == position, (
        f"ledger holds {ledger.position(symbol)}, fills make {position}"
    )
    quote = s.system.cache.quote(symbol)
    mark = quote.mid if quote is not None else s.market.exchange.last_price(symbol)
    # Average cost or not, realized plus open P&L is the cash the fills moved plus the position's value.
    pnl = ledger.realized_pnl(symbol) + ledger.unrealized_pnl({symbol: mark}, symbol)
    expected = cash + position * mark
    assert math.isclose(pnl, expected, rel_tol=1e-9, abs_tol=1e-6), (
        f"ledger P&L {pnl}, from the fills {expected}"
    )


@then("the metrics show quotes received, decisions taken, orders sent, fills booked and positions held")
def metrics_show(context):
    s = trading(context)
    metrics = {}
    for c in s.system.components:
        metrics.update(c.metrics())
    shown = {
        "quotes received": metrics["market_data_system.updates"],
        "decisions taken": metrics["decision_loop.decisions"],
        "orders sent": metrics["trading_execution_engine.placed"],
        "fills booked": metrics["paper_trading_system.fills"],
        "positions held": metrics["paper_trading_system.symbols_held"],
    }
    context.evidence.table("workflow metrics", [shown])
    records = s.market.exchange.records(ACCOUNT)
    fills, held = len(records.fills()), len(records.positions())
    assert shown["fills booked"] == fills, (
        f"the metrics show {shown['fills booked']} fills, the exchange {fills}"
    )
    assert all(v > 0 for k, v in shown.items() if k != "positions held"), f"a step shows no activity: {shown}"
    assert shown["positions held"] == held, (
        f"the metrics show {shown['positions held']} positions, fills make {held}"
    )

"""Steps about the system's trading: order volume, risk rejects, cache freshness, and the trace of
a fill back to the quote that caused it."""

from __future__ import annotations

import math

from behave import then, when

from harness.session import ACCOUNT
from steps.figures import require_none
from steps.session import trading


@when("the trading system has sent {count:Count} orders, within {limit:Count} simulated seconds")
def orders_sent(context, count, limit):
    s = trading(context)
    sent = s.send_orders(count, limit)
    assert sent >= count, f"only {sent} new orders reached the venue in {s.now:g} simulated seconds"


@when(
    "the market trades on until the system has sent {count:Count} amendments, "
    "within {limit:Count} more seconds"
)
def amendments_sent(context, count, limit):
    # The strategy amends when a resting order's price falls behind the market: some markets give 10
    # in 600 s, some 2 in 1,200 s. The Then judges the count; this only gives the market the time.
    s = trading(context)
    s.run_until(lambda: len(s.tap.amendments) >= count, limit, step=10.0)


@then("an order above the risk limit is refused by risk and not counted as a system error")
def risk_apart(context):
    s = trading(context)
    errors = s.system.engine.errors
    refused = s.oversize_order()
    assert refused.reached_venue is False, "an oversize order reached the venue"
    assert refused.risk_rejects_counted == 1, (
        f"the risk reject was counted {refused.risk_rejects_counted} times"
    )
    assert s.system.engine.errors == errors, "a risk reject was counted as a system error"
    context.evidence.table("risk reject", [refused.row()])


@then("an amendment above the risk limit is refused by risk and never reaches the exchange")
def risk_on_amendments(context):
    refused = trading(context).oversize_amendment()
    context.evidence.table("risk on an amendment", [refused.row()])
    assert refused.reached_venue is False, "an amendment above the limit reached the venue"
    assert refused.risk_rejects_counted == 1, (
        f"the risk reject was counted {refused.risk_rejects_counted} times"
    )


@then("the exchange received at least {least:Count} amendments from the system and answered each")
def amendments_reached(context, least):
    tap = trading(context).tap
    sent, answered = len(tap.amendments), len(tap.amendments_answered)
    context.evidence.table("amendments", [{"sent": sent, "answered by the venue": answered}])
    assert sent >= least, f"only {sent} amendments reached the venue"
    assert answered == sent, f"the venue answered {answered} of {sent} amendments"


@then(
    "no quote the cache served differed from the market data system's book, "
    "over at least {least:Count} quotes served"
)
def no_stale_quote(context, least):
    audit = trading(context).audit
    require_none(
        context,
        "quotes served from the cache that differed from the book",
        audit.stale,
        "quotes",
        "every quote the cache served compared by the harness with the market data system's book",
        audit.served,
        least,
        audit.examples,
    )


@then("the exchange accepted at least {least:Count} logons of the system's account and refused none")
def logons_accepted(context, least):
    s = trading(context)
    traffic = s.market.gateway.traffic(ACCOUNT)
    context.evidence.table(
        "logons at the gateway", [{"accepted": traffic.logons, "refused": len(traffic.refused)}]
    )
    assert not traffic.refused, f"the exchange refused {len(traffic.refused)} logons: {traffic.refused}"
    assert traffic.logons >= least, f"only {traffic.logons} logons were accepted"


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
        seq, (bid, _, ask, _) = found
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

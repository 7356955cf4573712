"""Steps for the exchange's own rules: matching, time in force, amendments, rejects and halts."""

from __future__ import annotations

from behave import given, then, when

import steps.types  # noqa: F401 - registers the Price and Side step types
from harness.bare_exchange import BareExchange
from simulator.instruments import Instrument
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecType,
    ExecutionReport,
    OrdStatus,
    Phase,
    ReplaceOrder,
    TradingStatus,
    format_price,
    to_price,
)


def _instrument(symbol: str, tick: str, lot: int, band_pct: float, reference: str) -> Instrument:
    return Instrument(symbol, f"{symbol} Corp", to_price(tick), lot, to_price(reference), band_pct)


@given("an exchange trading {symbol:w} with a tick of {tick:Price} and a lot of {lot:d}")
def bare_exchange(context, symbol, tick, lot):
    # No band and no volatility halt: these scenarios are about matching alone.
    context.bare = BareExchange(_instrument(symbol, tick, lot, 1.0, "10.00"), halt_pct=10.0)


@given(
    "an exchange trading {symbol:w} with a tick of {tick:Price}, a lot of {lot:d} "
    "and a price band of {pct:d}% around {reference:Price}"
)
def banded_exchange(context, symbol, tick, lot, pct, reference):
    context.bare = BareExchange(_instrument(symbol, tick, lot, pct / 100, reference))


@given("the volatility halt triggers at a move of {pct:d}% and lasts {seconds:d} seconds")
def volatility_halt(context, pct, seconds):
    context.bare = BareExchange(context.bare.instrument, halt_pct=pct / 100, halt_seconds=seconds)


@given("these orders rest in the {symbol:w} book:")
def resting_orders(context, symbol):
    for row in context.table:
        reports = context.bare.order(row["order"], row["side"], int(row["qty"]), row["price"], symbol=symbol)
        kinds = [r.exec_type for _, r in reports]
        assert kinds == [ExecType.NEW], f"order {row['order']} did not simply rest: {kinds}"


@when("order {order:w} {side:Side} {qty:d} {symbol:w} at market")
def market_order(context, order, side, qty, symbol):
    context.last_order = order
    context.caused = context.bare.order(order, side, qty, None, tif="ioc", symbol=symbol)


@when("order {order:w} {side:Side} {qty:d} {symbol:w} at {price:Price}")
def limit_order(context, order, side, qty, symbol, price):
    context.last_order = order
    context.caused = context.bare.order(order, side, qty, price, symbol=symbol)


@when("order {order:w} {side:Side} {qty:d} {symbol:w} at {price:Price} {tif:w}")
def limit_order_tif(context, order, side, qty, symbol, price, tif):
    context.last_order = order
    context.caused = context.bare.order(order, side, qty, price, tif=tif, symbol=symbol)


@when("order {order:w} is amended to {qty:d} at {price:Price}")
def amend(context, order, qty, price):
    symbol = context.bare.instrument.symbol
    message = ReplaceOrder(f"{order}.1", order, symbol, qty, to_price(price))
    reports = context.bare.send(order, message)
    assert [r.exec_type for _, r in reports] == [ExecType.REPLACED], f"amendment not accepted: {reports}"


@then("these trades happen:")
def trades_happen(context):
    trades = context.bare.trades(context.last_order, context.caused)
    seen = [[t.buyer, t.seller, format_price(t.price), str(t.qty)] for t in trades]
    expected = [[row["buyer"], row["seller"], row["price"], row["qty"]] for row in context.table]
    assert seen == expected, f"trades were {seen}, expected {expected}"


@then("order {order:w} is the one that trades")
def first_to_trade(context, order):
    makers = {
        t.buyer if t.seller == context.last_order else t.seller
        for t in context.bare.trades(context.last_order, context.caused)
    }
    assert makers == {order}, f"traded with {sorted(makers)}, expected {order}"


def _final(context, order: str) -> ExecutionReport:
    reports = [r for r in context.bare.reports_of(order) if isinstance(r, ExecutionReport)]
    assert reports, f"order {order} got no execution report"
    return reports[-1]


@then("order {order:w} is cancelled with {unfilled:d} unfilled")
def cancelled_with(context, order, unfilled):
    last = _final(context, order)
    assert last.status is OrdStatus.CANCELLED, f"order {order} is {last.status}"
    assert last.order_qty - last.cum_qty == unfilled, f"{last.order_qty - last.cum_qty} unfilled"


@then("order {order:w} has filled {filled:d} and is {state}")
def filled_and_state(context, order, filled, state):
    last = _final(context, order)
    assert last.cum_qty == filled, f"order {order} filled {last.cum_qty}"
    if state == "cancelled":
        assert last.status is OrdStatus.CANCELLED, f"order {order} is {last.status}"
    else:
        open_qty = int(state.removeprefix("resting with ").removesuffix(" open"))
        assert last.status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED), f"order {order} is {last.status}"
        assert last.leaves_qty == open_qty, f"order {order} has {last.leaves_qty} open"


def _level(level: tuple[int, int] | None) -> str:
    return "nothing" if level is None else f"{level[1]} at {format_price(level[0])}"


@then("the {symbol:w} book shows {bid} bid and {ask} offered")
def book_both(context, symbol, bid, ask):
    book = context.bare.exchange.book(symbol)
    seen = (_level(book.best_bid()), _level(book.best_ask()))
    assert seen == (bid, ask), f"book shows {seen[0]} bid and {seen[1]} offered"


@then("the {symbol:w} book shows {bid} bid")
def book_bid(context, symbol, bid):
    seen = _level(context.bare.exchange.book(symbol).best_bid())
    assert seen == bid, f"book shows {seen} bid, expected {bid}"


@then("nothing rests in the {symbol:w} book")
def book_empty(context, symbol):
    book = context.bare.exchange.book(symbol) if symbol in context.bare.exchange.instruments else None
    assert book is None or len(book) == 0, f"{len(book)} orders rest in the {symbol} book"


# --- rejects ---------------------------------------------------------------------------------------


def _client_order(context, side: str, qty: int, symbol: str, price: str, order_id: str | None = None):
    context.client_orders = getattr(context, "client_orders", 0) + 1
    order_id = order_id or f"C{context.client_orders}"
    context.last_order = order_id
    context.caused = context.bare.order(order_id, side, qty, price, symbol=symbol, account="CLIENT")
    return order_id


@given("the client has sent a {side:Side} of {qty:d} {symbol:w} at {price:Price} as order {order:w}")
@when("the client sends a {side:Side} of {qty:d} {symbol:w} at {price:Price} as order {order:w}")
def client_named_order(context, side, qty, symbol, price, order):
    _client_order(context, side, qty, symbol, price, order)


@when("a client sends a {side:Side} of {qty:d} {symbol:w} at {price:Price}")
def client_order(context, side, qty, symbol, price):
    _client_order(context, side, qty, symbol, price)


@when("the client cancels order {order:w}")
def client_cancel(context, order):
    context.caused = context.bare.send("CLIENT", CancelOrder("X1", order, context.bare.instrument.symbol))


@then('the order is rejected with reason "{reason}"')
@then('the second order is rejected with reason "{reason}"')
def rejected_with(context, reason):
    last = context.caused[-1][1]
    assert isinstance(last, ExecutionReport) and last.exec_type is ExecType.REJECTED, f"not rejected: {last}"
    assert last.reason.value == reason, f"rejected for {last.reason.value}, expected {reason}"


@then('the cancel is refused with reason "{reason}"')
def cancel_refused(context, reason):
    last = context.caused[-1][1]
    assert isinstance(last, CancelReject), f"cancel not refused: {last}"
    assert last.reason.value == reason, f"refused for {last.reason.value}, expected {reason}"


@then("the order trades {qty:d} at {price:Price}")
def order_trades(context, qty, price):
    fills = [r for _, r in context.caused if r.cl_ord_id == context.last_order and r.last_qty]
    assert sum(r.last_qty for r in fills) == qty, f"traded {[(r.last_qty, r.last_price) for r in fills]}"
    assert {r.last_price for r in fills} == {to_price(price)}, f"prices {[r.last_price for r in fills]}"


# --- halts ------------------------------------------------------------------------------------------


@when("the exchange halts {symbol:w}")
def halt(context, symbol):
    context.bare.exchange.halt(symbol, "operator")


@when("the exchange resumes {symbol:w}")
def resume(context, symbol):
    context.bare.exchange.resume(symbol, "operator")


def _phase(context, symbol: str) -> Phase | None:
    statuses = [m for m in context.bare.market_data if isinstance(m, TradingStatus) and m.symbol == symbol]
    return statuses[-1].phase if statuses else None


@then("the market data feed announces {symbol:w} as halted")
def announced_halted(context, symbol):
    assert _phase(context, symbol) is Phase.HALTED, f"last announced phase: {_phase(context, symbol)}"


@then("after {seconds:d} seconds the market data feed announces {symbol:w} as trading again")
def announced_resumed(context, seconds, symbol):
    context.bare.advance(seconds)
    assert _phase(context, symbol) is Phase.CONTINUOUS, f"last announced phase: {_phase(context, symbol)}"

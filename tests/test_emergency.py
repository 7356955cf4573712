"""The kill switch: every open order cancelled at the exchange, those in flight too, and nothing new
sent; judged from the exchange's records and the venue tap."""

from __future__ import annotations

import pytest

from harness import operations as ops
from harness.session import SessionSpec, TradingSession
from system.intents import Place
from venue.messages import Side


@pytest.fixture
def session():
    s = TradingSession(SessionSpec(seed=3, symbols=3, profile="normal"))
    s.run(20.0)
    yield s
    s.close()


def test_an_order_in_flight_when_the_switch_is_pulled_is_cancelled_once_acknowledged(session):
    symbol = session.market.symbols[0]
    quote = session.system.cache.quote(symbol)
    tick = session.market.instruments_by_symbol[symbol].tick
    sent = session.system.engine.execute(Place(symbol, Side.BUY, 100, int(quote.bid * 0.99) // tick * tick))
    assert sent is not None
    session.system.kill_switch.pull("test")  # the order is not acknowledged yet: nothing to cancel
    session.run(1.0)
    assert ops.open_at_exchange(session) == 0
    assert session.market.exchange.records("ALLUSE").orders[sent].status.value == "cancelled"


def test_the_drill_through_the_operator_api_clears_the_exchange_and_sends_nothing_after(session):
    assert ops.until_open_orders(session) > 0
    drill = ops.kill_switch_drill(ops.OperatorClient(session), watch=10.0)
    assert drill.answer.status == 200
    assert drill.cleared_after is not None and drill.cleared_after <= 1.0
    assert drill.sent_after == 0 and drill.new_at_exchange == 0
    assert session.system.risk.killed


def test_a_trader_cannot_pull_it(session):
    drill = ops.kill_switch_drill(ops.OperatorClient(session), role="trader", watch=10.0)
    assert drill.answer.status == 403 and drill.sent_after > 0

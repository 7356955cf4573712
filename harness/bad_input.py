"""Bad input of a named kind, handed to a component of a running session the way it would arrive.

Each kind builds one malformed thing (a quote, an order, a fill, a configuration) from the live
session's state, gives it to the component that must refuse it, and returns the refusal. A kind
whose input is accepted raises AssertionError: the component let it through.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.session import TradingSession
from system.errors import InvalidInput
from system.intents import Place
from system.risk import RiskLimits
from system.settings import load_settings
from venue.messages import Quote, Side


def _quote(s: TradingSession, **change: object) -> Quote:
    md = s.system.market_data
    symbol = change.pop("symbol", md.symbols[0])
    state = md.state(md.symbols[0])
    fields: dict[str, object] = {
        "bid_price": state.bid,
        "bid_qty": state.bid_qty,
        "ask_price": state.ask,
        "ask_qty": state.ask_qty,
    }
    fields.update(change)
    return Quote(symbol, state.seq + 1, time=s.now, **fields)


def _feed(s: TradingSession, quote: Quote) -> InvalidInput:
    md = s.system.market_data
    last = md.errors[-1] if md.errors else None
    md.on_market_data(quote)
    assert md.errors and md.errors[-1] is not last, "the market data system accepted the bad update"
    return md.errors[-1]


def _order(s: TradingSession, **change: object) -> InvalidInput:
    symbol = s.market.symbols[0]
    fields: dict[str, object] = {
        "symbol": symbol,
        "side": Side.BUY,
        "qty": 100,
        "price": s.market.instruments_by_symbol[symbol].tick,
    }
    fields.update(change)
    sent = len(s.tap.orders)
    try:
        s.system.engine.execute(Place(**fields))
    except InvalidInput as error:
        assert len(s.tap.orders) == sent, "the bad order reached the venue"
        return error
    raise AssertionError("the execution engine accepted the bad order")


def _raises(action: Callable[[], object]) -> InvalidInput:
    try:
        action()
    except InvalidInput as error:
        return error
    raise AssertionError("the bad input was accepted")


def _fill(s: TradingSession) -> InvalidInput:
    symbol = s.market.symbols[0]
    ledger = s.system.ledger
    return _raises(lambda: ledger.apply_fill("bad-fill", "O0", symbol, Side.BUY, -100, 10_000, s.now))


KINDS: dict[str, Callable[[TradingSession], InvalidInput]] = {
    "a quote with a negative bid price": lambda s: _feed(s, _quote(s, bid_price=-100)),
    "a quote with a NaN ask size": lambda s: _feed(s, _quote(s, ask_qty=math.nan)),
    "a crossed quote": lambda s: _feed(s, _quote(s, bid_price=_quote(s).ask_price + 100)),
    "a quote for an unknown symbol": lambda s: _feed(s, _quote(s, symbol="ZZZZ")),
    "an order for zero shares": lambda s: _order(s, qty=0),
    "an order with a NaN price": lambda s: _order(s, price=math.nan),
    "an order on an unknown side": lambda s: _order(s, side="sideways"),
    "risk limits with an unknown key": lambda s: _raises(lambda: RiskLimits.from_dict({"max_ordr_qty": 10})),
    "a fill with a negative quantity": _fill,
    "a configuration with a misspelled key": lambda s: _raises(lambda: load_settings({"pool_sise": 3})),
}


def give(s: TradingSession, kind: str) -> InvalidInput:
    """Hand bad input of ``kind`` to its component; return the refusal."""
    assert kind in KINDS, f"no bad input called {kind!r} (known: {', '.join(KINDS)})"
    return KINDS[kind](s)

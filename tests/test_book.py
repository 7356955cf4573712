"""Examples of the order book's matching: price-time priority, time in force, cancel and replace."""

from __future__ import annotations

import pytest

from simulator.book import Order, OrderBook
from simulator.rules import check_order
from venue.messages import RejectReason, TimeInForce, to_price


def p(text: str) -> int:
    return to_price(text)


def buy(oid: str, price: str | None, qty: int) -> Order:
    return Order(oid, True, None if price is None else p(price), qty)


def sell(oid: str, price: str | None, qty: int) -> Order:
    return Order(oid, False, None if price is None else p(price), qty)


def trades(fills) -> list[tuple[str, int, int]]:
    return [(maker.order_id, qty, price) for maker, qty, price in fills]


def book_with(*orders: Order) -> OrderBook:
    book = OrderBook("ACME")
    for order in orders:
        assert book.submit(order) == []
    return book


def test_empty_book():
    book = OrderBook("ACME")
    assert book.best_bid() is None and book.best_ask() is None
    assert book.depth(5) == ((), ())
    assert len(book) == 0 and list(book.orders()) == []


def test_gtc_limit_rests_when_it_does_not_cross():
    book = book_with(buy("B1", "9.99", 10), sell("S1", "10.01", 20))
    assert book.best_bid() == (p("9.99"), 10)
    assert book.best_ask() == (p("10.01"), 20)
    assert len(book) == 2


def test_buy_takes_cheapest_sellers_first_earliest_first_at_each_price():
    book = book_with(sell("S1", "10.02", 100), sell("S2", "10.01", 100), sell("S3", "10.01", 50))
    taker = buy("B1", "10.02", 180)
    fills = book.submit(taker)
    assert trades(fills) == [("S2", 100, p("10.01")), ("S3", 50, p("10.01")), ("S1", 30, p("10.02"))]
    assert taker.qty == 0
    assert book.best_bid() is None
    assert book.best_ask() == (p("10.02"), 70)
    assert book.get("S1").qty == 70 and book.get("S2") is None


def test_sell_takes_highest_bidders_first():
    book = book_with(buy("B1", "9.98", 10), buy("B2", "9.99", 10), buy("B3", "9.99", 10))
    fills = book.submit(sell("S1", "9.98", 25))
    assert trades(fills) == [("B2", 10, p("9.99")), ("B3", 10, p("9.99")), ("B1", 5, p("9.98"))]


def test_trade_happens_at_the_resting_price():
    book = book_with(sell("S1", "10.00", 10))
    assert trades(book.submit(buy("B1", "10.50", 10))) == [("S1", 10, p("10.00"))]
    book = book_with(buy("B1", "10.00", 10))
    assert trades(book.submit(sell("S1", "9.00", 10))) == [("B1", 10, p("10.00"))]


def test_partial_fill_of_taker_rests_the_rest_at_its_limit():
    book = book_with(sell("S1", "10.00", 60))
    taker = buy("B1", "10.00", 100)
    assert trades(book.submit(taker)) == [("S1", 60, p("10.00"))]
    assert taker.qty == 40
    assert book.best_bid() == (p("10.00"), 40) and book.best_ask() is None
    assert book.get("B1") is taker


def test_partial_fill_of_maker_leaves_it_at_the_front():
    book = book_with(sell("S1", "10.00", 100), sell("S2", "10.00", 100))
    maker = book.get("S1")
    fills = book.submit(buy("B1", "10.00", 30))
    assert fills == [(maker, 30, p("10.00"))] and maker.qty == 70
    assert trades(book.submit(buy("B2", "10.00", 80))) == [("S1", 70, p("10.00")), ("S2", 10, p("10.00"))]


def test_limit_stops_at_its_price():
    book = book_with(sell("S1", "10.00", 10), sell("S2", "10.01", 10))
    taker = buy("B1", "10.00", 15)
    assert trades(book.submit(taker)) == [("S1", 10, p("10.00"))]
    assert book.best_bid() == (p("10.00"), 5) and book.best_ask() == (p("10.01"), 10)


def test_market_order_takes_any_price_and_never_rests():
    book = book_with(buy("B1", "9.99", 40), buy("B2", "9.98", 40))
    taker = sell("S1", None, 100)
    assert trades(book.submit(taker)) == [("B1", 40, p("9.99")), ("B2", 40, p("9.98"))]
    assert taker.qty == 20
    assert len(book) == 0 and book.depth(5) == ((), ())


def test_market_order_into_empty_book_does_nothing():
    book = OrderBook()
    taker = buy("B1", None, 10)
    assert book.submit(taker) == [] and taker.qty == 10 and len(book) == 0


@pytest.mark.parametrize(
    ("tif", "filled", "rests"), [("gtc", 60, True), ("ioc", 60, False), ("fok", 0, False)]
)
def test_time_in_force_decides_the_part_that_cannot_trade(tif, filled, rests):
    book = book_with(sell("S1", "10.00", 60))
    taker = buy("B1", "10.00", 100)
    fills = book.submit(taker, tif)
    assert sum(q for _, q, _ in fills) == filled
    assert taker.qty == 100 - filled
    assert (book.get("B1") is taker) is rests
    if not rests:
        assert book.best_bid() is None
    if tif == "fok":
        assert book.best_ask() == (p("10.00"), 60), "a FOK that cannot fill leaves the book alone"


def test_fok_fills_across_levels_when_enough_is_there():
    book = book_with(sell("S1", "10.00", 60), sell("S2", "10.01", 40), sell("S3", "10.02", 100))
    taker = buy("B1", "10.01", 100)
    assert trades(book.submit(taker, "fok")) == [("S1", 60, p("10.00")), ("S2", 40, p("10.01"))]
    assert taker.qty == 0 and book.best_ask() == (p("10.02"), 100)


def test_fok_does_not_count_liquidity_beyond_its_limit():
    book = book_with(sell("S1", "10.00", 60), sell("S2", "10.02", 100))
    taker = buy("B1", "10.01", 100)
    assert book.submit(taker, "fok") == [] and taker.qty == 100
    assert book.depth(5)[1] == ((p("10.00"), 60), (p("10.02"), 100))


def test_market_fok():
    book = book_with(sell("S1", "10.00", 60), sell("S2", "12.00", 40))
    assert book.submit(buy("B1", None, 101), "fok") == []
    assert len(book) == 2
    assert trades(book.submit(buy("B2", None, 100), "fok")) == [
        ("S1", 60, p("10.00")),
        ("S2", 40, p("12.00")),
    ]


def test_ioc_that_does_not_cross_does_nothing():
    book = book_with(sell("S1", "10.00", 60))
    taker = buy("B1", "9.99", 10)
    assert book.submit(taker, "ioc") == [] and taker.qty == 10 and len(book) == 1


def test_time_in_force_enum_is_accepted_and_unknown_refused():
    book = book_with(sell("S1", "10.00", 60))
    assert trades(book.submit(buy("B1", "10.00", 10), TimeInForce.IOC)) == [("S1", 10, p("10.00"))]
    with pytest.raises(ValueError):
        book.submit(buy("B2", "9.00", 10), "day")
    assert book.get("B2") is None


def test_duplicate_resting_id_raises_key_error():
    book = book_with(buy("B1", "9.99", 10))
    with pytest.raises(KeyError):
        book.submit(sell("B1", "9.99", 10))
    assert book.best_bid() == (p("9.99"), 10) and book.best_ask() is None


def test_non_positive_quantity_is_refused():
    with pytest.raises(ValueError):
        OrderBook().submit(buy("B1", "9.99", 0))


def test_cancel_removes_and_returns_the_order():
    book = book_with(buy("B1", "9.99", 10), buy("B2", "9.99", 20), buy("B3", "9.98", 5))
    order = book.cancel("B1")
    assert order is not None and order.order_id == "B1" and order.qty == 10
    assert book.best_bid() == (p("9.99"), 20) and len(book) == 2
    assert book.cancel("B1") is None and book.cancel("NOPE") is None
    assert [o.order_id for o in book.orders()] == ["B2", "B3"]
    assert trades(book.submit(sell("S1", "9.98", 25))) == [("B2", 20, p("9.99")), ("B3", 5, p("9.98"))]


def test_cancel_of_last_order_at_a_price_removes_the_level():
    book = book_with(buy("B1", "9.99", 10), buy("B2", "9.98", 10))
    book.cancel("B1")
    assert book.best_bid() == (p("9.98"), 10)
    book.cancel("B2")
    assert book.best_bid() is None


def test_filled_order_cannot_be_cancelled():
    book = book_with(sell("S1", "10.00", 10))
    book.submit(buy("B1", "10.00", 10))
    assert book.cancel("S1") is None and book.get("S1") is None


def test_cancelled_order_object_cannot_be_resubmitted():
    book = book_with(buy("B1", "9.99", 10))
    order = book.cancel("B1")
    with pytest.raises(ValueError):
        book.submit(order)


def test_many_cancels_at_a_busy_level_keep_the_queue_right():
    book = OrderBook()
    for i in range(200):
        book.submit(buy(f"B{i}", "9.99", 1))
    for i in range(0, 200, 3):
        book.cancel(f"B{i}")
    kept = [f"B{i}" for i in range(200) if i % 3]
    assert [o.order_id for o in book.orders()] == kept
    assert book.best_bid() == (p("9.99"), len(kept))
    fills = book.submit(sell("S1", "9.99", len(kept)))
    assert [maker.order_id for maker, _, _ in fills] == kept and len(book) == 0


def test_replace_qty_down_keeps_priority():
    book = book_with(buy("B1", "10.00", 100), buy("B2", "10.00", 100))
    order, fills = book.replace("B1", 60, p("10.00"))
    assert fills == [] and order.qty == 60 and book.best_bid() == (p("10.00"), 160)
    assert trades(book.submit(sell("S1", "9.90", 50))) == [("B1", 50, p("10.00"))]


def test_replace_same_qty_and_price_keeps_priority():
    book = book_with(buy("B1", "10.00", 100), buy("B2", "10.00", 100))
    book.replace("B1", 100, None)
    assert [o.order_id for o in book.orders()] == ["B1", "B2"]


def test_replace_qty_up_loses_priority():
    book = book_with(buy("B1", "10.00", 100), buy("B2", "10.00", 100))
    order, fills = book.replace("B1", 150, p("10.00"))
    assert fills == [] and order.qty == 150 and book.best_bid() == (p("10.00"), 250)
    assert trades(book.submit(sell("S1", "9.90", 50))) == [("B2", 50, p("10.00"))]


@pytest.mark.parametrize(("price", "first"), [("10.01", "B1"), ("9.99", "B2")])
def test_replace_price_change_loses_priority(price, first):
    book = book_with(buy("B1", "10.00", 100), buy("B2", "10.00", 100))
    book.replace("B1", 100, p(price))
    assert book.submit(sell("S1", "9.90", 50))[0][0].order_id == first


def test_replace_price_away_and_back_goes_to_the_back():
    book = book_with(buy("B1", "10.00", 10), buy("B2", "10.00", 10))
    book.replace("B1", 10, p("9.99"))
    book.replace("B1", 10, p("10.00"))
    assert [o.order_id for o in book.orders()] == ["B2", "B1"]
    assert book.best_bid() == (p("10.00"), 20) and len(book) == 2


def test_replace_to_a_crossing_price_trades_first():
    book = book_with(buy("B1", "9.99", 100), sell("S1", "10.01", 30), sell("S2", "10.02", 30))
    order, fills = book.replace("B1", 100, p("10.01"))
    assert trades(fills) == [("S1", 30, p("10.01"))]
    assert order.qty == 70 and book.best_bid() == (p("10.01"), 70) and book.best_ask() == (p("10.02"), 30)


def test_replace_that_fills_completely_leaves_the_book():
    book = book_with(buy("B1", "9.99", 30), sell("S1", "10.01", 30))
    order, fills = book.replace("B1", 30, p("10.01"))
    assert trades(fills) == [("S1", 30, p("10.01"))] and order.qty == 0
    assert len(book) == 0 and book.get("B1") is None and book.replace("B1", 10, None) is None


def test_replace_unknown_order_is_none():
    assert OrderBook().replace("NOPE", 10, p("1.00")) is None


def test_replace_to_zero_is_refused():
    book = book_with(buy("B1", "9.99", 30))
    with pytest.raises(ValueError):
        book.replace("B1", 0, None)


def test_depth_aggregates_per_price_best_first_and_truncates():
    book = book_with(
        buy("B1", "9.99", 10),
        buy("B2", "9.97", 10),
        buy("B3", "9.99", 5),
        buy("B4", "9.98", 1),
        sell("S1", "10.02", 7),
        sell("S2", "10.01", 3),
    )
    bids, asks = book.depth(2)
    assert bids == ((p("9.99"), 15), (p("9.98"), 1))
    assert asks == ((p("10.01"), 3), (p("10.02"), 7))
    assert book.depth(0) == ((), ())
    assert len(book.depth(10)[0]) == 3


def test_owner_is_kept_and_returned_in_fills():
    book = OrderBook()
    book.submit(Order("S1", False, p("10.00"), 10, owner="alice"))
    ((maker, _, _),) = book.submit(Order("B1", True, p("10.00"), 10, owner="bob"))
    assert maker.owner == "alice"


# --- rules ---------------------------------------------------------------------------------------


TICK, LOT, BAND = 100, 100, (p("45.00"), p("55.00"))


@pytest.mark.parametrize(
    ("is_market", "price", "qty", "reason"),
    [
        (False, p("50.00"), 100, None),
        (False, p("45.00"), 100, None),
        (False, p("55.00"), 300, None),
        (False, p("50.00"), 0, RejectReason.BAD_QUANTITY),
        (False, p("50.00"), -100, RejectReason.BAD_QUANTITY),
        (False, p("50.00"), 150, RejectReason.BAD_QUANTITY),
        (False, None, 100, RejectReason.MISSING_PRICE),
        (False, p("50.005"), 100, RejectReason.PRICE_OFF_TICK),
        (False, 0, 100, RejectReason.PRICE_OFF_TICK),
        (False, -p("50.00"), 100, RejectReason.PRICE_OFF_TICK),
        (False, p("56.00"), 100, RejectReason.PRICE_OUTSIDE_BAND),
        (False, p("44.99"), 100, RejectReason.PRICE_OUTSIDE_BAND),
        (True, None, 100, None),
        (True, p("99.999"), 100, None),
        (True, None, 150, RejectReason.BAD_QUANTITY),
    ],
)
def test_check_order(is_market, price, qty, reason):
    assert check_order(is_market, price, qty, TICK, LOT, BAND) == reason


def test_check_order_without_band():
    assert check_order(False, p("1000.00"), 1, TICK, 1, None) is None

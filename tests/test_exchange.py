"""Order entry rules of the simulated exchange, driven by hand through BareExchange."""

from __future__ import annotations

import pytest

from harness.bare_exchange import BareExchange
from simulator.instruments import Instrument
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrdStatus,
    OrdType,
    Phase,
    RejectReason,
    ReplaceOrder,
    Side,
    to_price,
)

SYMBOL = "ABC"


def make_instrument() -> Instrument:
    # tick 0.01, lot 100, reference 10.00, band 7.50 .. 12.50
    return Instrument(SYMBOL, "Abc Corp", tick=100, lot=100, reference_price=100_000, band_pct=0.25)


@pytest.fixture
def bx() -> BareExchange:
    return BareExchange(make_instrument(), halt_pct=0.10, halt_seconds=60.0)


def only_report(reports: list) -> ExecutionReport | CancelReject:
    assert len(reports) == 1, reports
    return reports[0][1]


def assert_rejected(reports: list, reason: RejectReason) -> None:
    report = only_report(reports)
    assert isinstance(report, ExecutionReport)
    assert report.exec_type is ExecType.REJECTED
    assert report.status is OrdStatus.REJECTED
    assert report.reason is reason


# --- static rules -----------------------------------------------------------------------------------


def test_accepted_limit_order_rests(bx):
    report = only_report(bx.order("B1", "buy", 200, "10.00"))
    assert report.exec_type is ExecType.NEW
    assert report.status is OrdStatus.NEW
    assert report.leaves_qty == 200
    assert bx.exchange.book(SYMBOL).best_bid() == (to_price("10.00"), 200)


def test_unknown_symbol_rejected(bx):
    assert_rejected(bx.order("X1", "buy", 100, "10.00", symbol="NOPE"), RejectReason.UNKNOWN_SYMBOL)


@pytest.mark.parametrize("qty", [0, -100, 50, 150])
def test_bad_quantity_or_lot_rejected(bx, qty):
    assert_rejected(bx.order("Q1", "buy", qty, "10.00"), RejectReason.BAD_QUANTITY)


def test_off_tick_price_rejected(bx):
    assert_rejected(bx.order("T1", "buy", 100, "10.005"), RejectReason.PRICE_OFF_TICK)


def test_market_order_with_price_rejected(bx):
    message = NewOrder("M1", SYMBOL, Side.BUY, 100, OrdType.MARKET, to_price("10.00"))
    assert_rejected(bx.send("M1", message), RejectReason.PRICE_OFF_TICK)


def test_limit_order_without_price_rejected(bx):
    message = NewOrder("L1", SYMBOL, Side.BUY, 100, OrdType.LIMIT, None)
    assert_rejected(bx.send("L1", message), RejectReason.MISSING_PRICE)


@pytest.mark.parametrize("price", ["7.49", "12.51"])
def test_outside_band_rejected(bx, price):
    assert_rejected(bx.order("P1", "buy", 100, price), RejectReason.PRICE_OUTSIDE_BAND)


@pytest.mark.parametrize("price", ["7.50", "12.50"])
def test_band_edges_accepted(bx, price):
    assert only_report(bx.order("P1", "buy", 100, price)).exec_type is ExecType.NEW


def test_duplicate_client_id_rejected(bx):
    bx.order("D1", "buy", 100, "10.00", account="acct")
    assert_rejected(bx.order("D1", "buy", 100, "9.90", account="acct"), RejectReason.DUPLICATE_CLORDID)


def test_duplicate_client_id_rejected_even_after_order_is_done(bx):
    bx.order("D1", "buy", 100, "10.00", account="acct")
    bx.send("acct", CancelOrder("D2", "D1", SYMBOL))
    assert_rejected(bx.order("D1", "buy", 100, "9.90", account="acct"), RejectReason.DUPLICATE_CLORDID)
    # the cancel's own id is used up as well
    assert_rejected(bx.order("D2", "buy", 100, "9.90", account="acct"), RejectReason.DUPLICATE_CLORDID)


def test_a_refused_client_id_cannot_come_back_as_a_new_order(bx):
    bx.exchange.halt(SYMBOL, "test")
    assert_rejected(bx.order("R1", "buy", 100, "10.00", account="acct"), RejectReason.MARKET_HALTED)
    bx.exchange.resume(SYMBOL, "test")
    # e.g. a client's resend after a reconnect: it must not become a live order the client wrote off
    assert_rejected(bx.order("R1", "buy", 100, "10.00", account="acct"), RejectReason.DUPLICATE_CLORDID)
    assert bx.exchange.records("acct").rejected == {"R1"}


def test_same_client_id_in_another_account_is_fine(bx):
    bx.order("D1", "buy", 100, "10.00", account="a")
    assert only_report(bx.order("D1", "buy", 100, "10.00", account="b")).exec_type is ExecType.NEW


def test_halted_market_rejects_orders(bx):
    bx.exchange.halt(SYMBOL, "test")
    assert bx.exchange.phase(SYMBOL) is Phase.HALTED
    assert_rejected(bx.order("H1", "buy", 100, "10.00"), RejectReason.MARKET_HALTED)


def test_closed_market_rejects_orders(bx):
    bx.exchange.close()
    assert bx.exchange.phase(SYMBOL) is Phase.CLOSED
    assert_rejected(bx.order("C1", "buy", 100, "10.00"), RejectReason.MARKET_CLOSED)


def test_replace_in_halted_market_refused(bx):
    bx.order("R1", "buy", 200, "10.00", account="a")
    bx.exchange.halt(SYMBOL, "test")
    report = only_report(bx.send("a", ReplaceOrder("R2", "R1", SYMBOL, 100, None)))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.MARKET_HALTED


# --- immediate orders ---------------------------------------------------------------------------------


def test_ioc_leaves_cancelled(bx):
    bx.order("S1", "sell", 100, "10.00")
    reports = bx.order("B1", "buy", 300, "10.00", tif="ioc")
    mine = [r for a, r in reports if a == "B1"]
    assert [r.exec_type for r in mine] == [ExecType.NEW, ExecType.PARTIAL_FILL, ExecType.CANCELLED]
    assert mine[-1].status is OrdStatus.CANCELLED
    assert mine[-1].cum_qty == 100
    assert mine[-1].leaves_qty == 0
    assert bx.exchange.book(SYMBOL).best_bid() is None


def test_fok_not_fully_fillable_cancelled_without_fills(bx):
    bx.order("S1", "sell", 100, "10.00")
    reports = bx.order("B1", "buy", 200, "10.00", tif="fok")
    mine = [r for a, r in reports if a == "B1"]
    assert [r.exec_type for r in mine] == [ExecType.NEW, ExecType.CANCELLED]
    assert mine[-1].cum_qty == 0
    assert not bx.reports_of("S1")[1:]  # the maker saw no fill
    assert bx.exchange.book(SYMBOL).best_ask() == (to_price("10.00"), 100)


def test_fok_fully_fillable_fills(bx):
    bx.order("S1", "sell", 200, "10.00")
    mine = [r for a, r in bx.order("B1", "buy", 200, "10.00", tif="fok") if a == "B1"]
    assert [r.exec_type for r in mine] == [ExecType.NEW, ExecType.FILL]
    assert mine[-1].status is OrdStatus.FILLED


def test_market_order_leaves_cancelled(bx):
    bx.order("S1", "sell", 100, "10.00")
    bx.order("S2", "sell", 100, "10.01")
    mine = [r for a, r in bx.order("B1", "buy", 500, None) if a == "B1"]
    assert [r.exec_type for r in mine] == [
        ExecType.NEW,
        ExecType.PARTIAL_FILL,
        ExecType.PARTIAL_FILL,
        ExecType.CANCELLED,
    ]
    assert mine[-1].cum_qty == 200
    assert bx.exchange.book(SYMBOL).best_bid() is None


def test_market_order_into_empty_book_cancelled(bx):
    mine = [r for a, r in bx.order("B1", "buy", 100, None) if a == "B1"]
    assert [r.exec_type for r in mine] == [ExecType.NEW, ExecType.CANCELLED]
    assert mine[-1].cum_qty == 0


# --- replace --------------------------------------------------------------------------------------


def test_replace_qty_down_keeps_priority(bx):
    bx.order("A1", "buy", 300, "10.00", account="A")
    bx.order("B1", "buy", 100, "10.00", account="B")
    report = only_report(bx.send("A", ReplaceOrder("A2", "A1", SYMBOL, 200, None)))
    assert report.exec_type is ExecType.REPLACED
    assert report.cl_ord_id == "A2" and report.orig_cl_ord_id == "A1"
    reports = bx.order("S1", "sell", 100, "10.00", account="S")
    assert bx.trades("S", reports)[0].buyer == "A"


def test_replace_qty_up_loses_priority(bx):
    bx.order("A1", "buy", 100, "10.00", account="A")
    bx.order("B1", "buy", 100, "10.00", account="B")
    bx.send("A", ReplaceOrder("A2", "A1", SYMBOL, 200, None))
    reports = bx.order("S1", "sell", 100, "10.00", account="S")
    assert bx.trades("S", reports)[0].buyer == "B"


def test_replace_price_change_loses_priority(bx):
    bx.order("A1", "buy", 100, "10.00", account="A")
    bx.order("B1", "buy", 100, "10.00", account="B")
    bx.send("A", ReplaceOrder("A2", "A1", SYMBOL, 100, to_price("9.99")))
    bx.send("A", ReplaceOrder("A3", "A2", SYMBOL, 100, to_price("10.00")))
    reports = bx.order("S1", "sell", 100, "10.00", account="S")
    assert bx.trades("S", reports)[0].buyer == "B"


def test_replace_refused_at_or_below_filled_qty(bx):
    bx.order("A1", "buy", 300, "10.00", account="A")
    bx.order("S1", "sell", 200, "10.00", account="S")
    for n, qty in enumerate((100, 200), start=2):
        report = only_report(bx.send("A", ReplaceOrder(f"A{n}", "A1", SYMBOL, qty, None)))
        assert isinstance(report, CancelReject)
        assert report.reason is RejectReason.BAD_QUANTITY
    # above the filled quantity is fine: leaves become qty - filled
    report = only_report(bx.send("A", ReplaceOrder("A9", "A1", SYMBOL, 400, None)))
    assert report.exec_type is ExecType.REPLACED
    assert report.cum_qty == 200 and report.leaves_qty == 200


def test_replace_that_crosses_trades(bx):
    bx.order("S1", "sell", 100, "10.05", account="S")
    bx.order("A1", "buy", 100, "10.00", account="A")
    reports = bx.send("A", ReplaceOrder("A2", "A1", SYMBOL, 100, to_price("10.05")))
    mine = [r for a, r in reports if a == "A"]
    assert [r.exec_type for r in mine] == [ExecType.REPLACED, ExecType.FILL]
    assert mine[-1].cl_ord_id == "A2"


def test_replace_of_unknown_order_refused(bx):
    report = only_report(bx.send("A", ReplaceOrder("A2", "NOPE", SYMBOL, 100, None)))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.UNKNOWN_ORDER


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_of_unknown_order_rejected(bx):
    report = only_report(bx.send("A", CancelOrder("C1", "NOPE", SYMBOL)))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.UNKNOWN_ORDER
    assert report.orig_cl_ord_id == "NOPE"


def test_cancel_of_filled_order_rejected(bx):
    bx.order("S1", "sell", 100, "10.00", account="S")
    bx.order("A1", "buy", 100, "10.00", account="A")
    report = only_report(bx.send("A", CancelOrder("C1", "A1", SYMBOL)))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.UNKNOWN_ORDER


def test_cancel_with_wrong_symbol_rejected(bx):
    bx.order("A1", "buy", 100, "10.00", account="A")
    report = only_report(bx.send("A", CancelOrder("C1", "A1", "XYZ")))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.UNKNOWN_ORDER


def test_cancel_by_another_account_rejected(bx):
    bx.order("A1", "buy", 100, "10.00", account="A")
    report = only_report(bx.send("B", CancelOrder("C1", "A1", SYMBOL)))
    assert isinstance(report, CancelReject)
    assert report.reason is RejectReason.UNKNOWN_ORDER
    assert bx.exchange.book(SYMBOL).best_bid() == (to_price("10.00"), 100)


def test_cancel_removes_order(bx):
    bx.order("A1", "buy", 100, "10.00", account="A")
    report = only_report(bx.send("A", CancelOrder("C1", "A1", SYMBOL)))
    assert report.exec_type is ExecType.CANCELLED
    assert report.cl_ord_id == "C1" and report.orig_cl_ord_id == "A1"
    assert bx.exchange.book(SYMBOL).best_bid() is None


# --- exec_seq -------------------------------------------------------------------------------------


def test_exec_seq_per_account_without_gaps(bx):
    bx.order("A1", "buy", 200, "10.00", account="A")  # new
    bx.order("A1", "buy", 100, "10.00", account="A")  # duplicate: reject
    bx.send("A", CancelOrder("C0", "NOPE", SYMBOL))  # cancel reject
    bx.order("S1", "sell", 100, "10.00", account="S")  # partial fill for A
    bx.send("A", ReplaceOrder("A2", "A1", SYMBOL, 300, None))  # replaced
    bx.send("A", CancelOrder("C1", "A2", SYMBOL))  # cancelled
    bx.order("S2", "sell", 100, "11.00", account="S")
    seqs = [r.exec_seq for r in bx.reports_of("A")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 6
    s_seqs = [r.exec_seq for r in bx.reports_of("S")]
    assert s_seqs == list(range(1, len(s_seqs) + 1))


# --- volatility halt ------------------------------------------------------------------------------


def test_volatility_halt_and_automatic_resume(bx):
    bx.order("S1", "sell", 100, "11.50", account="S")
    bx.order("B1", "buy", 100, "11.50", account="B")  # 15 % from the 10.00 reference
    assert bx.exchange.phase(SYMBOL) is Phase.HALTED
    assert_rejected(bx.order("B2", "buy", 100, "11.50", account="B"), RejectReason.MARKET_HALTED)
    bx.advance(59.0)
    assert bx.exchange.phase(SYMBOL) is Phase.HALTED
    bx.advance(1.0)
    assert bx.exchange.phase(SYMBOL) is Phase.CONTINUOUS
    assert only_report(bx.order("B3", "buy", 100, "11.40", account="B")).exec_type is ExecType.NEW
    statuses = [m.phase for m in bx.market_data if type(m).__name__ == "TradingStatus"]
    assert statuses == [Phase.HALTED, Phase.CONTINUOUS]


def test_trade_within_threshold_does_not_halt(bx):
    bx.order("S1", "sell", 100, "10.90", account="S")
    bx.order("B1", "buy", 100, "10.90", account="B")
    assert bx.exchange.phase(SYMBOL) is Phase.CONTINUOUS


def test_manual_halt_is_not_resumed_by_a_stale_timer(bx):
    bx.order("S1", "sell", 100, "11.50", account="S")
    bx.order("B1", "buy", 100, "11.50", account="B")
    bx.exchange.resume(SYMBOL, "early")
    bx.advance(10.0)
    bx.exchange.halt(SYMBOL, "manual")
    bx.advance(60.0)  # the volatility timer fires, but this halt is not its own
    assert bx.exchange.phase(SYMBOL) is Phase.HALTED


# --- cancel_all and records -----------------------------------------------------------------------


def test_cancel_all_only_cancels_given_order_ids(bx):
    ids = {}
    for clid in ("A1", "A2", "A3"):
        ids[clid] = only_report(bx.order(clid, "buy", 100, "9.90", account="A")).order_id
    bx.order("B1", "buy", 100, "9.90", account="B")
    n = bx.exchange.cancel_all("A", "test", {ids["A1"], ids["A3"]})
    assert n == 2
    records = bx.exchange.records("A").orders
    assert records["A1"].status is OrdStatus.CANCELLED
    assert records["A2"].status is OrdStatus.NEW
    assert records["A3"].status is OrdStatus.CANCELLED
    assert bx.exchange.book(SYMBOL).best_bid() == (to_price("9.90"), 200)
    assert bx.exchange.records("B").orders["B1"].status is OrdStatus.NEW


def test_cancel_all_without_ids_cancels_every_live_order(bx):
    bx.order("A1", "buy", 100, "9.90", account="A")
    bx.order("A2", "sell", 100, "10.10", account="A")
    assert bx.exchange.cancel_all("A") == 2
    assert bx.exchange.cancel_all("A") == 0
    assert bx.exchange.cancel_all("nobody") == 0


def test_records_kept_for_tracked_accounts_only(bx):
    ex = bx.exchange
    untracked = []
    ex.register("BG", untracked.append, tracked=False)
    ex.handle("BG", NewOrder("G1", SYMBOL, Side.SELL, 100, OrdType.LIMIT, to_price("10.00")))
    bx.order("T1", "buy", 100, "10.00", account="T")
    assert ex.records("BG").orders == {}
    rec = ex.records("T").orders["T1"]
    assert rec.status is OrdStatus.FILLED
    assert rec.fills == [(2, 100, to_price("10.00"))]
    assert ex.records("T").fills() == [(rec.order_id, 2, 100, to_price("10.00"))]
    assert ex.records("nobody").orders == {}
    # an untracked account may reuse a client id once its order is done
    ex.handle("BG", NewOrder("G1", SYMBOL, Side.SELL, 100, OrdType.LIMIT, to_price("10.00")))
    assert untracked[-1].exec_type is ExecType.NEW

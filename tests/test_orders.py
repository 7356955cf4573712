"""Tests of the execution engine against a small fake venue that numbers its reports like the real one."""

from __future__ import annotations

import pytest
from fakes import FakeClock

from system.component import HealthState
from system.errors import InvalidInput
from system.intents import Amend, Cancel, Place
from system.orders import OrderRecord, TradingExecutionEngine
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrdStatus,
    RejectReason,
    ReplaceOrder,
    Side,
)


class FakeRisk:
    def __init__(self) -> None:
        self.reason: str | None = None
        self.checks: list[dict] = []

    def check(self, symbol, side, qty, price, position=0, open_same_side=0):
        self.checks.append({"symbol": symbol, "qty": qty, "position": position, "open": open_same_side})
        return self.reason


class FakeLedger:
    def __init__(self) -> None:
        self.fills: dict[str, tuple] = {}
        self.positions: dict[str, int] = {}

    def position(self, symbol: str) -> int:
        return self.positions.get(symbol, 0)

    def apply_fill(self, fill_id, order_id, symbol, side, qty, price, time) -> None:
        assert fill_id not in self.fills, "a fill applied twice"
        self.fills[fill_id] = (order_id, symbol, side, qty, price, time)
        self.positions[symbol] = self.positions.get(symbol, 0) + side.sign * qty

    def realized_pnl(self) -> float:
        return 0.0


class FakePerf:
    def __init__(self) -> None:
        self.records: list[tuple[str, float]] = []

    def record(self, name: str, value: float) -> None:
        self.records.append((name, value))


class FakeVenue:
    """Keeps orders by client id, numbers reports 1, 2, 3, ... and lets the test deliver them."""

    def __init__(self) -> None:
        self.up = True
        self.lose = False  # accept the message at the session but lose it on the way
        self.seq = 0
        self.reports: list[object] = []
        self.received: list[object] = []
        self.orders: dict[str, dict] = {}  # venue order_id -> state
        self.by_cl: dict[str, str] = {}  # every client id seen -> order_id
        self.reject_next: RejectReason | None = None

    def send(self, message: object) -> bool:
        if not self.up:
            return False
        if self.lose:
            return True
        self.received.append(message)
        self._handle(message)
        return True

    def _report(self, order_id: str, cl: str, orig: str | None, exec_type: ExecType, **kw) -> None:
        o = self.orders[order_id]
        working = o["status"] in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED)
        self.seq += 1
        self.reports.append(
            ExecutionReport(
                exec_seq=self.seq,
                order_id=order_id,
                cl_ord_id=cl,
                orig_cl_ord_id=orig,
                symbol=o["symbol"],
                side=o["side"],
                exec_type=exec_type,
                status=kw.pop("status", o["status"]),
                order_qty=o["qty"],
                price=o["price"],
                cum_qty=o["cum"],
                leaves_qty=o["qty"] - o["cum"] if working else 0,
                time=1.5,
                **kw,
            )
        )

    def _reject_cancel(self, m, reason: RejectReason) -> None:
        self.seq += 1
        self.reports.append(CancelReject(m.cl_ord_id, m.orig_cl_ord_id, m.symbol, reason, exec_seq=self.seq))

    def _handle(self, m: object) -> None:
        if isinstance(m, NewOrder):
            if m.cl_ord_id in self.by_cl:
                oid = f"DUP{self.seq}"
                self.orders[oid] = {
                    "symbol": m.symbol,
                    "side": m.side,
                    "qty": m.qty,
                    "price": m.price,
                    "cum": 0,
                    "status": OrdStatus.REJECTED,
                }
                self._report(oid, m.cl_ord_id, None, ExecType.REJECTED, reason=RejectReason.DUPLICATE_CLORDID)
                return
            oid = f"V{len(self.orders) + 1}"
            self.by_cl[m.cl_ord_id] = oid
            self.orders[oid] = {
                "symbol": m.symbol,
                "side": m.side,
                "qty": m.qty,
                "price": m.price,
                "cum": 0,
                "status": OrdStatus.NEW,
                "cl": m.cl_ord_id,
            }
            if self.reject_next is not None:
                self.orders[oid]["status"] = OrdStatus.REJECTED
                self._report(oid, m.cl_ord_id, None, ExecType.REJECTED, reason=self.reject_next)
                self.reject_next = None
                return
            self._report(oid, m.cl_ord_id, None, ExecType.NEW)
        elif isinstance(m, CancelOrder | ReplaceOrder):
            if m.cl_ord_id in self.by_cl:
                self._reject_cancel(m, RejectReason.DUPLICATE_CLORDID)
                return
            oid = self.by_cl.get(m.orig_cl_ord_id)
            o = self.orders.get(oid) if oid else None
            if o is None or o["status"].terminal or o["cl"] != m.orig_cl_ord_id:
                self._reject_cancel(m, RejectReason.UNKNOWN_ORDER)
                return
            self.by_cl[m.cl_ord_id] = oid
            o["cl"] = m.cl_ord_id
            if isinstance(m, CancelOrder):
                o["status"] = OrdStatus.CANCELLED
                self._report(oid, m.cl_ord_id, m.orig_cl_ord_id, ExecType.CANCELLED)
            else:
                o["qty"], o["price"] = m.qty, m.price
                self._report(oid, m.cl_ord_id, m.orig_cl_ord_id, ExecType.REPLACED)

    def fill(self, cl_ord_id: str, qty: int, price: int) -> None:
        oid = self.by_cl[cl_ord_id]
        o = self.orders[oid]
        o["cum"] += qty
        o["status"] = OrdStatus.FILLED if o["cum"] == o["qty"] else OrdStatus.PARTIALLY_FILLED
        exec_type = ExecType.FILL if o["status"] is OrdStatus.FILLED else ExecType.PARTIAL_FILL
        self._report(oid, o["cl"], None, exec_type, last_qty=qty, last_price=price)

    def take(self) -> list[object]:
        out, self.reports = self.reports, []
        return out


def make(**kw):
    clock = FakeClock()
    venue = FakeVenue()
    risk = FakeRisk()
    ledger = FakeLedger()
    perf = FakePerf()
    engine = TradingExecutionEngine(clock, venue.send, risk, ledger, perf=perf, **kw)
    engine.start()
    return engine, venue, risk, ledger, perf, clock


def deliver(engine: TradingExecutionEngine, reports: list[object]) -> None:
    for r in reports:
        engine.on_message(r)


def place(engine, qty=10, price=100, side=Side.BUY, symbol="AAA"):
    return engine.execute(Place(symbol, side, qty, price))


def test_place_ack_fill_lifecycle():
    engine, venue, risk, ledger, perf, clock = make()
    clock.t = 10.0
    cl = place(engine)
    assert cl == "ALU-1"
    rec = engine.order(cl)
    assert isinstance(rec, OrderRecord)
    assert rec.status == "pending_new" and rec.pending == "new" and rec.live and rec.sent_at == 10.0
    assert engine.in_flight()
    assert venue.received == [NewOrder("ALU-1", "AAA", Side.BUY, 10, price=100)]
    clock.t = 10.25
    deliver(engine, venue.take())
    assert rec.status == "new" and rec.order_id == "V1" and rec.pending is None
    assert perf.records == [("decision_to_ack", 0.25)]
    assert not engine.in_flight()
    venue.fill(cl, 4, 101)
    deliver(engine, venue.take())
    assert rec.status == "partially_filled" and rec.cum_qty == 4 and rec.leaves_qty == 6
    venue.fill(cl, 6, 102)
    deliver(engine, venue.take())
    assert rec.status == "filled" and rec.leaves_qty == 0 and not rec.live
    assert rec.fills == [(2, 4, 101), (3, 6, 102)]
    assert ledger.fills["V1:2"] == ("V1", "AAA", Side.BUY, 4, 101, 1.5)
    assert engine.fills == 2 and engine.last_exec_seq() == 3
    assert engine.validate() == []
    assert engine.metrics()["trading_execution_engine.fills"] == 2.0
    assert engine.health().state is HealthState.HEALTHY
    assert len(perf.records) == 1


def test_amend_and_cancel():
    engine, venue, *_ = make()
    cl = place(engine)
    deliver(engine, venue.take())
    new_id = engine.execute(Amend(cl, 8, 99))
    assert new_id == "ALU-2"
    rec = engine.order(cl)
    assert rec.pending == "replace"
    assert engine.execute(Cancel(cl)) is None  # one request in flight at a time
    assert venue.received[-1] == ReplaceOrder("ALU-2", "ALU-1", "AAA", 8, 99)
    deliver(engine, venue.take())
    assert rec.cl_ord_id == "ALU-2" and rec.qty == 8 and rec.price == 99 and rec.leaves_qty == 8
    assert rec.pending is None and rec.status == "new"
    assert engine.order("ALU-2") is rec and engine.orders() == {"ALU-1": rec}
    # Price None keeps the price.
    engine.execute(Amend("ALU-2", 5, None))
    assert venue.received[-1] == ReplaceOrder("ALU-3", "ALU-2", "AAA", 5, 99)
    deliver(engine, venue.take())
    cancel_id = engine.execute(Cancel(rec.cl_ord_id))
    assert venue.received[-1] == CancelOrder(cancel_id, "ALU-3", "AAA")
    assert rec.pending == "cancel"
    deliver(engine, venue.take())
    assert rec.status == "cancelled" and rec.leaves_qty == 0 and rec.pending is None
    with pytest.raises(InvalidInput) as err:
        engine.execute(Cancel(cl))
    assert err.value.field == "cl_ord_id"
    with pytest.raises(InvalidInput):
        engine.execute(Amend("nope", 1, 1))
    assert engine.errors == 0 and engine.validate() == []


def test_amend_speaks_of_the_open_quantity():
    engine, venue, *_ = make()
    cl = place(engine, qty=10)
    deliver(engine, venue.take())
    venue.fill(cl, 4, 100)
    deliver(engine, venue.take())
    engine.execute(Amend(cl, 6, 101))
    assert venue.received[-1] == ReplaceOrder("ALU-2", cl, "AAA", 10, 101)  # 4 filled + 6 left open
    deliver(engine, venue.take())
    rec = engine.order(cl)
    assert rec.cum_qty == 4 and rec.leaves_qty == 6 and rec.price == 101


def test_amend_refused_by_risk_is_not_sent():
    engine, venue, risk, *_ = make()
    cl = place(engine, qty=10)
    deliver(engine, venue.take())
    risk.reason = "collar"
    sent = len(venue.received)
    assert engine.execute(Amend(cl, 10, 150)) is None
    assert len(venue.received) == sent and engine.risk_reject_reasons == {"collar": 1}
    assert risk.checks[-1]["open"] == 0, "the amended order's own open quantity counted twice"
    assert engine.order(cl).pending is None and engine.errors == 0


def test_cancel_too_late_is_not_counted():
    engine, venue, *_ = make()
    cl = place(engine)
    deliver(engine, venue.take())
    engine.execute(Cancel(cl))
    reports = venue.take()  # the cancel is answered, but a fill races it at the venue
    venue.reports = []
    venue.seq -= len(reports)
    venue.fill(cl, 10, 100)
    fill = venue.take()
    deliver(engine, fill)
    late = CancelReject("ALU-2", cl, "AAA", RejectReason.UNKNOWN_ORDER, exec_seq=fill[0].exec_seq + 1)
    deliver(engine, [late])
    rec = engine.order(cl)
    assert rec.status == "filled" and rec.pending is None
    assert engine.cancel_rejects == 0 and engine.errors == 0


def test_duplicate_and_out_of_order_reports():
    engine, venue, risk, ledger, perf, clock = make()
    cl = place(engine)
    venue.fill(cl, 3, 100)
    venue.fill(cl, 7, 100)
    r1, r2, r3 = venue.take()
    engine.on_message(r3)
    engine.on_message(r2)
    rec = engine.order(cl)
    assert rec.status == "pending_new" and engine.last_exec_seq() == 0 and engine.held() == 2
    clock.t = 6.0
    assert engine.health().state is HealthState.DEGRADED  # a gap open for more than 5 s
    engine.on_message(r3)  # already held
    engine.on_message(r1)
    assert engine.last_exec_seq() == 3 and engine.held() == 0
    assert rec.status == "filled" and rec.fills == [(2, 3, 100), (3, 7, 100)]
    for r in (r1, r2, r3):
        engine.on_message(r)
    assert engine.duplicates == 4
    assert len(ledger.fills) == 2 and engine.fills == 2
    assert engine.health().state is HealthState.HEALTHY
    assert engine.validate() == []


def test_resend_after_reconnect_creates_no_duplicate():
    engine, venue, *_ = make()
    venue.up = False
    a = place(engine)  # no live session: stays pending
    assert engine.order(a).status == "pending_new"
    venue.up = True
    b = place(engine)  # reaches the venue, but its reports are lost with the session
    venue.take()
    venue.lose = True
    c = place(engine)  # lost on a dying session
    venue.lose = False
    engine.on_session_ready()
    assert engine.resends == 2  # b and c again; a goes out for the first time
    new_orders = [m for m in venue.received if isinstance(m, NewOrder)]
    assert [m.cl_ord_id for m in new_orders] == [b, a, b, c]
    assert len(venue.by_cl) == 3  # the venue holds each order once
    # The venue replays from the last processed exec_seq: NEW of b, then the new reports.
    replay = [
        ExecutionReport(
            1, "V1", b, None, "AAA", Side.BUY, ExecType.NEW, OrdStatus.NEW, 10, 100, leaves_qty=10
        )
    ]
    deliver(engine, replay + venue.take())
    for cl in (a, b, c):
        assert engine.order(cl).status == "new", cl
        assert engine.order(cl).pending is None
    assert engine.errors == 0 and engine.market_rejects == 0
    assert not engine.in_flight()
    # A second ready sends nothing: nothing is in flight.
    engine.on_session_ready()
    assert engine.resends == 2


def test_resent_cancel_is_idempotent():
    engine, venue, *_ = make()
    cl = place(engine)
    deliver(engine, venue.take())
    engine.execute(Cancel(cl))
    engine.on_session_ready()  # the cancel may have been lost: sent again with the same id
    deliver(engine, venue.take())
    rec = engine.order(cl)
    assert rec.status == "cancelled"
    assert engine.cancel_rejects == 0 and engine.errors == 0


def test_send_failure_keeps_pending_and_ready_resends():
    engine, venue, *_ = make()
    venue.up = False
    cl = place(engine)
    engine.on_session_ready()  # still down: nothing counted
    assert engine.resends == 0
    venue.up = True
    engine.on_session_ready()
    deliver(engine, venue.take())
    assert engine.order(cl).status == "new"
    assert engine.resends == 0  # its first send, not a resend


@pytest.mark.parametrize("session_up, sent_again", [(True, False), (False, True)])
def test_ready_resends_only_what_went_out_on_a_session_now_gone(session_up, sent_again):
    # Another session coming up (the pool's second logon, a replacement) is no reason to send again
    # an order still in flight on a session that is up: the venue would refuse it as a duplicate.
    engine, venue, *_ = make(carries=lambda session: session_up)
    cl = place(engine)
    engine.on_session_ready()
    assert [m.cl_ord_id for m in venue.received] == [cl, cl] if sent_again else [cl]
    assert engine.resends == int(sent_again)
    deliver(engine, venue.take())
    assert engine.order(cl).status == "new" and engine.errors == 0


def test_an_unsent_order_on_a_market_no_longer_seen_is_written_off_at_logon_not_sent():
    # A gateway crash takes the feed with the sessions: an order decided at that instant waits for a
    # session, and by the logon the system has not seen its market for longer than it trusts.
    seen = {"AAA": True, "BBB": True}
    engine, venue, _risk, _ledger, perf, _clock = make(sees=lambda symbol: seen[symbol])
    c = place(engine)  # sent, then lost with its session: only a resend can learn its fate
    venue.take()
    venue.up = False
    a, b = place(engine), place(engine, symbol="BBB")
    seen["AAA"] = False
    venue.up = True
    engine.on_session_ready()
    new_orders = [m.cl_ord_id for m in venue.received if isinstance(m, NewOrder)]
    assert new_orders == [c, c, b]  # a never leaves; b's market is seen; c goes again, seen or not
    assert engine.order(a).status == "expired" and not engine.order(a).live
    assert engine.order(a).pending is None and engine.expired == 1
    assert perf.records == [] and engine.errors == 0
    assert engine.open_orders("AAA") == [engine.order(c)]


def test_risk_reject_counted_apart():
    engine, venue, risk, ledger, *_ = make()
    place(engine, qty=10)
    ledger.positions["AAA"] = 5
    place(engine, qty=3)
    assert risk.checks[1]["open"] == 10 and risk.checks[1]["position"] == 5
    risk.reason = "max_position"
    assert place(engine) is None
    assert engine.risk_rejects == 1 and engine.risk_reject_reasons == {"max_position": 1}
    assert engine.errors == 0 and engine.placed == 2
    assert len(engine.orders()) == 2 and len(venue.received) == 2


def test_venue_rejects_market_and_system():
    engine, venue, *_ = make()
    venue.reject_next = RejectReason.MARKET_HALTED
    a = place(engine)
    venue.reject_next = RejectReason.PRICE_OFF_TICK
    b = place(engine)
    deliver(engine, venue.take())
    assert engine.order(a).status == "rejected"
    assert engine.order(a).reject_reason is RejectReason.MARKET_HALTED
    assert engine.order(b).status == "rejected"
    assert engine.market_rejects == 1 and engine.errors == 1
    assert engine.open_orders("AAA") == []


def test_unmatched_report_is_an_error():
    engine, *_ = make()
    engine.on_message(
        ExecutionReport(1, "X9", "OTHER-1", None, "AAA", Side.SELL, ExecType.NEW, OrdStatus.NEW, 1, 1)
    )
    assert engine.unmatched == 1 and engine.errors == 1 and engine.last_exec_seq() == 1


@pytest.mark.parametrize(
    ("intent", "field"),
    [
        (Place("", Side.BUY, 1, 1), "symbol"),
        (Place("AAA", "buy", 1, 1), "side"),
        (Place("AAA", Side.BUY, 0, 1), "qty"),
        (Place("AAA", Side.BUY, 1.5, 1), "qty"),
        (Place("AAA", Side.BUY, True, 1), "qty"),
        (Place("AAA", Side.BUY, 1, -5), "price"),
        (Place("AAA", Side.BUY, 1, 1.25), "price"),
        ("place", "type"),
    ],
)
def test_bad_intent_refused_naming_the_field(intent, field):
    engine, venue, risk, *_ = make()
    with pytest.raises(InvalidInput) as err:
        engine.execute(intent)
    assert err.value.field == field
    assert engine.orders() == {} and venue.received == [] and risk.checks == []
    assert engine.placed == 0
    # The engine is still usable afterwards.
    assert place(engine) == "ALU-1"


def test_open_orders_and_cancel_all():
    engine, venue, *_ = make()
    a = place(engine, symbol="AAA")
    b = place(engine, symbol="AAA", side=Side.SELL, price=110)
    c = place(engine, symbol="BBB")
    deliver(engine, venue.take())
    engine.execute(Amend(b, 5, None))
    assert {o.cl_ord_id for o in engine.open_orders("AAA")} == {a, b}
    assert engine.cancel_all() == 2  # b has an amend in flight
    deliver(engine, venue.take())
    assert engine.open_orders("AAA")[0].cl_ord_id == "ALU-4"
    assert engine.order(c).status == "cancelled" and engine.order(a).status == "cancelled"
    m = engine.metrics()
    assert m["trading_execution_engine.live"] == 1.0
    assert all(isinstance(v, float) for v in m.values())


def test_validate_catches_inconsistency():
    engine, venue, *_ = make()
    cl = place(engine)
    deliver(engine, venue.take())
    engine.order(cl).cum_qty = 4
    assert any("sum of fills" in p for p in engine.validate())


def test_stopped_health():
    engine, *_ = make()
    engine.stop()
    assert engine.health().state is HealthState.STOPPED


def test_finished_orders_beyond_the_kept_number_leave_memory_for_the_archive(monkeypatch):
    monkeypatch.setattr("system.orders.FINISHED_KEPT", 2)
    engine, venue, *_ = make()
    archived = []
    engine.archive_to(archived.append)
    ids = []
    for _ in range(4):
        cl = place(engine)
        deliver(engine, venue.take())
        engine.execute(Cancel(cl))
        deliver(engine, venue.take())
        ids.append(cl)
        engine.open_orders("AAA")  # the open index lets the finished order go: it is retired
    assert [r.first_cl_ord_id for r in archived] == ids[:2]
    assert all(r.status == "cancelled" for r in archived)
    assert set(engine.orders()) == set(ids[2:])
    # Every id of an archived order is forgotten, its cancel request's too; the kept ones still answer.
    assert engine.order(ids[0]) is None and engine.order(archived[0].request_ids[0]) is None
    assert engine.order(ids[3]) is not None
    assert engine.created == 4


def test_created_since_gives_the_new_orders_and_refuses_a_gap(monkeypatch):
    monkeypatch.setattr("system.orders.FINISHED_KEPT", 3)
    engine, venue, *_ = make()
    first = place(engine)
    assert [r.first_cl_ord_id for r in engine.created_since(0)] == [first]
    assert engine.created_since(1) == []
    more = [place(engine) for _ in range(2)]
    assert [r.first_cl_ord_id for r in engine.created_since(1)] == more
    for _ in range(2):
        place(engine)
    with pytest.raises(InvalidInput, match="gone"):
        engine.created_since(0)  # five created, the newest three remembered

"""The exchange gateway through a simulated Market: logon, session sequencing, replay, faults."""

from __future__ import annotations

import pytest

from harness.feed_recorder import FeedRecorder
from harness.raw_session import RawSession
from simulator.gateway import NONCE_WINDOW
from simulator.world import Market, MarketConfig
from venue import auth
from venue.messages import (
    CancelOrder,
    Envelope,
    ExecType,
    ExecutionReport,
    Heartbeat,
    Logon,
    LogonAck,
    LogonReject,
    Logout,
    NewOrder,
    OrdStatus,
    OrdType,
    RejectReason,
    Side,
)

CREDENTIALS = {"ACME": "acme-secret", "OTHER": "other-secret"}


@pytest.fixture
def market():
    m = Market(MarketConfig(seed=11, symbols=2, profile="normal", credentials=CREDENTIALS))
    m.run(2.0)  # let the background market build its books
    yield m
    m.close()


def step(market: Market, seconds: float = 0.5) -> None:
    market.run(market.env.now + seconds)


def passive_buy(market: Market, clid: str, symbol: str | None = None) -> NewOrder:
    """A buy priced far below the market (inside the band), so it rests untouched."""
    symbol = symbol or market.symbols[0]
    inst = market.instruments_by_symbol[symbol]
    price = (inst.reference_price * 8 // 10) // inst.tick * inst.tick
    return NewOrder(clid, symbol, Side.BUY, inst.lot, OrdType.LIMIT, price)


def logged_on(market: Market, account: str = "ACME", nonce: int = 1, cod: bool = False) -> RawSession:
    session = RawSession(market.gateway)
    session.logon(account, CREDENTIALS[account], nonce, cancel_on_disconnect=cod)
    step(market)
    assert any(isinstance(m, LogonAck) for m in session.received), session.received
    return session


def reports(session: RawSession) -> list[ExecutionReport]:
    return [m for m in session.received if isinstance(m, ExecutionReport)]


def not_heartbeat(session: RawSession) -> list[object]:
    return [m for m in session.received if not isinstance(m, Heartbeat)]


def test_good_logon_is_acknowledged(market):
    session = logged_on(market)
    assert market.gateway.live_sessions("ACME") == 1
    ack = not_heartbeat(session)[0]
    assert isinstance(ack, LogonAck)
    assert ack.last_exec_seq == 0
    assert session.disconnected is None


@pytest.mark.parametrize("account,secret", [("ACME", "wrong"), ("NOBODY", "acme-secret")])
def test_bad_secret_or_unknown_account_rejected(market, account, secret):
    session = RawSession(market.gateway)
    session.logon(account, secret, 1)
    step(market)
    assert len(session.received) == 1
    reject = session.received[0]
    assert isinstance(reject, LogonReject)
    assert reject.reason is RejectReason.BAD_CREDENTIALS
    assert market.gateway.live_sessions() == 0
    # the session is gone: an order sent now is not handled
    session.send(passive_buy(market, "X1"))
    step(market)
    assert market.exchange.records(account).orders == {}


def _refused(market, nonce: int) -> bool:
    session = RawSession(market.gateway)
    session.logon("ACME", CREDENTIALS["ACME"], nonce)
    step(market)
    if [type(m) for m in session.received] == [LogonReject]:
        assert session.received[0].reason is RejectReason.STALE_NONCE
        return True
    return False


def test_replayed_nonce_is_stale(market):
    first = logged_on(market, nonce=5)
    first.connection.close()
    step(market)
    assert _refused(market, 5)
    logged_on(market, nonce=6)
    assert market.gateway.traffic("ACME").refused == ["stale_nonce"]


def test_concurrent_logons_arriving_out_of_order_are_accepted(market):
    # Two sessions of one account log on at once; the network delivers the later nonce first.
    logged_on(market, nonce=8)
    logged_on(market, nonce=7)
    assert market.gateway.traffic("ACME").logons == 2 and not market.gateway.traffic("ACME").refused


def test_a_nonce_older_than_the_whole_window_is_stale(market):
    for nonce in range(100, 100 + NONCE_WINDOW):
        logged_on(market, nonce=nonce).connection.close()
        step(market)
    assert _refused(market, 99)  # older than every remembered nonce
    assert _refused(market, 100 + NONCE_WINDOW - 1)  # remembered
    assert not _refused(market, 100 + NONCE_WINDOW)


def test_order_before_logon_is_ignored(market):
    session = RawSession(market.gateway)
    session.send(passive_buy(market, "EARLY"))
    session.logon("ACME", CREDENTIALS["ACME"], 1)
    step(market)
    assert [type(m) for m in not_heartbeat(session)] == [LogonAck]
    assert market.exchange.records("ACME").orders == {}
    session.send(passive_buy(market, "LATE"))
    step(market)
    assert [r.cl_ord_id for r in reports(session)] == ["LATE"]
    assert reports(session)[0].exec_type is ExecType.NEW


def test_sequence_gap_ends_session(market):
    session = logged_on(market)
    session.send_envelope(Envelope(3, Heartbeat()))  # 2 expected
    step(market)
    assert session.disconnected == RejectReason.SEQUENCE_GAP.value
    assert market.gateway.live_sessions("ACME") == 0
    session.send_envelope(Envelope(2, passive_buy(market, "AFTER")))
    step(market)
    assert market.exchange.records("ACME").orders == {}


def test_sequence_gap_logout_reaches_client(market):
    session = logged_on(market)
    session.send_envelope(Envelope(3, Heartbeat()))
    step(market)
    assert any(isinstance(m, Logout) and "expected 2" in m.text for m in session.received)


def test_duplicate_envelope_is_ignored(market):
    session = logged_on(market)
    envelope = session.send(passive_buy(market, "B1"))
    session.send_envelope(envelope)
    step(market)
    assert [r.cl_ord_id for r in reports(session)] == ["B1"]
    assert session.disconnected is None


def test_resume_from_replays_missed_reports_before_ack(market):
    first = logged_on(market, nonce=1)
    for n in range(1, 4):
        first.send(passive_buy(market, f"B{n}"))
    first.send(CancelOrder("C1", "B1", market.symbols[0]))
    step(market)
    assert [r.exec_seq for r in reports(first)] == [1, 2, 3, 4]
    first.connection.close()
    step(market)
    # two more reports while nobody is connected
    assert market.exchange.cancel_all("ACME", "test") == 2
    step(market)

    second = RawSession(market.gateway)
    signature = auth.sign(CREDENTIALS["ACME"], "ACME", 2)
    second.send(Logon("ACME", signature, 2, resume_from=2))
    step(market)
    got = not_heartbeat(second)
    assert [r.exec_seq for r in got[:-1]] == [3, 4, 5, 6]
    assert all(isinstance(r, ExecutionReport) for r in got[:-1])
    assert isinstance(got[-1], LogonAck)
    assert got[-1].last_exec_seq == 6
    assert [r.status for r in got[2:4]] == [OrdStatus.CANCELLED, OrdStatus.CANCELLED]


def test_resume_from_zero_replays_everything(market):
    first = logged_on(market, nonce=1)
    first.send(passive_buy(market, "B1"))
    step(market)
    first.connection.close()
    step(market)
    second = RawSession(market.gateway)
    second.send(Logon("ACME", auth.sign(CREDENTIALS["ACME"], "ACME", 2), 2, resume_from=0))
    step(market)
    got = not_heartbeat(second)
    assert [type(m) for m in got] == [ExecutionReport, LogonAck]


def test_cancel_on_disconnect_cancels_only_that_sessions_orders(market):
    cod = logged_on(market, nonce=1, cod=True)
    plain = logged_on(market, nonce=2, cod=False)
    other = logged_on(market, "OTHER", nonce=1, cod=True)
    cod.send(passive_buy(market, "COD1"))
    cod.send(passive_buy(market, "COD2", market.symbols[1]))
    plain.send(passive_buy(market, "PLAIN1"))
    other.send(passive_buy(market, "OTH1"))
    step(market)
    cod.connection.close()
    step(market)
    acme = market.exchange.records("ACME").orders
    assert acme["COD1"].status is OrdStatus.CANCELLED
    assert acme["COD2"].status is OrdStatus.CANCELLED
    assert acme["PLAIN1"].status is OrdStatus.NEW
    assert market.exchange.records("OTHER").orders["OTH1"].status is OrdStatus.NEW
    # the cancels reach the account's remaining session
    cancelled = [r.cl_ord_id for r in reports(plain) if r.exec_type is ExecType.CANCELLED]
    assert sorted(cancelled) == ["COD1", "COD2"]


def test_exchange_drop_with_cancel_on_disconnect(market):
    session = logged_on(market, cod=True)
    session.send(passive_buy(market, "B1"))
    step(market)
    market.injector.inject("disconnect", account="ACME")
    step(market)
    assert session.disconnected == "dropped by the exchange"
    assert market.exchange.records("ACME").orders["B1"].status is OrdStatus.CANCELLED


def test_without_cancel_on_disconnect_orders_stay(market):
    session = logged_on(market, cod=False)
    session.send(passive_buy(market, "B1"))
    step(market)
    session.connection.close()
    step(market)
    assert market.exchange.records("ACME").orders["B1"].status is OrdStatus.NEW


def test_drop_feed_gap_is_recovered_by_snapshot(market):
    recorder = FeedRecorder(market.gateway)
    step(market, 3.0)
    # joining mid-stream looks like a gap on each channel, recovered by a snapshot
    joined = sum(recorder.gaps.values())
    assert dict(recorder.recovered) == dict(recorder.gaps)
    step(market, 3.0)
    assert sum(recorder.gaps.values()) == joined
    market.injector.inject("drop_feed", count=5)
    step(market, 5.0)
    assert market.gateway.feed_dropped == 5
    assert sum(recorder.gaps.values()) > joined
    assert dict(recorder.recovered) == dict(recorder.gaps)
    seqs = [recorder.seqs[s] for s in market.symbols]
    assert any(b - a > 1 for ch in seqs for a, b in zip(ch, ch[1:], strict=False))
    # once the market stops moving the recorder's top of book is the exchange's
    market.exchange.close()
    step(market, 2.0)
    for symbol in market.symbols:
        book = market.exchange.book(symbol)
        bid, ask = book.best_bid() or (0, 0), book.best_ask() or (0, 0)
        assert recorder.top[symbol] == (bid[0], bid[1], ask[0], ask[1])


def test_crash_refuses_connects_while_down(market):
    session = logged_on(market)
    market.injector.inject("crash", duration=5.0)
    step(market)
    assert session.disconnected == "gateway crash"
    refused = RawSession(market.gateway)
    step(market)
    assert refused.disconnected == "connection refused: gateway down"
    refused.logon("ACME", CREDENTIALS["ACME"], 2)
    step(market)
    assert refused.received == []
    market.run(market.env.now + 5.0)
    assert market.gateway.up
    again = logged_on(market, nonce=3)
    assert again.disconnected is None

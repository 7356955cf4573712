"""Tests of the session pool against a small fake venue driven by a fake clock and timer."""

from __future__ import annotations

from fakes import FakeClock, FakeTimer

from system.component import HealthState
from system.recovery import BreakerState, CircuitBreaker, ErrorRecoverySystem
from system.sessions import TradingSystemOptimizer
from venue import auth
from venue.messages import (
    CancelReject,
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
    RejectReason,
    Side,
)

SECRET = "s3cret"
ACCOUNT = "ACC"


class FakeConn:
    def __init__(self, venue: FakeVenue, on_receive, on_disconnect) -> None:
        self.venue = venue
        self.on_receive = on_receive
        self.on_disconnect = on_disconnect
        self.sent: list[Envelope] = []
        self.closed = False
        self.out_seq = 0
        self.logged_on = False

    def send(self, envelope: Envelope) -> None:
        if self.closed:
            return
        self.sent.append(envelope)
        self.venue.handle(self, envelope.body)

    def close(self) -> None:
        self.closed = True

    # venue side
    def push(self, body: object, seq: int | None = None) -> None:
        if self.closed:
            return
        self.out_seq = self.out_seq + 1 if seq is None else seq
        self.on_receive(Envelope(self.out_seq, body))

    def drop(self, reason: str = "network") -> None:
        self.closed = True
        self.on_disconnect(reason)

    def bodies(self, kind: type) -> list:
        return [e.body for e in self.sent if isinstance(e.body, kind)]


class FakeVenue:
    """Answers a Logon after ``delay`` with an ack (or a reject when ``reject_logons`` > 0)."""

    def __init__(self, timer: FakeTimer, delay: float = 0.001) -> None:
        self.timer = timer
        self.delay = delay
        self.conns: list[FakeConn] = []
        self.reject_logons = 0
        self.auto_ack = True
        self.nonces: list[int] = []

    def connect(self, on_receive, on_disconnect) -> FakeConn:
        conn = FakeConn(self, on_receive, on_disconnect)
        self.conns.append(conn)
        return conn

    def handle(self, conn: FakeConn, body: object) -> None:
        if isinstance(body, Logon):
            assert auth.verify(SECRET, body.account, body.nonce, body.signature)
            assert not self.nonces or body.nonce > max(self.nonces)
            self.nonces.append(body.nonce)
            if self.reject_logons > 0:
                self.reject_logons -= 1
                self.timer.call_later(self.delay, lambda: conn.push(LogonReject(RejectReason.STALE_NONCE)))
            elif self.auto_ack:
                self.timer.call_later(self.delay, lambda: self._ack(conn))

    def _ack(self, conn: FakeConn) -> None:
        conn.logged_on = True
        conn.push(LogonAck(f"S{len(self.conns)}", 1.0))

    def open_conns(self) -> list[FakeConn]:
        return [c for c in self.conns if not c.closed]


class FakeRecovery:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def opened(self, kind: str, key: str, detail: str = "") -> None:
        self.events.append(("opened", kind, key))

    def closed(self, kind: str, key: str) -> None:
        self.events.append(("closed", kind, key))

    def breaker(self, name: str, failure_threshold: int, reset_after: float) -> CircuitBreaker:
        return CircuitBreaker(name, FakeClock(), failure_threshold, reset_after)


def report(seq: int) -> ExecutionReport:
    return ExecutionReport(
        exec_seq=seq,
        order_id="O1",
        cl_ord_id="ALU-1",
        orig_cl_ord_id=None,
        symbol="AAA",
        side=Side.BUY,
        exec_type=ExecType.NEW,
        status=OrdStatus.NEW,
        order_qty=10,
        price=100,
        leaves_qty=10,
    )


def order(n: int = 1) -> NewOrder:
    return NewOrder(f"ALU-{n}", "AAA", Side.BUY, 10, price=100)


def make(size: int = 2, recovery=None, last_seq: int = 0, clock: FakeClock | None = None):
    clock = clock or FakeClock()
    timer = FakeTimer(clock)
    venue = FakeVenue(timer)
    received: list[object] = []
    ready: list[float] = []
    pool = TradingSystemOptimizer(
        venue,
        ACCOUNT,
        SECRET,
        clock,
        timer,
        on_message=received.append,
        on_ready=lambda: ready.append(clock.now()),
        size=size,
        heartbeat_interval=1.0,
        last_exec_seq=lambda: last_seq,
        recovery=recovery,
    )
    return pool, venue, timer, clock, received, ready


def test_start_logs_on_every_session_with_signed_increasing_nonces():
    pool, venue, timer, clock, _, ready = make(size=3, last_seq=7)
    clock.t = 5.0
    assert pool.health().state is HealthState.STOPPED
    pool.start()
    assert len(venue.conns) == 3
    logons = [c.sent[0] for c in venue.conns]
    assert all(e.seq == 1 and isinstance(e.body, Logon) for e in logons)
    assert all(e.body.resume_from == 7 and e.body.account == ACCOUNT for e in logons)
    nonces = [e.body.nonce for e in logons]
    assert nonces == sorted(set(nonces)) and nonces[0] == 5001
    assert pool.live_sessions() == 0
    assert pool.health().state is HealthState.UNHEALTHY
    assert pool.submit(order()) is None
    timer.advance(0.01)
    assert pool.live_sessions() == 3 and len(ready) == 3
    assert pool.health().state is HealthState.HEALTHY
    assert pool.validate() == []


def test_nonces_increase_across_instances():
    clock = FakeClock()
    clock.t = 1.0
    first, venue1, *_ = make(size=2, clock=clock)
    first.start()
    last = max(c.sent[0].body.nonce for c in venue1.conns)
    assert last == 1002
    first.stop()
    clock.t = 1.01
    second, venue2, *_ = make(size=1, clock=clock)
    second.start()
    # A fresh instance has no memory of the old nonces: the clock keeps it ahead of them.
    assert venue2.conns[0].sent[0].body.nonce > last


def test_submit_round_robin_and_reuse():
    pool, venue, timer, *_ = make(size=2)
    pool.start()
    timer.advance(0.01)
    for n in range(1, 5):
        assert pool.submit(order(n))
    counts = [len(c.bodies(NewOrder)) for c in venue.conns]
    assert counts == [2, 2]
    # Outgoing sequence continues after the logon on each session.
    assert [e.seq for e in venue.conns[0].sent] == [1, 2, 3]
    assert pool.submissions == 4 and pool.reused == 2
    assert pool.reuse_rate() == 0.5
    m = pool.metrics()
    assert m["trading_system_optimizer.submissions"] == 4.0
    assert m["trading_system_optimizer.sessions_live"] == 2.0
    assert all(isinstance(v, float) for v in m.values())


def test_a_session_carries_what_went_out_on_it_until_it_is_lost():
    pool, venue, timer, *_ = make(size=2)
    pool.start()
    timer.advance(0.01)
    first, second = pool.submit(order(1)), pool.submit(order(2))
    assert first != second and pool.carries(first) and pool.carries(second)
    venue.conns[0].drop()
    assert not pool.carries(first) and pool.carries(second)
    timer.advance(5.0)  # the slot is back, on a new connection: what the old one carried is lost
    assert pool.live_sessions() == 2 and not pool.carries(first)
    assert not pool.carries(None) and not pool.carries(True)


def test_reports_passed_on_in_arrival_order_including_replay_before_ack():
    pool, venue, timer, _, received, ready = make(size=1)
    venue.auto_ack = False
    pool.start()
    conn = venue.conns[0]
    conn.push(report(1))
    cr = CancelReject("C1", "ALU-1", "AAA", RejectReason.UNKNOWN_ORDER, exec_seq=3)
    conn.push(cr)
    conn.push(report(2))
    conn.push(Heartbeat())
    assert received == [report(1), cr, report(2)]
    assert ready == []
    conn.push(LogonAck("S1", 1.0))
    assert ready and pool.live_sessions() == 1


def test_sequence_gap_closes_and_reconnects():
    pool, venue, timer, _, received, _ = make(size=1)
    pool.start()
    timer.advance(0.01)
    conn = venue.conns[0]
    conn.push(report(1), seq=5)  # expected 2
    assert received == []
    assert conn.closed and pool.live_sessions() == 0
    timer.advance(0.06)
    assert len(venue.conns) == 2 and pool.reconnects == 1
    timer.advance(0.01)
    assert pool.live_sessions() == 1


def test_repeated_envelope_is_ignored():
    pool, venue, timer, _, received, _ = make(size=1)
    pool.start()
    timer.advance(0.01)
    conn = venue.conns[0]
    conn.push(report(1), seq=2)
    conn.push(report(1), seq=2)
    assert received == [report(1)]
    assert not conn.closed


def test_heartbeats_sent_when_idle_and_silence_kills():
    pool, venue, timer, clock, *_ = make(size=1)
    pool.start()
    timer.advance(0.01)
    conn = venue.conns[0]
    # The venue keeps talking: the client heartbeats about once per interval.
    for _ in range(5):
        timer.advance(0.5)
        conn.push(Heartbeat())
    assert 2 <= len(conn.bodies(Heartbeat)) <= 3
    assert pool.heartbeats_sent == len(conn.bodies(Heartbeat))
    assert not conn.closed
    # Submissions count as traffic: no heartbeat needed while sending.
    pool.submit(order(9))
    before = pool.heartbeats_sent
    for n in range(6):
        timer.advance(0.6)
        pool.submit(order(n + 10))
        conn.push(Heartbeat())
    assert pool.heartbeats_sent == before
    # Silence from the venue for 3 intervals: the session is declared dead and replaced.
    timer.advance(2.99)
    assert not conn.closed
    timer.advance(0.02)
    assert conn.closed
    timer.advance(0.1)
    assert len(venue.conns) == 2


def test_disconnect_backoff_doubles_and_resets():
    recovery = FakeRecovery()
    pool, venue, timer, clock, _, ready = make(size=1, recovery=recovery)
    pool.start()
    timer.advance(0.01)
    venue.auto_ack = False
    venue.conns[0].drop()
    assert pool.health().state is HealthState.UNHEALTHY
    assert recovery.events == [("opened", "session_lost", f"{ACCOUNT}/session-1")]
    times = []
    for _ in range(3):
        n = len(venue.conns)
        while len(venue.conns) == n:
            timer.advance(0.001)
        times.append(clock.t)
        venue.conns[-1].drop()
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [0.1, 0.2]
    assert pool.reconnects == 3
    assert len(recovery.events) == 1  # one incident for the whole outage
    venue.auto_ack = True
    timer.advance(1.0)
    assert pool.live_sessions() == 1
    assert recovery.events[-1] == ("closed", "session_lost", f"{ACCOUNT}/session-1")
    # After a successful logon the backoff starts again at 0.05 s.
    start = clock.t
    venue.conns[-1].drop()
    n = len(venue.conns)
    while len(venue.conns) == n:
        timer.advance(0.001)
    assert round(clock.t - start, 3) == 0.05


def test_backoff_capped_at_two_seconds():
    pool, venue, timer, clock, *_ = make(size=1)
    venue.reject_logons = 100
    pool.start()
    timer.advance(30.0)
    times = []
    for _ in range(3):
        n = len(venue.conns)
        while len(venue.conns) == n:
            timer.advance(0.01)
        times.append(clock.t)
    assert round(times[2] - times[1], 2) == 2.0
    assert pool.live_sessions() == 0


def test_logon_reject_retries_later():
    pool, venue, timer, _, _, ready = make(size=1)
    venue.reject_logons = 1
    pool.start()
    timer.advance(0.01)
    assert pool.live_sessions() == 0 and ready == []
    assert venue.conns[0].closed
    timer.advance(0.1)
    assert pool.live_sessions() == 1 and len(ready) == 1
    assert pool.logon_rejects == 1


def test_partial_pool_is_degraded_and_submit_avoids_dead_session():
    pool, venue, timer, *_ = make(size=2)
    pool.start()
    timer.advance(0.01)
    venue.auto_ack = False
    venue.conns[0].drop()
    assert pool.health().state is HealthState.DEGRADED
    for n in range(3):
        assert pool.submit(order(n))
    assert len(venue.conns[1].bodies(NewOrder)) == 3


def test_venue_logout_replaces_session():
    pool, venue, timer, *_ = make(size=1)
    pool.start()
    timer.advance(0.01)
    venue.conns[0].push(Logout("bye"))
    assert pool.live_sessions() == 0
    timer.advance(0.1)
    assert pool.live_sessions() == 1


def test_stop_logs_out_and_cancels_timers():
    pool, venue, timer, *_ = make(size=2)
    pool.start()
    timer.advance(0.01)
    pool.stop()
    assert all(c.closed for c in venue.conns)
    assert all(len(c.bodies(Logout)) == 1 for c in venue.conns)
    assert timer.live() == 0
    assert pool.health().state is HealthState.STOPPED
    assert pool.submit(order()) is None
    timer.advance(10.0)
    assert len(venue.conns) == 2


def test_session_dropped_during_send_reports_not_sent():
    pool, venue, timer, *_ = make(size=1)
    pool.start()
    timer.advance(0.01)
    conn = venue.conns[0]

    def dying_send(envelope: Envelope) -> None:
        conn.drop("reset")

    conn.send = dying_send  # type: ignore[method-assign]
    assert pool.submit(order()) is None
    assert pool.submissions == 0


def test_refused_logons_open_the_breaker_and_the_pool_pauses():
    clock = FakeClock()
    timer = FakeTimer(clock)
    venue = FakeVenue(timer)
    venue.reject_logons = 1_000
    recovery = ErrorRecoverySystem(clock, timer)
    recovery.start()
    pool = TradingSystemOptimizer(
        venue, ACCOUNT, SECRET, clock, timer, lambda _m: None, lambda: None, size=1, recovery=recovery
    )
    pool.start()
    timer.advance(30.0)
    assert recovery.breaker("venue_logon").state is BreakerState.OPEN
    attempts = pool.reconnects
    timer.advance(5.0)  # the open breaker holds reconnects back
    assert pool.reconnects == attempts and pool.live_sessions() == 0
    venue.reject_logons = 0
    timer.advance(30.0)  # a trial logon after the pause succeeds and closes the breaker
    assert pool.live_sessions() == 1
    assert recovery.breaker("venue_logon").state is BreakerState.CLOSED

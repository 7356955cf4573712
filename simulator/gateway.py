"""The exchange's gateway: order-entry sessions and market data distribution, over modelled links.

It is the venue a client sees (:class:`venue.transport.Venue`): ``connect`` opens an order-entry
connection that must log on (credentials, a fresh nonce), ``subscribe`` opens a market data feed.
Each connection and each subscription is a FIFO link whose delays come from the latency model.

Logon: the signature proves the account's secret; replay is refused by remembering the
``NONCE_WINDOW`` highest nonces each account used, as an anti-replay window does: a logon whose nonce
is one of them, or older than all of them, is refused. Honest clients may open several sessions at
once and the network may deliver their logons in any order, so a nonce need not be the highest yet.
``LOCKOUT_FAILURES`` refused logons of one account within ``LOCKOUT_WINDOW`` seconds lock the account
out for ``LOCKOUT_SECONDS``: every logon is refused meanwhile, right or wrong, so a guesser cannot go
on guessing; sessions already logged on keep trading. A lockout is journaled and kept in the account's
:class:`Traffic`.

Sessions: incoming envelopes are numbered 1, 2, 3, ...; a gap ends the session. Reports of an
order go back on the session that sent the request, or another live session of the account, and
every report is kept per account so a client that logs on with ``resume_from`` gets all it missed
before its LogonAck. Cancel on disconnect cancels the orders a session entered when it ends.

Faults the injector can switch on: drop feed messages, withhold the feed (stale), refuse orders
(reject storm), delay acknowledgements, drop sessions, and crash the gateway for a while.

Compute charging: ``charge(seconds)`` marks the client host busy for that long; while it is busy
nothing is delivered to it, and what it sends leaves when it is done (a single-threaded client).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from simulator.exchange import Exchange
from simulator.journal import Journal
from simulator.latency import FifoLink, LatencyModel
from venue import auth
from venue.messages import (
    CancelOrder,
    CancelReject,
    Envelope,
    ExecutionReport,
    Heartbeat,
    Logon,
    LogonAck,
    LogonReject,
    Logout,
    MarketData,
    NewOrder,
    OrdStatus,
    RejectReason,
    ReplaceOrder,
    SnapshotRequest,
)

_ORDER_ENTRY = (NewOrder, CancelOrder, ReplaceOrder)
_TERMINAL = frozenset(s for s in OrdStatus if s.terminal)
NONCE_WINDOW = 64  # nonces remembered per account; far more than a client's concurrent logons
LOCKOUT_FAILURES = 5  # refused logons of an account within LOCKOUT_WINDOW that lock it out
LOCKOUT_WINDOW = 60.0  # seconds
LOCKOUT_SECONDS = 300.0  # how long a lockout lasts
LOCKED_OUT = "locked_out"  # the reason recorded for a logon refused during a lockout
QUEUE_BINS = 4096  # bins of the receive-queue record; a deeper queue is counted in the last


@dataclass
class Traffic:
    """The gateway's own record of one account's sessions: the venue's side of the story."""

    logons: int = 0  # logons accepted
    refused: list[str] = field(default_factory=list)  # reasons of the logons refused, in order
    lockouts: list[float] = field(default_factory=list)  # simulated times the account was locked out
    order_entries: int = 0  # new, cancel and replace messages that arrived on a logged-on session
    sessions_used: int = 0  # sessions that carried at least one order-entry message

    def reuse(self) -> float:
        """Share of order-entry messages that arrived on a session an earlier one had already used."""
        return 1.0 - self.sessions_used / self.order_entries if self.order_entries else 0.0


class _Session:
    __slots__ = (
        "gateway",
        "sid",
        "on_receive",
        "on_disconnect",
        "up",
        "down",
        "alive",
        "account",
        "expected",
        "out_seq",
        "cod",
        "hb",
        "last_in",
        "last_out",
        "entered",
        "carried",
    )

    def __init__(self, gateway: Gateway, sid: str, on_receive: Callable, on_disconnect: Callable) -> None:
        self.gateway = gateway
        self.sid = sid
        self.on_receive = on_receive
        self.on_disconnect = on_disconnect
        self.up = FifoLink()  # client -> gateway
        self.down = FifoLink()  # gateway -> client
        self.alive = True
        self.account: str | None = None
        self.expected = 1
        self.out_seq = 0
        self.cod = False
        self.hb = 1.0
        self.last_in = gateway.env.now
        self.last_out = gateway.env.now
        self.entered: set[str] = set()  # venue order ids entered on this session
        self.carried = 0  # order-entry messages that arrived on it

    # the client's side of venue.transport.Connection
    def send(self, envelope: Envelope) -> None:
        self.gateway._from_client(self, envelope)

    def close(self) -> None:
        self.gateway._client_closed(self)


class _Subscription:
    __slots__ = ("gateway", "callback", "link", "open", "published")

    def __init__(self, gateway: Gateway, callback: Callable[[MarketData], None]) -> None:
        self.gateway = gateway
        self.callback = callback
        self.link = FifoLink()
        self.open = True
        self.published = -1.0  # the exchange's time of the last update delivered

    def request_snapshot(self, symbol: str) -> None:
        self.gateway._snapshot_request(self, SnapshotRequest(symbol))

    def close(self) -> None:
        self.open = False
        self.gateway._subscriptions.remove(self)


class Gateway:
    def __init__(
        self,
        env: simpy.Environment,
        exchange: Exchange,
        latency: LatencyModel,
        credentials: dict[str, str],
        journal: Journal,
    ) -> None:
        self.env = env
        self.exchange = exchange
        self.latency = latency
        self.credentials = dict(credentials)
        self.journal = journal
        self._sessions: list[_Session] = []  # live sessions, in logon order
        self._subscriptions: list[_Subscription] = []
        self._nonces: dict[str, list[int]] = {}  # account -> its highest nonces, ascending
        self._failures: dict[str, deque[float]] = {}  # account -> times of its recent refused logons
        self._locked_until: dict[str, float] = {}
        self._traffic: dict[str, Traffic] = {}
        self.snapshots_served = 0
        self._reports: dict[str, list] = {}  # account -> every report, index exec_seq - 1
        self._origin: dict[str, _Session] = {}  # venue order id -> session that entered it
        self._current: _Session | None = None  # the session whose request the exchange is handling
        self._session_ids = 0
        self.busy_until = 0.0
        self._inbox: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()  # waiting for a busy client
        # The client's receive queue as the venue sees it: market data arrivals (the updates the
        # exchange published at one instant), counted by how many messages were waiting for the client
        # ahead of each (the last bin: that many or more).
        self.md_queue_ahead = [0] * QUEUE_BINS
        self._draining = False
        # faults
        self.down_until = -1.0
        self.drop_next = 0
        self.stale_until = -1.0
        self.storm_until = -1.0
        self.slow_until = -1.0
        self.slow_extra = 0.0
        self.feed_dropped = 0
        exchange.feed.subscribe(self._on_feed)

    # --- scheduling ---------------------------------------------------------------------------------

    def _at(self, when: float, callback: Callable[..., None], *args: Any) -> None:
        self.env.timeout(max(0.0, when - self.env.now)).callbacks.append(lambda _e: callback(*args))

    def _to_client(self, callback: Callable[..., None], *args: Any) -> None:
        """Deliver to the client now, or, while its host is busy, queue it: a busy single-threaded
        client takes what arrived in order, one message after another, as soon as it is free."""
        if self.busy_until > self.env.now or self._inbox:
            self._inbox.append((callback, args))
            if not self._draining:
                self._draining = True
                self._at(self.busy_until, self._drain)
        else:
            callback(*args)

    def _drain(self) -> None:
        """Hand the client its queued messages while it is free; one wake-up per busy spell, so a
        saturated client costs the simulation one event per message, not one per message per spell."""
        inbox = self._inbox
        while inbox and self.busy_until <= self.env.now:
            callback, args = inbox.popleft()
            callback(*args)
        if inbox:
            self._at(self.busy_until, self._drain)
        else:
            self._draining = False

    def charge(self, seconds: float) -> None:
        self.busy_until = max(self.busy_until, self.env.now) + seconds

    @property
    def up(self) -> bool:
        return self.env.now >= self.down_until

    # --- the Venue protocol -------------------------------------------------------------------------

    def connect(
        self, on_receive: Callable[[Envelope], None], on_disconnect: Callable[[str], None]
    ) -> _Session:
        self._session_ids += 1
        session = _Session(self, f"S{self._session_ids}", on_receive, on_disconnect)
        if not self.up:
            session.alive = False
            self._at(
                self.env.now + self.latency.sample("client_to_gateway", self.env.now),
                self._to_client,
                on_disconnect,
                "connection refused: gateway down",
            )
        return session

    def subscribe(self, on_market_data: Callable[[MarketData], None]) -> _Subscription:
        subscription = _Subscription(self, on_market_data)
        self._subscriptions.append(subscription)
        return subscription

    # --- order entry ----------------------------------------------------------------------------------

    def _from_client(self, session: _Session, envelope: Envelope) -> None:
        if not session.alive:
            return
        now = max(self.env.now, self.busy_until)
        at = session.up.arrival(now, self.latency.sample("client_to_gateway", now))
        self._at(at, self._arrive, session, envelope)

    def _arrive(self, session: _Session, envelope: Envelope) -> None:
        if not session.alive:
            return
        if envelope.seq < session.expected:
            return  # a duplicate of what arrived already
        if envelope.seq > session.expected:
            self.journal.write(
                self.env.now,
                "session_gap",
                {"session": session.sid, "expected": session.expected, "got": envelope.seq},
            )
            self._send(session, Logout(f"sequence gap: expected {session.expected}, got {envelope.seq}"))
            self._drop(session, RejectReason.SEQUENCE_GAP.value)
            return
        session.expected += 1
        session.last_in = self.env.now
        body = envelope.body
        if session.account is None:
            if type(body) is Logon:
                self._logon(session, body)
            else:
                self.journal.write(
                    self.env.now, "not_logged_on", {"session": session.sid, "message": type(body).__name__}
                )
            return
        kind = type(body)
        if kind in _ORDER_ENTRY:
            traffic = self.traffic(session.account)
            traffic.order_entries += 1
            if not session.carried:
                traffic.sessions_used += 1
            session.carried += 1
            now = self.env.now
            self._at(now + self.latency.sample("gateway_to_matching", now), self._match, session, body)
        elif kind is Logout:
            self._client_closed(session)
        elif kind is not Heartbeat:
            self.journal.write(self.env.now, "unexpected", {"session": session.sid, "message": kind.__name__})

    def _logon(self, session: _Session, logon: Logon) -> None:
        secret = self.credentials.get(logon.account)
        now = self.env.now
        seen = self._nonces.get(logon.account, [])
        locked = now < self._locked_until.get(logon.account, -1.0)
        if locked or secret is None or not auth.verify(secret, logon.account, logon.nonce, logon.signature):
            reason = RejectReason.BAD_CREDENTIALS
        elif logon.nonce in seen or (len(seen) >= NONCE_WINDOW and logon.nonce < seen[0]):
            reason = RejectReason.STALE_NONCE
        else:
            reason = None
        if reason is not None:
            recorded = LOCKED_OUT if locked else reason.value
            self.traffic(logon.account).refused.append(recorded)
            self.journal.write(
                now,
                "logon_reject",
                {"session": session.sid, "account": logon.account, "reason": recorded},
            )
            if not locked:
                self._count_failure(logon.account)
            text = reason.value
            if locked:
                text = f"account locked out until {self._locked_until[logon.account]:g}"
            self._send(session, LogonReject(reason, text))
            self._drop(session, f"logon refused: {recorded}", notify=False)
            return
        account = logon.account
        bisect.insort(seen, logon.nonce)
        self._nonces[account] = seen[-NONCE_WINDOW:]
        self.traffic(account).logons += 1
        session.account = account
        session.cod = logon.cancel_on_disconnect
        session.hb = logon.heartbeat_interval
        self._sessions.append(session)
        if account not in self._reports:
            self._reports[account] = []
            self.exchange.register(account, lambda report, a=account: self._on_report(a, report))
        log = self._reports[account]
        self.journal.write(
            now,
            "logon",
            {
                "session": session.sid,
                "account": account,
                "resume_from": logon.resume_from,
                "replayed": len(log) - logon.resume_from,
            },
        )
        for report in log[max(0, logon.resume_from) :]:
            self._send(session, report)
        self._send(session, LogonAck(session.sid, session.hb, len(log)))
        self._at(now + session.hb, self._heartbeat, session)

    def _count_failure(self, account: str) -> None:
        """Remember a refused logon; the LOCKOUT_FAILURES-th within the window locks the account."""
        now = self.env.now
        recent = self._failures.setdefault(account, deque())
        recent.append(now)
        while recent and recent[0] <= now - LOCKOUT_WINDOW:
            recent.popleft()
        if len(recent) >= LOCKOUT_FAILURES:
            recent.clear()
            self._locked_until[account] = now + LOCKOUT_SECONDS
            self.traffic(account).lockouts.append(now)
            self.journal.write(now, "lockout", {"account": account, "until": now + LOCKOUT_SECONDS})

    def locked_out(self, account: str) -> bool:
        return self.env.now < self._locked_until.get(account, -1.0)

    def _heartbeat(self, session: _Session) -> None:
        if not session.alive:
            return
        now = self.env.now
        if now - session.last_in > 3 * session.hb:
            self.journal.write(now, "heartbeat_timeout", {"session": session.sid})
            self._drop(session, "heartbeat timeout")
            return
        if now - session.last_out >= session.hb:
            self._send(session, Heartbeat())
        self._at(now + session.hb, self._heartbeat, session)

    def _match(self, session: _Session, message: NewOrder | CancelOrder | ReplaceOrder) -> None:
        if not self.up:
            return  # lost in the crash
        account = session.account
        self._current = session
        try:
            if self.env.now < self.storm_until:
                self.exchange.refuse(account, message, RejectReason.THROTTLED)
            else:
                self.exchange.handle(account, message)
        finally:
            self._current = None

    def _on_report(self, account: str, report: ExecutionReport | CancelReject) -> None:
        self._reports[account].append(report)
        target = None
        current = self._current
        order_id = getattr(report, "order_id", "")
        if current is not None and current.account == account:
            target = current
            if order_id and order_id not in self._origin:
                self._origin[order_id] = current
                current.entered.add(order_id)
        elif order_id:
            target = self._origin.get(order_id)
        if target is None or not target.alive:
            target = next((s for s in self._sessions if s.account == account), None)
        if type(report) is ExecutionReport and report.status in _TERMINAL and order_id:
            origin = self._origin.pop(order_id, None)
            if origin is not None:
                origin.entered.discard(order_id)
        if target is not None:
            self._send(target, report, ack=True)

    def _send(self, session: _Session, body: object, ack: bool = False) -> None:
        if not session.alive:
            return
        session.out_seq += 1
        now = self.env.now
        session.last_out = now
        delay = self.latency.sample("gateway_to_matching", now) if ack else 0.0
        delay += self.latency.sample("client_to_gateway", now)
        if ack and now < self.slow_until:
            delay += self.slow_extra
        at = session.down.arrival(now, delay)
        self._at(at, self._deliver, session, Envelope(session.out_seq, body))

    def _deliver(self, session: _Session, envelope: Envelope) -> None:
        # A session's last word (a refused logon, a logout) still reaches the client it ends.
        if session.alive or type(envelope.body) in (LogonReject, Logout):
            self._to_client(session.on_receive, envelope)

    def _client_closed(self, session: _Session) -> None:
        if session.alive:
            self._drop(session, "closed by the client", notify=False)

    def _drop(self, session: _Session, reason: str, notify: bool = True) -> None:
        if not session.alive:
            return
        session.alive = False
        if session in self._sessions:
            self._sessions.remove(session)
        self.journal.write(
            self.env.now, "disconnect", {"session": session.sid, "account": session.account, "reason": reason}
        )
        if session.cod and session.account is not None and session.entered:
            self.exchange.cancel_all(session.account, "cancel on disconnect", set(session.entered))
        if notify:
            self._at(self.env.now, self._to_client, session.on_disconnect, reason)

    # --- market data ----------------------------------------------------------------------------------

    def _on_feed(self, message: MarketData) -> None:
        now = self.env.now
        if self.drop_next or now < self.stale_until or now < self.down_until:
            if self.drop_next:
                self.drop_next -= 1
            self.feed_dropped += 1
            return
        sample = self.latency.sample
        for sub in self._subscriptions:
            at = sub.link.arrival(now, sample("feed_to_client", now))
            self._at(at, self._feed_deliver, sub, message)

    def _feed_deliver(self, sub: _Subscription, message: MarketData) -> None:
        if sub.open:
            if message.time != sub.published:
                # The first update of what the exchange published at one instant: a clump of
                # thousands (a reopening, a mass cancel) is one arrival, so the record shows what
                # arrivals find waiting, not each clump's own length again.
                sub.published = message.time
                ahead = len(self._inbox)
                self.md_queue_ahead[ahead if ahead < QUEUE_BINS else QUEUE_BINS - 1] += 1
            self._to_client(sub.callback, message)

    def _snapshot_request(self, sub: _Subscription, request: SnapshotRequest) -> None:
        now = max(self.env.now, self.busy_until)
        self._at(now + self.latency.sample("feed_to_client", now), self._snapshot, sub, request.symbol)

    def _snapshot(self, sub: _Subscription, symbol: str) -> None:
        if not sub.open or not self.up or symbol not in self.exchange.instruments:
            return
        snapshot = self.exchange.snapshot(symbol)
        self.snapshots_served += 1
        self.journal.write(self.env.now, "snapshot", {"symbol": symbol, "seq": snapshot.seq})
        at = sub.link.arrival(self.env.now, self.latency.sample("feed_to_client", self.env.now))
        self._at(at, self._feed_deliver, sub, snapshot)

    # --- faults -----------------------------------------------------------------------------------------

    def drop_feed(self, count: int) -> None:
        self.drop_next += count

    def stale_feed(self, seconds: float) -> None:
        self.stale_until = self.env.now + seconds

    def reject_storm(self, seconds: float) -> None:
        self.storm_until = self.env.now + seconds

    def slow_acks(self, seconds: float, extra: float) -> None:
        self.slow_until = self.env.now + seconds
        self.slow_extra = extra

    def disconnect(self, account: str | None = None) -> int:
        """Drop the live sessions (of ``account``, or all); return how many."""
        victims = [s for s in self._sessions if account is None or s.account == account]
        for session in victims:
            self._drop(session, "dropped by the exchange")
        return len(victims)

    def crash(self, seconds: float) -> int:
        """Take the gateway down for ``seconds``: sessions drop, the feed goes silent, connects fail."""
        self.down_until = self.env.now + seconds
        dropped = 0
        for session in list(self._sessions):
            self._drop(session, "gateway crash")
            dropped += 1
        return dropped

    def traffic(self, account: str) -> Traffic:
        """The account's logons and order-entry traffic as the gateway saw them."""
        found = self._traffic.get(account)
        if found is None:
            found = self._traffic[account] = Traffic()
        return found

    def live_sessions(self, account: str | None = None) -> int:
        return sum(1 for s in self._sessions if account is None or s.account == account)

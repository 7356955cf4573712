"""The order-entry session pool: several logged-on sessions to the venue, kept alive and replaced.

Each slot of the pool owns at most one connection at a time. A slot logs on with a fresh nonce and
``resume_from`` set to the engine's last processed exec_seq, so the venue replays what was missed
before it acknowledges; only then is the slot live and usable by :meth:`TradingSystemOptimizer.submit`.
A slot whose connection drops, goes silent, skips an incoming sequence number or is refused is
closed and reconnected with exponential backoff. The pool never queues a message itself: when no
session is live, ``submit`` says so and the execution engine keeps the request pending until
``on_ready``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from system.component import Health, HealthState, Lifecycle
from venue import auth
from venue.clock import Clock, Timer, TimerHandle
from venue.messages import (
    CancelReject,
    Envelope,
    ExecutionReport,
    Heartbeat,
    Logon,
    LogonAck,
    LogonReject,
    Logout,
)
from venue.transport import Connection, Venue

BACKOFF_START = 0.05
BACKOFF_MAX = 2.0
SILENCE_FACTOR = 3.0  # intervals without any incoming message before a session is declared dead
LOGON_FAILURES = 5  # refused logons in a row that open the logon breaker
LOGON_PAUSE = 10.0  # seconds the open breaker holds reconnects back before a trial logon


class _Slot:
    """One position of the pool and the state of its current connection, if any."""

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name
        self.conn: Connection | None = None
        # Bumped whenever the connection is abandoned, so late callbacks of an old one are ignored.
        self.generation = 0
        self.live = False
        self.out_seq = 0
        self.in_seq = 0
        self.last_sent = 0.0
        self.last_received = 0.0
        self.carried = 0  # submissions since the last logon
        self.backoff = BACKOFF_START
        self.watchdog: TimerHandle | None = None
        self.reconnect: TimerHandle | None = None
        self.lost = False  # a recovery incident is open for this slot
        self.session_id = ""


class TradingSystemOptimizer(Lifecycle):
    """A pool of ``size`` order-entry sessions for one account, with heartbeats and reconnection."""

    name = "trading_system_optimizer"

    def __init__(
        self,
        venue: Venue,
        account: str,
        secret: str,
        clock: Clock,
        timer: Timer,
        on_message: Callable[[object], None],
        on_ready: Callable[[], None],
        size: int = 2,
        heartbeat_interval: float = 1.0,
        cancel_on_disconnect: bool = False,
        last_exec_seq: Callable[[], int] = lambda: 0,
        recovery: Any = None,
    ) -> None:
        super().__init__()
        if size < 1:
            raise ValueError("size must be at least 1")
        if heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be positive")
        self._venue = venue
        self._account = account
        self._secret = secret
        self._clock = clock
        self._timer = timer
        self._on_message = on_message
        self._on_ready = on_ready
        self.size = size
        self.heartbeat_interval = heartbeat_interval
        self.cancel_on_disconnect = cancel_on_disconnect
        self._last_exec_seq = last_exec_seq
        self._recovery = recovery
        # Refused logons (bad credentials, say) are not cured by hammering the venue: after a few the
        # breaker opens and the pool waits before it tries again.
        self._logons = (
            None if recovery is None else recovery.breaker("venue_logon", LOGON_FAILURES, LOGON_PAUSE)
        )
        self._slots = [_Slot(i, f"{account}/session-{i + 1}") for i in range(size)]
        self._nonce = 0
        self._rr = 0
        self.submissions = 0
        self.unsent = 0  # submit calls that found no live session; the engine resends on the next logon
        self.reused = 0
        self.reconnects = 0
        self.heartbeats_sent = 0
        self.logon_rejects = 0
        self.sequence_gaps = 0

    # --- lifecycle --------------------------------------------------------------------------------

    def _on_start(self) -> None:
        # Running already, so that a session lost during its first logon is replaced like any other.
        self.running = True
        for slot in self._slots:
            slot.backoff = BACKOFF_START
            self._connect(slot)

    def _on_stop(self) -> None:
        for slot in self._slots:
            if slot.live and slot.conn is not None:
                self._send(slot, Logout("client stop"))
            self._abandon(slot)
            if slot.reconnect is not None:
                slot.reconnect.cancel()
                slot.reconnect = None
            # A deliberate stop ends the supervision of the slot: nothing is left to recover.
            if slot.lost and self._recovery is not None:
                self._recovery.closed("session_lost", slot.name)
            slot.lost = False

    # --- public API -------------------------------------------------------------------------------

    def submit(self, message: object) -> tuple[str, int] | None:
        """Send ``message`` on a live session, round-robin: the session it went out on (its slot's
        name and connection generation, for :meth:`carries`), or None when no session is live."""
        if not self.running:
            return None
        for _ in range(self.size):
            slot = self._slots[self._rr % self.size]
            self._rr = (self._rr + 1) % self.size
            if not slot.live or slot.conn is None:
                continue
            if not self._send(slot, message):
                continue
            self.submissions += 1
            if slot.carried > 0:
                self.reused += 1
            slot.carried += 1
            return (slot.name, slot.generation)
        self.unsent += 1
        return None

    def carries(self, session: object) -> bool:
        """Whether ``session``, as :meth:`submit` named it, is still the live connection of its slot:
        what went out on it was not lost with a session."""
        if not isinstance(session, tuple) or len(session) != 2:
            return False
        name, generation = session
        return any(s.name == name and s.generation == generation and s.live for s in self._slots)

    def live_sessions(self) -> int:
        return sum(1 for slot in self._slots if slot.live)

    def reuse_rate(self) -> float:
        return self.reused / self.submissions if self.submissions else 0.0

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        live = self.live_sessions()
        if live == 0:
            return Health(HealthState.UNHEALTHY, "no order-entry session is live")
        if live < self.size:
            return Health(HealthState.DEGRADED, f"{live} of {self.size} sessions live")
        return Health(HealthState.HEALTHY, f"{live} sessions live")

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.sessions_live": float(self.live_sessions()),
            f"{n}.submissions": float(self.submissions),
            f"{n}.reused": float(self.reused),
            f"{n}.reuse_rate": self.reuse_rate(),
            f"{n}.reconnects": float(self.reconnects),
            f"{n}.heartbeats_sent": float(self.heartbeats_sent),
        }

    def validate(self) -> list[str]:
        problems = []
        if self.reused > self.submissions:
            problems.append(f"reused {self.reused} > submissions {self.submissions}")
        if self.live_sessions() > self.size:
            problems.append(f"{self.live_sessions()} live sessions > pool size {self.size}")
        for slot in self._slots:
            if slot.live and slot.conn is None:
                problems.append(f"{slot.name} is live without a connection")
        return problems

    # --- connection management --------------------------------------------------------------------

    def _connect(self, slot: _Slot) -> None:
        slot.reconnect = None
        slot.generation += 1
        generation = slot.generation
        slot.live = False
        slot.out_seq = 0
        slot.in_seq = 0
        slot.carried = 0
        now = self._clock.now()
        slot.last_sent = now
        slot.last_received = now
        try:
            slot.conn = self._venue.connect(
                lambda envelope: self._received(slot, generation, envelope),
                lambda reason: self._disconnected(slot, generation, reason),
            )
        except Exception as exc:  # a refused connect is just another reason to back off and retry
            slot.conn = None
            self._lose(slot, f"connect failed: {exc}")
            return
        if generation != slot.generation:
            return  # the connect itself reported a disconnect
        # Milliseconds of the clock keep nonces increasing across optimizer instances of the account.
        self._nonce = max(self._nonce + 1, int(self._clock.now() * 1000) + 1)
        logon = Logon(
            self._account,
            auth.sign(self._secret, self._account, self._nonce),
            self._nonce,
            self.heartbeat_interval,
            self.cancel_on_disconnect,
            resume_from=self._last_exec_seq(),
        )
        if not self._send(slot, logon):
            return
        if generation == slot.generation:
            self._arm_watchdog(slot)

    def _send(self, slot: _Slot, body: object) -> bool:
        conn = slot.conn
        if conn is None:
            return False
        slot.out_seq += 1
        generation = slot.generation
        try:
            conn.send(Envelope(slot.out_seq, body))
        except Exception as exc:
            if generation == slot.generation:
                self._lose(slot, f"send failed: {exc}")
            return False
        slot.last_sent = self._clock.now()
        # The send may have surfaced a disconnect synchronously: the message is then lost.
        return generation == slot.generation

    def _abandon(self, slot: _Slot) -> None:
        """Forget the slot's connection: close it and ignore anything it still reports."""
        slot.generation += 1
        slot.live = False
        if slot.watchdog is not None:
            slot.watchdog.cancel()
            slot.watchdog = None
        conn, slot.conn = slot.conn, None
        if conn is not None:
            # Closing a broken transport must not stop the replacement.
            with contextlib.suppress(Exception):
                conn.close()

    def _lose(self, slot: _Slot, reason: str) -> None:
        """The slot's session is gone: close it, report the loss and schedule a replacement."""
        self._abandon(slot)
        if not self.running:
            return
        if self._recovery is not None and not slot.lost:
            self._recovery.opened("session_lost", slot.name, detail=reason)
        slot.lost = True
        if slot.reconnect is None:
            delay = slot.backoff
            slot.backoff = min(slot.backoff * 2, BACKOFF_MAX)
            slot.reconnect = self._timer.call_later(delay, lambda: self._reconnect(slot))

    def _reconnect(self, slot: _Slot) -> None:
        slot.reconnect = None
        if not self.running:
            return
        if self._logons is not None and not self._logons.allow():
            slot.reconnect = self._timer.call_later(LOGON_PAUSE, lambda: self._reconnect(slot))
            return
        self.reconnects += 1
        self._connect(slot)

    # --- incoming ---------------------------------------------------------------------------------

    def _disconnected(self, slot: _Slot, generation: int, reason: str) -> None:
        if generation != slot.generation:
            return
        slot.conn = None  # the transport is already gone; nothing to close
        self._lose(slot, f"disconnected: {reason}")

    def _received(self, slot: _Slot, generation: int, envelope: Envelope) -> None:
        if generation != slot.generation:
            return
        if envelope.seq <= slot.in_seq:
            return  # a repeat of something already handled
        if envelope.seq != slot.in_seq + 1:
            self.sequence_gaps += 1
            self._lose(slot, f"sequence gap: expected {slot.in_seq + 1}, got {envelope.seq}")
            return
        slot.in_seq = envelope.seq
        slot.last_received = self._clock.now()
        body = envelope.body
        if isinstance(body, ExecutionReport | CancelReject):
            self._on_message(body)
        elif isinstance(body, LogonAck):
            self._logged_on(slot, body)
        elif isinstance(body, LogonReject):
            self.logon_rejects += 1
            if self._logons is not None:
                self._logons.failure()
            self._lose(slot, f"logon rejected: {body.reason} {body.text}".strip())
        elif isinstance(body, Logout):
            self._lose(slot, f"logged out by venue: {body.text}".strip())
        # Heartbeats only refresh last_received.

    def _logged_on(self, slot: _Slot, ack: LogonAck) -> None:
        if self._logons is not None:
            self._logons.success()
        slot.live = True
        slot.carried = 0
        slot.session_id = ack.session_id
        slot.backoff = BACKOFF_START
        # The watchdog now also owes the venue heartbeats, due sooner than the silence deadline.
        self._arm_watchdog(slot)
        if slot.lost:
            slot.lost = False
            if self._recovery is not None:
                self._recovery.closed("session_lost", slot.name)
        self._on_ready()

    # --- heartbeats and liveness ------------------------------------------------------------------

    def _arm_watchdog(self, slot: _Slot) -> None:
        if slot.watchdog is not None:
            slot.watchdog.cancel()
        now = self._clock.now()
        deadline = slot.last_received + SILENCE_FACTOR * self.heartbeat_interval
        if slot.live:
            deadline = min(deadline, slot.last_sent + self.heartbeat_interval)
        generation = slot.generation
        # A floor on the delay keeps a clock that has not advanced from spinning the timer.
        delay = max(deadline - now, self.heartbeat_interval / 100)
        slot.watchdog = self._timer.call_later(delay, lambda: self._watch(slot, generation))

    def _watch(self, slot: _Slot, generation: int) -> None:
        if generation != slot.generation or not self.running:
            return
        slot.watchdog = None
        now = self._clock.now()
        eps = 1e-9
        if now - slot.last_received >= SILENCE_FACTOR * self.heartbeat_interval - eps:
            self._lose(slot, f"silent for {now - slot.last_received:.3f}s")
            return
        if slot.live and now - slot.last_sent >= self.heartbeat_interval - eps:
            if self._send(slot, Heartbeat()):
                self.heartbeats_sent += 1
            if generation != slot.generation:
                return
        self._arm_watchdog(slot)

"""A tap on the venue boundary: what the system sent and what the venue answered, in simulated time.

The harness puts it between the system and the venue, as ``ChargedVenue`` does, so it sees every
order-entry message the system sends and every message and market data update the venue delivers,
without asking the system anything. From it come the figures a component's own counters would
only claim:

- decision-to-acknowledgement latency: from the start of the system callback (market data, session
  message or timer) in which a new order was sent, to the arrival of the venue's first answer to it.
  The callback's start is when the decision's input arrived, so the figure includes the system's
  compute time when that is charged, and any queueing behind a busy system;
- new orders sent (by client id, a resend counted once) and how the venue answered each, with the
  reject reasons it gave;
- requests sent again (the same client id on the wire twice), and those sent again while the
  session that carried them first was still up: nothing was lost with a session, so the copy is
  needless and the venue refuses it as a duplicate; and the logons the venue acknowledged;
- the market as the system was shown it: per symbol, a gap in the feed's sequence numbers (until a
  snapshot repairs it), a halt (until trading resumes), and a feed silent for longer than the
  system's stale bound. A new order sent on such a market is a *protective violation*: the
  response a trader relies on while a fault lasts is to stop trading what it cannot see.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from venue.messages import (
    CancelOrder,
    CancelReject,
    Envelope,
    ExecType,
    ExecutionReport,
    LogonAck,
    NewOrder,
    Phase,
    RejectReason,
    ReplaceOrder,
    Snapshot,
    TradingStatus,
)
from venue.transport import Connection, FeedSubscription, Venue


@dataclass(frozen=True, slots=True)
class Violation:
    time: float
    symbol: str
    cl_ord_id: str
    why: str  # "gapped", "halted" or "stale"


@dataclass
class SentOrder:
    symbol: str
    trigger: float  # simulated time at which the callback that sent it started
    answered: float | None = None  # simulated time of the venue's first answer
    answer_seq: int = 0  # the account's exec_seq of that answer (0: unnumbered)
    rejected: RejectReason | None = None
    qty: int = 0  # as sent


class VenueTap:
    """Wraps a venue; ``now`` reads simulated time. The harness's timer calls :meth:`started`."""

    def __init__(self, venue: Venue, now: Callable[[], float], stale_after: float) -> None:
        self._venue = venue
        self._now = now
        self._trigger = 0.0
        self.stale_after = stale_after
        self.orders: dict[str, SentOrder] = {}
        self.order_entries = 0  # order-entry messages sent (new, cancel, replace), resends included
        self.amendments: dict[str, ReplaceOrder] = {}  # replace requests sent, by their client id
        self.amendments_answered: set[str] = set()  # ... that the venue answered (done or refused)
        self.answer_times = array("d")  # simulated arrival time of every execution report and cancel reject
        self.answer_seqs = array("q")  # ... and its exec_seq (0: unnumbered), beside its time
        self.violations: list[Violation] = []
        self.gaps: list[tuple[float, str]] = []  # (time, symbol) of every gap the feed showed
        self._seqs: dict[str, int] = {}
        self._gapped: set[str] = set()
        self._halted: set[str] = set()
        self._last_md = -1.0  # simulated time of the last market data delivered; -1 before any
        # The host the system runs on: a crash ends a generation, and nothing reaches a dead one.
        self.generation = 0
        self._open: list[Connection | FeedSubscription] = []
        self.md_times = array("d")  # simulated arrival time of every market data message
        self.logons = 0  # LogonAcks the venue sent the system
        self.requests_resent = 0  # requests (new, replace, cancel) sent again before an answer
        self.needless_resends: list[tuple[float, str]] = []  # ... while their first carrier was up
        self._carriers: dict[str, _TappedConnection] = {}  # unanswered request id -> its session

    # --- what the system is doing now ------------------------------------------------------------

    def started(self) -> None:
        """A system callback starts now: whatever it sends was decided on input that arrived now."""
        self._trigger = self._now()

    # --- the Venue protocol ----------------------------------------------------------------------

    def connect(
        self, on_receive: Callable[[Envelope], None], on_disconnect: Callable[[str], None]
    ) -> Connection:
        generation = self.generation

        def received(envelope: Envelope) -> None:
            if generation != self.generation:
                return
            self._trigger = self._now()
            body = envelope.body
            kind = type(body)
            if kind is ExecutionReport or kind is CancelReject:
                self.answer_times.append(self._trigger)
                self.answer_seqs.append(body.exec_seq)
                self._carriers.pop(body.cl_ord_id, None)
                if kind is ExecutionReport:
                    self._answer(body)
                if body.cl_ord_id in self.amendments:
                    self.amendments_answered.add(body.cl_ord_id)
            elif kind is LogonAck:
                self.logons += 1
            on_receive(envelope)

        # Made before the connect, which may report a disconnect at once.
        tapped = _TappedConnection(self, generation)

        def disconnected(reason: str) -> None:
            tapped.up = False
            if generation == self.generation:
                self._trigger = self._now()
                on_disconnect(reason)

        tapped.connection = self._venue.connect(received, disconnected)
        self._open.append(tapped.connection)
        return tapped

    def subscribe(self, on_market_data: Callable[..., None]) -> FeedSubscription:
        times = self.md_times.append
        generation = self.generation

        def shown(message: Any) -> None:
            if generation != self.generation:
                return
            self._trigger = now = self._now()
            self._last_md = now
            times(now)
            self._see(message, now)
            on_market_data(message)

        subscription = self._venue.subscribe(shown)
        self._open.append(subscription)
        return subscription

    def crash(self) -> None:
        """The system's host dies: the operating system closes its connections and its feed (the venue
        sees them go), and nothing more reaches the dead system's callbacks."""
        self.generation += 1
        opened, self._open = self._open, []
        for link in opened:
            link.close()

    def _see(self, message: Any, now: float) -> None:
        symbol, seq = message.symbol, message.seq
        kind = type(message)
        if kind is Snapshot:
            self._seqs[symbol] = seq
            self._gapped.discard(symbol)
            self._phase(symbol, message.phase)
            return
        last = self._seqs.get(symbol)
        if last is not None and seq > last + 1 and symbol not in self._gapped:
            self._gapped.add(symbol)
            self.gaps.append((now, symbol))
        if last is None or seq > last:
            self._seqs[symbol] = seq
        if kind is TradingStatus:
            self._phase(symbol, message.phase)

    def _phase(self, symbol: str, phase: Phase) -> None:
        if phase is Phase.CONTINUOUS:
            self._halted.discard(symbol)
        else:
            self._halted.add(symbol)

    # --- bookkeeping -----------------------------------------------------------------------------

    def _sent(self, envelope: Envelope, carrier: _TappedConnection) -> None:
        body = envelope.body
        kind = type(body)
        if kind is NewOrder or kind is ReplaceOrder or kind is CancelOrder:
            first = self._carriers.get(body.cl_ord_id)
            if first is not None:
                self.requests_resent += 1
                if first.up and first.generation == self.generation:
                    self.needless_resends.append((self._now(), body.cl_ord_id))
            self._carriers[body.cl_ord_id] = carrier
        if kind is NewOrder:
            self.order_entries += 1
            if body.cl_ord_id not in self.orders:
                self.orders[body.cl_ord_id] = SentOrder(body.symbol, self._trigger, qty=body.qty)
                self._judge(body)
        elif kind is ReplaceOrder:
            self.order_entries += 1
            self.amendments.setdefault(body.cl_ord_id, body)
        elif kind is CancelOrder:
            self.order_entries += 1

    def _judge(self, order: NewOrder) -> None:
        now, symbol = self._now(), order.symbol
        why = None
        if symbol in self._gapped:
            why = "gapped"
        elif symbol in self._halted:
            why = "halted"
        elif self._last_md >= 0 and now - self._last_md > self.stale_after:
            why = "stale"
        if why is not None:
            self.violations.append(Violation(now, symbol, order.cl_ord_id, why))

    def _answer(self, report: ExecutionReport) -> None:
        sent = self.orders.get(report.cl_ord_id)
        if sent is None or sent.answered is not None:
            return
        sent.answered = self._now()
        sent.answer_seq = report.exec_seq
        if report.exec_type is ExecType.REJECTED:
            sent.rejected = report.reason

    # --- figures ---------------------------------------------------------------------------------

    def ack_latencies(self) -> list[float]:
        """Seconds from decision to the venue's first answer, per answered new order, in send order."""
        return [o.answered - o.trigger for o in self.orders.values() if o.answered is not None]

    def in_order_latencies(self) -> list[float]:
        """Seconds from decision until the venue's first answer could be applied in the account's
        exec_seq order, per answered new order: once it and every report numbered before it had
        arrived, on whichever session. Reports of a pool's sessions arrive out of that order, and a
        system must apply them in it; an answer after a number that never arrived is left out."""
        first: dict[int, float] = {}  # exec_seq -> its first arrival (a replay may bring it again)
        for seq, t in zip(self.answer_seqs, self.answer_times, strict=True):
            if seq > 0 and seq not in first:
                first[seq] = t
        ready: dict[int, float] = {}
        latest, expected = 0.0, None
        for seq in sorted(first):
            if expected is not None and seq != expected:
                break
            latest = max(latest, first[seq])
            ready[seq] = latest
            expected = seq + 1
        return [
            (o.answered if o.answer_seq <= 0 else ready[o.answer_seq]) - o.trigger
            for o in self.orders.values()
            if o.answered is not None and (o.answer_seq <= 0 or o.answer_seq in ready)
        ]

    def silent_for(self) -> float:
        """Seconds since market data last reached the system (0 before any arrived)."""
        return self._now() - self._last_md if self._last_md >= 0 else 0.0

    def silence(self, start: float, end: float) -> float:
        """The longest stretch of [start, end] in which no market data reached the system."""
        times = self.md_times
        i = bisect.bisect_left(times, start)
        longest, last = 0.0, start
        while i < len(times) and times[i] <= end:
            longest, last = max(longest, times[i] - last), times[i]
            i += 1
        return max(longest, end - last)

    def in_flight(self, start: float, end: float) -> int:
        """New orders sent before ``end`` and answered after ``start`` (or never)."""
        return sum(
            1
            for o in self.orders.values()
            if o.trigger <= end and (o.answered is None or o.answered >= start)
        )

    def answered_in(self, cl_ord_id: str, start: float, end: float) -> bool:
        answered = self.orders[cl_ord_id].answered
        return answered is not None and start <= answered <= end

    def unanswered(self) -> list[str]:
        return [clid for clid, o in self.orders.items() if o.answered is None]

    def rejects(self) -> dict[str, RejectReason | None]:
        return {clid: o.rejected for clid, o in self.orders.items() if o.rejected is not None}


class _TappedConnection:
    """A session as the tap sees it: up from its connect until either side ends it."""

    connection: Connection  # the venue's, set once connected

    def __init__(self, tap: VenueTap, generation: int) -> None:
        self._tap = tap
        self.generation = generation  # the host's generation: a crash ends every session with it
        self.up = True

    def send(self, envelope: Envelope) -> None:
        self._tap._sent(envelope, self)
        self.connection.send(envelope)

    def close(self) -> None:
        self.up = False
        self.connection.close()

"""The execution engine: turns intents into venue orders and keeps each order's state from reports.

Reports are applied strictly in the account's ``exec_seq`` order, whatever session delivered them:
a repeat is dropped, a report past a gap waits until the gap is filled (by the other session, or by
the venue's replay at the next logon, which resumes from :meth:`TradingExecutionEngine.last_exec_seq`).
A request that may have been lost with a session (the one it went out on is gone, or none was up)
is sent again, unchanged, when a session becomes ready; one still in flight on a live session is
not. The venue refuses a client order id it already has, so a resend never doubles an order.

A finished order (done, nothing in flight) stays in memory among the newest :data:`FINISHED_KEPT`;
an older one leaves it for the operations database, which wrote it long before, so a day of
hundreds of thousands of orders keeps the engine's memory flat.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput, require_positive_int, require_side, require_text
from system.intents import Amend, Cancel, Place
from venue.clock import Clock
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrdStatus,
    OrdType,
    RejectReason,
    ReplaceOrder,
    Side,
    TimeInForce,
)

PENDING_NEW = "pending_new"
NEW = "new"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
CANCELLED = "cancelled"
REJECTED = "rejected"
EXPIRED = "expired"  # never sent: decided while no session was up, on a market no longer seen at logon
LIVE_STATUSES = (PENDING_NEW, NEW, PARTIALLY_FILLED)

# Rejects caused by the market's state, not by a mistake of the system.
MARKET_REASONS = frozenset(
    (
        RejectReason.MARKET_HALTED,
        RejectReason.MARKET_CLOSED,
        RejectReason.THROTTLED,
        RejectReason.NO_LIQUIDITY,
    )
)
GAP_STALL_SECONDS = 5.0
# Finished orders kept in memory. Far more than a late report could need (a report comes within
# seconds, while the 50,000th order since takes minutes at the busiest), and more than any shorter
# session finishes, which so keeps every order it sent.
FINISHED_KEPT = 50_000

_STATUS = {
    OrdStatus.NEW: NEW,
    OrdStatus.PARTIALLY_FILLED: PARTIALLY_FILLED,
    OrdStatus.FILLED: FILLED,
    OrdStatus.CANCELLED: CANCELLED,
    OrdStatus.REJECTED: REJECTED,
}


INTENT = "order intent"  # where a refused intent is said to come from


@dataclass
class OrderRecord:
    """One order as the system knows it; keyed by its first client id for its whole life."""

    cl_ord_id: str
    first_cl_ord_id: str
    symbol: str
    side: Side
    qty: int
    price: int | None
    tif: TimeInForce = TimeInForce.GTC
    order_id: str | None = None
    cum_qty: int = 0
    leaves_qty: int = 0
    status: str = PENDING_NEW
    pending: str | None = "new"  # the request in flight: "new", "replace", "cancel" or None
    pending_id: str | None = None  # client id of the request in flight
    fills: list[tuple[int, int, int]] = field(default_factory=list)  # (exec_seq, qty, price)
    reject_reason: RejectReason | None = None
    sent_at: float = 0.0
    last_message: object | None = None  # the request in flight, kept to resend it unchanged
    sent_on: object | None = None  # the session it went out on, as ``send`` named it (None: unsent)
    resent_ids: set[str] = field(default_factory=set)  # request ids sent more than once
    answered: bool = False  # the venue has answered the NewOrder
    request_ids: list[str] = field(default_factory=list)  # amend and cancel requests, by client id

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


class TradingExecutionEngine(Lifecycle):
    """Order manager: risk-checked placement, amend and cancel, state from execution reports."""

    name = "trading_execution_engine"

    def __init__(
        self,
        clock: Clock,
        send: Callable[[object], object | None],
        risk: Any,
        ledger: Any,
        perf: Any = None,
        id_prefix: str = "ALU",
        carries: Callable[[object], bool] = lambda _session: False,
        sees: Callable[[str], bool] = lambda _symbol: True,
    ) -> None:
        """``send`` sends a message on a session and names the session (anything true), or returns
        something false when no session is live; ``carries(session)`` says whether a session that
        ``send`` named is still up (by default none is: every pending request is sent again);
        ``sees(symbol)`` whether the system sees that market now (its feed fresh, its book whole)."""
        super().__init__()
        self._clock = clock
        self._send = send
        self._carries = carries
        self._sees = sees
        self._risk = risk
        self._ledger = ledger
        self._perf = perf
        self._prefix = id_prefix
        self._next_id = 0
        self._orders: dict[str, OrderRecord] = {}
        self._by_id: dict[str, OrderRecord] = {}
        self._by_order_id: dict[str, OrderRecord] = {}
        self._finished: dict[str, OrderRecord] = {}  # first client id -> finished order, oldest first
        self._archive: Callable[[OrderRecord], None] | None = None
        self.created = 0  # orders placed or adopted, ever
        self._recent: deque[OrderRecord] = deque(maxlen=FINISHED_KEPT)  # the newest of them
        # symbol -> first client id -> order that is live or has a request in flight; pruned lazily
        self._open: dict[str, dict[str, OrderRecord]] = {}
        self._last_seq = 0
        self._held: dict[int, tuple[object, float]] = {}  # exec_seq -> (report, arrival time)
        self.placed = 0
        self.errors = 0
        self.risk_checks = 0  # requests put to the pre-trade risk check (new orders and amendments)
        self.risk_rejects = 0
        self.risk_reject_reasons: dict[str, int] = {}
        self.market_rejects = 0
        self.fills = 0
        self.duplicates = 0
        self.resends = 0
        self.expired = 0  # new orders written off unsent (see on_session_ready)
        self.unmatched = 0
        self.cancel_rejects = 0
        self._recovering = False  # rebuilding the orders from the venue's replay (recover_from_venue)
        self.adopted = 0  # orders rebuilt from the venue's replay

    # --- queries ----------------------------------------------------------------------------------

    def orders(self) -> dict[str, OrderRecord]:
        """The orders in memory: every live one and the newest finished ones (see FINISHED_KEPT)."""
        return dict(self._orders)

    def archive_to(self, archive: Callable[[OrderRecord], None]) -> None:
        """Hand each finished order that leaves memory to ``archive`` first (the operations database)."""
        self._archive = archive

    def created_since(self, count: int) -> list[OrderRecord]:
        """The orders created after the first ``count``, oldest first; raises when some of them have
        already left the window of recent orders (the caller read too seldom)."""
        fresh = self.created - count
        if fresh > len(self._recent):
            lost = fresh - len(self._recent)
            raise InvalidInput(self.name, "count", f"{lost} of the orders created after {count} are gone")
        # From the newest end: a deque is walked from where the slice starts.
        return list(islice(reversed(self._recent), fresh))[::-1] if fresh > 0 else []

    def order(self, cl_ord_id: str) -> OrderRecord | None:
        return self._by_id.get(cl_ord_id)

    def open_orders(self, symbol: str) -> list[OrderRecord]:
        """The live orders of ``symbol``; prunes the index of orders that are done with."""
        index = self._open.get(symbol)
        if not index:
            return []
        live = []
        for key, record in list(index.items()):
            if record.live:
                live.append(record)
            elif not record.pending:
                del index[key]  # an order never comes back to life, so it can leave the index for good
                self._retire(record)
        return live

    def _retire(self, record: OrderRecord) -> None:
        """A finished order joins the newest finished; the oldest beyond FINISHED_KEPT leaves memory."""
        self._finished[record.first_cl_ord_id] = record
        if len(self._finished) <= FINISHED_KEPT:
            return
        oldest = self._finished.pop(next(iter(self._finished)))
        if self._archive is not None:
            self._archive(oldest)
        del self._orders[oldest.first_cl_ord_id]
        for cl_ord_id in (oldest.first_cl_ord_id, oldest.cl_ord_id, *oldest.request_ids):
            if self._by_id.get(cl_ord_id) is oldest:
                del self._by_id[cl_ord_id]
        if oldest.order_id is not None and self._by_order_id.get(oldest.order_id) is oldest:
            del self._by_order_id[oldest.order_id]

    def in_flight(self) -> bool:
        return any(o.pending for index in self._open.values() for o in index.values())

    def live_count(self) -> int:
        return sum(len(self.open_orders(symbol)) for symbol in list(self._open))

    def last_exec_seq(self) -> int:
        return self._last_seq

    def held(self) -> int:
        """Reports waiting for an earlier exec_seq."""
        return len(self._held)

    # --- intents ----------------------------------------------------------------------------------

    def execute(self, intent: object) -> str | None:
        """Act on an intent; the client id of the request sent, or None when nothing was sent."""
        if isinstance(intent, Place):
            return self._place(intent)
        if isinstance(intent, Amend):
            return self._amend(intent)
        if isinstance(intent, Cancel):
            return self._cancel(intent)
        raise InvalidInput("order intent", "type", f"not an intent: {type(intent).__name__}")

    def cancel_all(self) -> int:
        """Cancel every live order with no request in flight; the number of cancels sent."""
        sent = 0
        for symbol in list(self._open):
            for record in self.open_orders(symbol):
                if not record.pending and self._cancel(Cancel(record.cl_ord_id)) is not None:
                    sent += 1
        return sent

    def recover_from_venue(self) -> None:
        """Rebuild the orders from the venue instead of starting with none (a restart on a restored
        database, whose orders table may be behind the venue). Call before the first logon: sessions
        then resume from exec_seq 0, so the venue replays every report of the account before its
        LogonAck. Until that first session is ready, a report of an order the engine does not know
        adopts it, and no new order or amendment is sent, so no new client id can collide with one a
        previous incarnation used (the id counter continues after the highest id replayed)."""
        self._recovering = True

    @property
    def recovering(self) -> bool:
        return self._recovering

    def _place(self, intent: Place) -> str | None:
        require_text(INTENT, "symbol", intent.symbol)
        require_side(INTENT, "side", intent.side)
        require_positive_int(INTENT, "qty", intent.qty)
        if intent.price is not None:
            require_positive_int(INTENT, "price", intent.price)
        if not isinstance(intent.tif, TimeInForce):
            raise InvalidInput("order intent", "tif", f"not a TimeInForce: {intent.tif!r}")
        if self._recovering or self._risk_refuses(intent.symbol, intent.side, intent.qty, intent.price):
            return None
        cl_ord_id = self._new_id()
        record = OrderRecord(
            cl_ord_id=cl_ord_id,
            first_cl_ord_id=cl_ord_id,
            symbol=intent.symbol,
            side=intent.side,
            qty=intent.qty,
            price=intent.price,
            tif=intent.tif,
            leaves_qty=intent.qty,
            sent_at=self._clock.now(),
            pending_id=cl_ord_id,
        )
        record.last_message = NewOrder(
            cl_ord_id,
            intent.symbol,
            intent.side,
            intent.qty,
            OrdType.MARKET if intent.price is None else OrdType.LIMIT,
            intent.price,
            intent.tif,
        )
        self._track(record)
        self.placed += 1
        # Not sent now means sent on the next on_session_ready: the order stays pending_new.
        record.sent_on = self._send(record.last_message)
        return cl_ord_id

    def _amend(self, intent: Amend) -> str | None:
        record = self._live_order(intent.cl_ord_id)
        require_positive_int(INTENT, "qty", intent.qty)
        if intent.price is not None:
            require_positive_int(INTENT, "price", intent.price)
        if record.pending or self._recovering:
            return None
        price = record.price if intent.price is None else intent.price
        # An amended order is a new commitment at its new size and price: the same limits apply.
        if self._risk_refuses(record.symbol, record.side, intent.qty, price, excluding=record):
            return None
        new_id = self._new_id()
        # The venue takes the order's new total; the intent speaks of what is left open.
        total = record.cum_qty + intent.qty
        record.last_message = ReplaceOrder(new_id, record.cl_ord_id, record.symbol, total, price)
        return self._request(record, "replace", new_id)

    def _risk_refuses(
        self, symbol: str, side: Side, qty: int, price: int | None, excluding: OrderRecord | None = None
    ) -> bool:
        """Ask risk about an order of ``qty`` open; count and report a refusal (not an error)."""
        self.risk_checks += 1
        open_same_side = sum(
            o.leaves_qty for o in self.open_orders(symbol) if o.side is side and o is not excluding
        )
        reason = self._risk.check(
            symbol, side, qty, price, position=self._ledger.position(symbol), open_same_side=open_same_side
        )
        if reason is None:
            return False
        self.risk_rejects += 1
        key = str(reason)
        self.risk_reject_reasons[key] = self.risk_reject_reasons.get(key, 0) + 1
        return True

    def _cancel(self, intent: Cancel) -> str | None:
        record = self._live_order(intent.cl_ord_id)
        if record.pending:
            return None
        new_id = self._new_id()
        record.last_message = CancelOrder(new_id, record.cl_ord_id, record.symbol)
        return self._request(record, "cancel", new_id)

    def _request(self, record: OrderRecord, kind: str, new_id: str) -> str:
        record.pending = kind
        record.pending_id = new_id
        record.request_ids.append(new_id)
        self._by_id[new_id] = record
        record.sent_on = self._send(record.last_message)
        return new_id

    def _live_order(self, cl_ord_id: object) -> OrderRecord:
        if not isinstance(cl_ord_id, str) or not cl_ord_id:
            raise InvalidInput("order intent", "cl_ord_id", f"not a client order id: {cl_ord_id!r}")
        record = self._by_id.get(cl_ord_id)
        if record is None:
            raise InvalidInput("order intent", "cl_ord_id", f"unknown order {cl_ord_id!r}")
        if not record.live:
            raise InvalidInput("order intent", "cl_ord_id", f"order {cl_ord_id!r} is {record.status}")
        return record

    def _new_id(self) -> str:
        self._next_id += 1
        return f"{self._prefix}-{self._next_id}"

    # --- sessions ---------------------------------------------------------------------------------

    def on_session_ready(self) -> None:
        """A session is up: send every request that was not sent, and again every one that may have
        been lost with its session. One in flight on a session still up is left alone: sent again,
        the venue would only refuse it as a duplicate."""
        self._recovering = False  # the venue's replay came before the session's LogonAck
        for record in list(self._orders.values()):
            if not record.pending or record.last_message is None or record.pending_id is None:
                continue
            if record.sent_on and self._carries(record.sent_on):
                continue
            sent_before = bool(record.sent_on)
            if not sent_before and record.pending == "new" and not self._sees(record.symbol):
                # Decided on a market the system has not seen since (a gateway crash takes the
                # feed with the sessions): sent now it would trade blind. The venue never had it.
                self._expire(record)
                continue
            record.sent_on = self._send(record.last_message)
            if not record.sent_on:
                return  # no session after all; the next on_session_ready tries again
            if sent_before:
                self.resends += 1
                record.resent_ids.add(record.pending_id)

    # --- reports ----------------------------------------------------------------------------------

    def on_message(self, body: object) -> None:
        """An ExecutionReport or CancelReject from any session, in whatever order it arrived."""
        if not isinstance(body, ExecutionReport | CancelReject):
            return
        seq = body.exec_seq
        if seq <= 0:
            # Unnumbered (a cancel reject of a venue that does not number them): nothing to order by.
            self._apply(body)
            return
        if seq <= self._last_seq or seq in self._held:
            self.duplicates += 1
            return
        if seq != self._last_seq + 1:
            self._held[seq] = (body, self._clock.now())
            return
        self._last_seq = seq
        self._apply(body)
        while self._last_seq + 1 in self._held:
            held, _ = self._held.pop(self._last_seq + 1)
            self._last_seq += 1
            self._apply(held)

    def _apply(self, body: object) -> None:
        if isinstance(body, CancelReject):
            self._apply_cancel_reject(body)
        elif isinstance(body, ExecutionReport):
            self._apply_report(body)

    def _find(self, *ids: str | None) -> OrderRecord | None:
        for key in ids:
            if key and key in self._by_id:
                return self._by_id[key]
        return None

    def _apply_report(self, r: ExecutionReport) -> None:
        record = self._find(r.cl_ord_id, r.orig_cl_ord_id)
        if record is None and r.order_id:
            record = self._by_order_id.get(r.order_id)
        if self._recovering:
            self._continue_ids(r.cl_ord_id, r.orig_cl_ord_id)
            if record is None:
                record = self._adopt(r)
        if record is None:
            self.unmatched += 1
            self.errors += 1
            return
        # A duplicate's reject may carry an id of its own, not the id of the order it duplicates.
        if r.order_id and record.order_id is None and r.reason is not RejectReason.DUPLICATE_CLORDID:
            record.order_id = r.order_id
            self._by_order_id[r.order_id] = record

        if r.exec_type is ExecType.REJECTED:
            self._apply_reject(record, r)
            return
        if record.status == PENDING_NEW:
            self._answered(record)
        if r.exec_type is ExecType.NEW:
            if record.status == REJECTED:
                # The venue took an order the system had written off: the books no longer agree.
                self.errors += 1
            if record.status == PENDING_NEW:
                record.status = NEW
            if record.pending == "new":
                self._clear_pending(record)
            record.leaves_qty = r.leaves_qty
            record.cum_qty = r.cum_qty
        elif r.exec_type in (ExecType.PARTIAL_FILL, ExecType.FILL):
            self._apply_fill(record, r)
        elif r.exec_type is ExecType.CANCELLED:
            record.status = CANCELLED
            record.cum_qty = r.cum_qty
            record.leaves_qty = 0
            self._clear_pending(record)
        elif r.exec_type is ExecType.REPLACED:
            self._by_id[r.cl_ord_id] = record
            record.cl_ord_id = r.cl_ord_id
            record.qty = r.order_qty
            record.price = r.price
            record.cum_qty = r.cum_qty
            record.leaves_qty = r.leaves_qty
            record.status = _STATUS.get(r.status, record.status)
            if record.pending == "replace" and record.pending_id == r.cl_ord_id:
                self._clear_pending(record)

    def _apply_fill(self, record: OrderRecord, r: ExecutionReport) -> None:
        record.fills.append((r.exec_seq, r.last_qty, r.last_price))
        record.cum_qty = r.cum_qty
        record.leaves_qty = r.leaves_qty
        status = _STATUS.get(r.status)
        if status is None or status in (NEW, REJECTED):
            status = FILLED if r.leaves_qty == 0 else PARTIALLY_FILLED
        record.status = status
        if record.pending == "new":
            self._clear_pending(record)
        self.fills += 1
        order_id = r.order_id or record.order_id or record.first_cl_ord_id
        self._ledger.apply_fill(
            f"{order_id}:{r.exec_seq}", order_id, record.symbol, record.side, r.last_qty, r.last_price, r.time
        )

    def _apply_reject(self, record: OrderRecord, r: ExecutionReport) -> None:
        if r.reason is RejectReason.DUPLICATE_CLORDID and r.cl_ord_id in record.resent_ids:
            # Our resend reached a venue that already had the request: its own reports tell the story.
            if record.pending_id == r.cl_ord_id:
                self._clear_pending(record)
            return
        if r.cl_ord_id != record.first_cl_ord_id or record.status != PENDING_NEW:
            # A refused amend or cancel request: the order itself stands.
            if record.pending_id == r.cl_ord_id:
                self._clear_pending(record)
            self.cancel_rejects += 1
            self._count_reject(r.reason)
            return
        self._answered(record)
        record.status = REJECTED
        record.reject_reason = r.reason
        record.leaves_qty = 0
        self._clear_pending(record)
        self._count_reject(r.reason)

    def _count_reject(self, reason: RejectReason | None) -> None:
        if reason in MARKET_REASONS:
            self.market_rejects += 1
        else:
            self.errors += 1

    def _apply_cancel_reject(self, c: CancelReject) -> None:
        record = self._find(c.cl_ord_id, c.orig_cl_ord_id)
        if record is None:
            self.unmatched += 1
            self.errors += 1
            return
        if record.pending_id == c.cl_ord_id:
            self._clear_pending(record)
        if c.reason is RejectReason.DUPLICATE_CLORDID and c.cl_ord_id in record.resent_ids:
            return
        if c.reason is RejectReason.UNKNOWN_ORDER and not record.live:
            return  # too late: the order was already done
        self.cancel_rejects += 1

    def _adopt(self, r: ExecutionReport) -> OrderRecord:
        """An order known from the venue's replay only: its first report is its entry."""
        record = OrderRecord(
            cl_ord_id=r.cl_ord_id,
            first_cl_ord_id=r.cl_ord_id,
            symbol=r.symbol,
            side=r.side,
            qty=r.order_qty,
            price=r.price,
            leaves_qty=r.order_qty,
            sent_at=self._clock.now(),
            pending=None,
            answered=True,  # not a latency sample: the engine did not send it
        )
        self._track(record)
        self.adopted += 1
        return record

    def _track(self, record: OrderRecord) -> None:
        """Index a new order by its first client id, as live until its reports say otherwise."""
        self._orders[record.first_cl_ord_id] = record
        self._by_id[record.first_cl_ord_id] = record
        self.created += 1
        self._recent.append(record)
        self._open.setdefault(record.symbol, {})[record.first_cl_ord_id] = record

    def _continue_ids(self, *ids: str | None) -> None:
        prefix = f"{self._prefix}-"
        for cl_ord_id in ids:
            if cl_ord_id and cl_ord_id.startswith(prefix) and cl_ord_id[len(prefix) :].isdigit():
                self._next_id = max(self._next_id, int(cl_ord_id[len(prefix) :]))

    def _answered(self, record: OrderRecord) -> None:
        if not record.answered:
            record.answered = True
            if self._perf is not None:
                self._perf.record("decision_to_ack", self._clock.now() - record.sent_at)

    def _expire(self, record: OrderRecord) -> None:
        record.status = EXPIRED
        record.answered = True  # no answer will come, and no latency sample: it never left
        record.leaves_qty = 0
        self._clear_pending(record)
        self.expired += 1

    @staticmethod
    def _clear_pending(record: OrderRecord) -> None:
        record.pending = None
        record.pending_id = None
        record.last_message = None

    # --- component API ----------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self._held:
            waited = self._clock.now() - min(t for _, t in self._held.values())
            if waited > GAP_STALL_SECONDS:
                return Health(
                    HealthState.DEGRADED,
                    f"{len(self._held)} reports wait {waited:.1f}s for exec_seq {self._last_seq + 1}",
                )
        return Health(HealthState.HEALTHY, f"{self.live_count()} live orders")

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.placed": float(self.placed),
            f"{n}.live": float(self.live_count()),
            f"{n}.fills": float(self.fills),
            f"{n}.errors": float(self.errors),
            f"{n}.risk_rejects": float(self.risk_rejects),
            f"{n}.market_rejects": float(self.market_rejects),
            f"{n}.resends": float(self.resends),
            f"{n}.expired": float(self.expired),
            f"{n}.duplicates": float(self.duplicates),
        }

    def validate(self) -> list[str]:
        problems = []
        for key, o in self._orders.items():
            if o.cum_qty + o.leaves_qty > o.qty:
                problems.append(f"{key}: cum {o.cum_qty} + leaves {o.leaves_qty} > qty {o.qty}")
            filled = sum(q for _, q, _ in o.fills)
            if o.cum_qty != filled:
                problems.append(f"{key}: cum {o.cum_qty} != sum of fills {filled}")
            if o.status == FILLED and o.leaves_qty != 0:
                problems.append(f"{key}: filled with leaves {o.leaves_qty}")
        return problems

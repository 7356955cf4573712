"""The matching engine of the simulated exchange: order entry rules, books, phases and reports.

It knows accounts, not sessions: the gateway (or a co-located background trader) hands it a
message with the account it came from, and it answers through the account's ``deliver`` callback
with execution reports numbered per account (``exec_seq``). Time and timers are injected, so the
same engine runs under SimPy, under a scenario's hand-moved clock, or in a test.

Records: for a *tracked* account (a client of the gateway) every order is kept with its fills, so
a session can be reconciled against it at the end, and every client order id it ever used is
remembered for the duplicate check. Background traders are untracked: only their live orders are
kept, so memory stays flat over a long day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.book import Order, OrderBook
from simulator.feed import Feed
from simulator.instruments import Instrument
from simulator.journal import Journal
from simulator.rules import check_order
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
    TimeInForce,
)

Deliver = Callable[[ExecutionReport | CancelReject], None]

_BUY = Side.BUY
_GTC = TimeInForce.GTC
_NEW = ExecType.NEW
_FILL = ExecType.FILL
_PARTIAL = ExecType.PARTIAL_FILL
_CANCELLED = ExecType.CANCELLED
_S_NEW = OrdStatus.NEW
_S_PARTIAL = OrdStatus.PARTIALLY_FILLED
_S_FILLED = OrdStatus.FILLED
_S_CANCELLED = OrdStatus.CANCELLED
# Why an order is refused outside continuous trading.
_PHASE_REJECT = {
    Phase.HALTED: RejectReason.MARKET_HALTED,
    Phase.CLOSED: RejectReason.MARKET_CLOSED,
    Phase.PRE_OPEN: RejectReason.MARKET_CLOSED,
}


@dataclass(slots=True)
class OrderRecord:
    """One order as the exchange holds it; ``fills`` are (exec_seq, qty, price)."""

    order_id: str
    account: str
    cl_ord_id: str  # the id the order was entered with
    current_cl_ord_id: str
    symbol: str
    side: Side
    qty: int  # total order quantity (changed by a replace)
    price: int | None
    tif: TimeInForce
    cum_qty: int = 0
    status: OrdStatus = OrdStatus.NEW
    reason: RejectReason | None = None
    fills: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def leaves_qty(self) -> int:
        return self.qty - self.cum_qty if self.status in (_S_NEW, _S_PARTIAL) else 0


@dataclass
class AccountRecords:
    """A tracked account's orders, keyed by the client order id they were entered with."""

    account: str
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)  # client ids of new orders refused outright
    reports: int = 0

    def fills(self) -> list[tuple[str, int, int, int]]:
        """(order_id, exec_seq, qty, price) of every fill, in exec_seq order."""
        out = [(o.order_id, s, q, p) for o in self.orders.values() for s, q, p in o.fills]
        return sorted(out, key=lambda f: f[1])

    def positions(self) -> dict[str, int]:
        """The account's position per symbol from its fills (symbols held only, sorted)."""
        held: dict[str, int] = {}
        for o in self.orders.values():
            traded = sum(q for _, q, _ in o.fills)
            if traded:
                held[o.symbol] = held.get(o.symbol, 0) + o.side.sign * traded
        return {s: q for s, q in sorted(held.items()) if q}

    def cash(self, symbol: str | None = None) -> int:
        """Cash the fills moved (of one symbol or all), in price units: buys pay, sells receive."""
        return -sum(
            o.side.sign * q * p
            for o in self.orders.values()
            if symbol is None or o.symbol == symbol
            for _, q, p in o.fills
        )


class _Account:
    __slots__ = ("name", "deliver", "exec_seq", "records", "live", "used")

    def __init__(self, name: str, deliver: Deliver, tracked: bool) -> None:
        self.name = name
        self.deliver = deliver
        self.exec_seq = 0
        self.records = AccountRecords(name) if tracked else None
        self.live: dict[str, OrderRecord] = {}  # current client order id -> live order
        self.used: set[str] = set()  # client ids seen: all of them if tracked, else the live ones


class _Market:
    __slots__ = ("instrument", "book", "phase", "last_price", "halt_reference", "band", "resume_at")

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.book = OrderBook(instrument.symbol)
        self.phase = Phase.CONTINUOUS
        self.last_price = 0
        self.halt_reference = instrument.reference_price
        self.band = instrument.band
        self.resume_at = 0.0


class Exchange:
    def __init__(
        self,
        instruments: list[Instrument],
        journal: Journal,
        now: Callable[[], float],
        schedule: Callable[[float, Callable[[], None]], None],
        halt_pct: float = 0.10,
        halt_seconds: float = 300.0,
        depth_levels: int = 5,
    ) -> None:
        self.instruments = {i.symbol: i for i in instruments}
        self.journal = journal
        self.now = now
        self._schedule = schedule
        self.halt_pct = halt_pct
        self.halt_seconds = halt_seconds
        self.feed = Feed(list(self.instruments), now, depth_levels)
        self._markets = {s: _Market(i) for s, i in self.instruments.items()}
        self._accounts: dict[str, _Account] = {}
        self._order_ids = 0
        self.orders_accepted = 0
        self.trades = 0
        self.volume: dict[str, int] = dict.fromkeys(self.instruments, 0)
        self.orders_by_symbol: dict[str, int] = dict.fromkeys(self.instruments, 0)
        self.trades_by_symbol: dict[str, int] = dict.fromkeys(self.instruments, 0)
        self.rejects = 0
        self.handled = 0  # order-entry messages the matching engine took in
        self.reports = 0  # execution reports and cancel rejects it sent out

    # --- accounts ---------------------------------------------------------------------------------

    def register(self, account: str, deliver: Deliver, tracked: bool = True) -> None:
        """Route ``account``'s reports to ``deliver``; a second call only changes the route."""
        existing = self._accounts.get(account)
        if existing is not None:
            existing.deliver = deliver
        else:
            self._accounts[account] = _Account(account, deliver, tracked)

    def records(self, account: str) -> AccountRecords:
        acct = self._accounts.get(account)
        if acct is None or acct.records is None:
            return AccountRecords(account)
        return acct.records

    def book(self, symbol: str) -> OrderBook:
        return self._markets[symbol].book

    def phase(self, symbol: str) -> Phase:
        return self._markets[symbol].phase

    def last_price(self, symbol: str) -> int:
        return self._markets[symbol].last_price

    # --- order entry ------------------------------------------------------------------------------

    def handle(self, account: str, message: NewOrder | CancelOrder | ReplaceOrder) -> None:
        self.handled += 1
        acct = self._accounts[account]
        if isinstance(message, NewOrder):
            self._new(acct, message)
        elif isinstance(message, CancelOrder):
            self._cancel(acct, message)
        elif isinstance(message, ReplaceOrder):
            self._replace(acct, message)
        else:
            raise TypeError(f"not an order-entry message: {message!r}")

    def refuse(
        self, account: str, message: NewOrder | CancelOrder | ReplaceOrder, reason: RejectReason
    ) -> None:
        """Refuse ``message`` without looking at it further (a gateway-level refusal, e.g. throttling)."""
        acct = self._accounts[account]
        if isinstance(message, NewOrder):
            self._reject(acct, message, reason, "refused by the gateway")
        else:
            self._cancel_reject(acct, message, reason)

    def _report(
        self,
        acct: _Account,
        rec: OrderRecord,
        exec_type: ExecType,
        cl_ord_id: str,
        orig: str | None = None,
        last_qty: int = 0,
        last_price: int = 0,
    ) -> None:
        acct.exec_seq += 1
        self.reports += 1
        seq = acct.exec_seq
        if last_qty:
            rec.fills.append((seq, last_qty, last_price))
        status = rec.status
        leaves = rec.qty - rec.cum_qty if status is _S_NEW or status is _S_PARTIAL else 0
        if acct.records is not None:
            acct.records.reports += 1
        acct.deliver(
            ExecutionReport(
                seq,
                rec.order_id,
                cl_ord_id,
                orig,
                rec.symbol,
                rec.side,
                exec_type,
                status,
                rec.qty,
                rec.price,
                last_qty,
                last_price,
                rec.cum_qty,
                leaves,
                rec.reason,
                "",
                self.now(),
            )
        )

    def _reject(self, acct: _Account, m: NewOrder, reason: RejectReason, text: str = "") -> None:
        self.rejects += 1
        if acct.records is not None and reason is not RejectReason.DUPLICATE_CLORDID:
            # A refused id is spent too: a resend of it must not become a live order later.
            acct.used.add(m.cl_ord_id)
            acct.records.rejected.add(m.cl_ord_id)
        self.reports += 1
        acct.exec_seq += 1
        self.journal.write(
            self.now(),
            "reject",
            {"account": acct.name, "cl_ord_id": m.cl_ord_id, "symbol": m.symbol, "reason": reason.value},
        )
        acct.deliver(
            ExecutionReport(
                acct.exec_seq,
                "",
                m.cl_ord_id,
                None,
                m.symbol,
                m.side,
                ExecType.REJECTED,
                OrdStatus.REJECTED,
                m.qty,
                m.price,
                reason=reason,
                text=text or reason.value,
                time=self.now(),
            )
        )

    def _cancel_reject(self, acct: _Account, m: CancelOrder | ReplaceOrder, reason: RejectReason) -> None:
        self.rejects += 1
        self.reports += 1
        acct.exec_seq += 1
        self.journal.write(
            self.now(),
            "cancel_reject",
            {
                "account": acct.name,
                "cl_ord_id": m.cl_ord_id,
                "orig": m.orig_cl_ord_id,
                "reason": reason.value,
            },
        )
        acct.deliver(CancelReject(m.cl_ord_id, m.orig_cl_ord_id, m.symbol, reason, acct.exec_seq, self.now()))

    def _new(self, acct: _Account, m: NewOrder) -> None:
        market = self._markets.get(m.symbol)
        if market is None:
            return self._reject(acct, m, RejectReason.UNKNOWN_SYMBOL)
        if m.cl_ord_id in acct.used:
            return self._reject(acct, m, RejectReason.DUPLICATE_CLORDID)
        if market.phase is not Phase.CONTINUOUS:
            return self._reject(acct, m, _PHASE_REJECT[market.phase])
        is_market = m.ord_type is OrdType.MARKET
        if is_market and m.price is not None:
            return self._reject(acct, m, RejectReason.PRICE_OFF_TICK, "a market order carries no price")
        inst = market.instrument
        reason = check_order(is_market, m.price, m.qty, inst.tick, inst.lot, market.band)
        if reason is not None:
            return self._reject(acct, m, reason)

        self._order_ids += 1
        self.orders_accepted += 1
        self.orders_by_symbol[m.symbol] += 1
        # A market order never rests, so "good till cancelled" means immediate-or-cancel for it.
        tif = TimeInForce.IOC if is_market and m.tif is _GTC else m.tif
        rec = OrderRecord(
            f"O{self._order_ids}", acct.name, m.cl_ord_id, m.cl_ord_id, m.symbol, m.side, m.qty, m.price, tif
        )
        acct.used.add(m.cl_ord_id)
        if acct.records is not None:
            acct.records.orders[m.cl_ord_id] = rec
        now = self.now()
        self.journal.write(
            now,
            "order",
            {
                "account": acct.name,
                "order_id": rec.order_id,
                "cl_ord_id": m.cl_ord_id,
                "symbol": m.symbol,
                "side": m.side,  # a StrEnum: written as its value
                "qty": m.qty,
                "price": m.price,
                "tif": tif,
            },
        )
        self._report(acct, rec, _NEW, m.cl_ord_id)
        order = Order(rec.order_id, m.side is _BUY, m.price, m.qty, rec)
        self._matched(market, acct, rec, m.cl_ord_id, order, market.book.submit(order, tif))

    def _matched(
        self,
        market: _Market,
        acct: _Account,
        rec: OrderRecord,
        clid: str,
        order: Order,
        fills: list,
        moved_from: int | None = None,
    ) -> None:
        """Book what an order entry matched, then keep the order live if it rests, else retire its id.

        ``moved_from`` is the price a replaced order left; the feed is told where the book changed."""
        if fills:
            self._fills(market, acct, rec, fills)
        if order.qty and market.book.get(rec.order_id) is None:
            # IOC, FOK and market leaves never rest: they are cancelled at once.
            rec.status = _S_CANCELLED
            self.journal.write(self.now(), "expire", {"order_id": rec.order_id, "unfilled": order.qty})
            self._report(acct, rec, _CANCELLED, clid)
            if acct.records is None:
                acct.used.discard(clid)
        elif order.qty:
            acct.live[clid] = rec
        elif acct.records is None:
            acct.used.discard(clid)
        if fills:
            self.feed.book_changed(rec.symbol, market.book)
            self._check_volatility(market)
        else:
            touched: tuple[int, ...] = ()
            if order.qty and rec.price is not None and market.book.get(rec.order_id) is not None:
                touched = (rec.price,)
            if moved_from is not None:
                touched += (moved_from,)
            self.feed.book_changed(rec.symbol, market.book, rec.side is _BUY, touched)

    def _fills(self, market: _Market, acct: _Account, rec: OrderRecord, fills: list) -> None:
        now = self.now()
        symbol = rec.symbol
        aggressor = rec.side
        accounts = self._accounts
        feed = self.feed
        for maker, qty, price in fills:
            mrec: OrderRecord = maker.owner
            macct = accounts[mrec.account]
            mrec.cum_qty += qty
            if maker.qty:
                mrec.status = _S_PARTIAL
                self._report(macct, mrec, _PARTIAL, mrec.current_cl_ord_id, None, qty, price)
            else:
                mrec.status = _S_FILLED
                macct.live.pop(mrec.current_cl_ord_id, None)
                if macct.records is None:
                    macct.used.discard(mrec.current_cl_ord_id)
                self._report(macct, mrec, _FILL, mrec.current_cl_ord_id, None, qty, price)
            rec.cum_qty += qty
            rec.status = _S_FILLED if rec.cum_qty == rec.qty else _S_PARTIAL
            self._report(
                acct,
                rec,
                _FILL if rec.status is _S_FILLED else _PARTIAL,
                rec.current_cl_ord_id,
                None,
                qty,
                price,
            )
            self.trades += 1
            self.trades_by_symbol[symbol] += 1
            self.volume[symbol] += qty
            market.last_price = price
            self.journal.write(
                now,
                "trade",
                {
                    "symbol": symbol,
                    "price": price,
                    "qty": qty,
                    "buy": rec.order_id if aggressor is _BUY else mrec.order_id,
                    "sell": mrec.order_id if aggressor is _BUY else rec.order_id,
                },
            )
            feed.trade(symbol, price, qty, aggressor)

    def _find(self, acct: _Account, m: CancelOrder | ReplaceOrder) -> tuple[_Market, OrderRecord] | None:
        """The live order a cancel or replace is for; None after refusing the request."""
        if m.cl_ord_id in acct.used:
            self._cancel_reject(acct, m, RejectReason.DUPLICATE_CLORDID)
            return None
        rec = acct.live.get(m.orig_cl_ord_id)
        if rec is None or rec.symbol != m.symbol:
            self._cancel_reject(acct, m, RejectReason.UNKNOWN_ORDER)
            return None
        return self._markets[rec.symbol], rec

    def _retire_id(self, acct: _Account, old: str, new: str) -> None:
        rec = acct.live.pop(old)
        rec.current_cl_ord_id = new
        acct.used.add(new)
        if acct.records is None:
            acct.used.discard(old)

    def _cancel(self, acct: _Account, m: CancelOrder) -> None:
        found = self._find(acct, m)
        if found is None:
            return
        market, rec = found
        market.book.cancel(rec.order_id)
        self._retire_id(acct, m.orig_cl_ord_id, m.cl_ord_id)
        if acct.records is None:
            acct.used.discard(m.cl_ord_id)
        rec.status = _S_CANCELLED
        self.journal.write(self.now(), "cancel", {"order_id": rec.order_id, "cl_ord_id": m.cl_ord_id})
        self._report(acct, rec, _CANCELLED, m.cl_ord_id, m.orig_cl_ord_id)
        price = rec.price
        self.feed.book_changed(rec.symbol, market.book, rec.side is _BUY, () if price is None else (price,))

    def _replace(self, acct: _Account, m: ReplaceOrder) -> None:
        found = self._find(acct, m)
        if found is None:
            return
        market, rec = found
        if market.phase is not Phase.CONTINUOUS:
            return self._cancel_reject(acct, m, _PHASE_REJECT[market.phase])
        inst = market.instrument
        price = rec.price if m.price is None else m.price
        reason = check_order(False, price, m.qty, inst.tick, inst.lot, market.band)
        if reason is None and m.qty <= rec.cum_qty:
            reason = RejectReason.BAD_QUANTITY
        if reason is not None:
            return self._cancel_reject(acct, m, reason)
        result = market.book.replace(rec.order_id, m.qty - rec.cum_qty, price)
        if result is None:  # not resting: cannot happen for a live order, kept for safety of the book
            return self._cancel_reject(acct, m, RejectReason.UNKNOWN_ORDER)
        order, fills = result
        self._retire_id(acct, m.orig_cl_ord_id, m.cl_ord_id)
        moved_from = rec.price
        rec.qty = m.qty
        rec.price = price
        self.journal.write(
            self.now(),
            "replace",
            {"order_id": rec.order_id, "cl_ord_id": m.cl_ord_id, "qty": m.qty, "price": price},
        )
        self._report(acct, rec, ExecType.REPLACED, m.cl_ord_id, m.orig_cl_ord_id)
        self._matched(market, acct, rec, m.cl_ord_id, order, fills, moved_from)

    def cancel_all(
        self, account: str, reason: str = "cancel on disconnect", order_ids: set[str] | None = None
    ) -> int:
        """Cancel the live orders of ``account`` (only those in ``order_ids`` if given); return how many."""
        acct = self._accounts.get(account)
        if acct is None:
            return 0
        live = [(c, r) for c, r in acct.live.items() if order_ids is None or r.order_id in order_ids]
        touched = set()
        for clid, rec in live:
            market = self._markets[rec.symbol]
            market.book.cancel(rec.order_id)
            del acct.live[clid]
            if acct.records is None:
                acct.used.discard(clid)
            rec.status = _S_CANCELLED
            self.journal.write(
                self.now(), "cancel", {"order_id": rec.order_id, "cl_ord_id": clid, "reason": reason}
            )
            self._report(acct, rec, _CANCELLED, clid)
            touched.add(rec.symbol)
        for symbol in sorted(touched):
            self.feed.book_changed(symbol, self._markets[symbol].book)
        return len(live)

    # --- phases -----------------------------------------------------------------------------------

    def _check_volatility(self, market: _Market) -> None:
        ref = market.halt_reference
        if market.phase is Phase.CONTINUOUS and abs(market.last_price - ref) > self.halt_pct * ref:
            symbol = market.instrument.symbol
            self.halt(
                symbol,
                f"volatility: trade at {market.last_price} is more than {self.halt_pct:.0%} from {ref}",
            )
            until = self.now() + self.halt_seconds
            market.resume_at = until
            self._schedule(self.halt_seconds, lambda: self._auto_resume(symbol, until))

    def _auto_resume(self, symbol: str, until: float) -> None:
        market = self._markets[symbol]
        if market.phase is Phase.HALTED and market.resume_at == until:
            self.resume(symbol, "volatility halt over")

    def halt(self, symbol: str, reason: str) -> None:
        market = self._markets[symbol]
        if market.phase is not Phase.CONTINUOUS:
            return
        market.phase = Phase.HALTED
        market.resume_at = 0.0
        self.journal.write(self.now(), "halt", {"symbol": symbol, "reason": reason})
        self.feed.status(symbol, Phase.HALTED, reason)

    def resume(self, symbol: str, reason: str) -> None:
        market = self._markets[symbol]
        if market.phase is not Phase.HALTED:
            return
        market.phase = Phase.CONTINUOUS
        if market.last_price:
            market.halt_reference = market.last_price
        self.journal.write(self.now(), "resume", {"symbol": symbol, "reason": reason})
        self.feed.status(symbol, Phase.CONTINUOUS, reason)

    def roll_reference(self, symbol: str) -> None:
        """Move the volatility reference to the last trade: the halt guards against fast moves only."""
        market = self._markets[symbol]
        if market.phase is Phase.CONTINUOUS and market.last_price:
            market.halt_reference = market.last_price

    def close(self) -> None:
        for symbol, market in self._markets.items():
            if market.phase is not Phase.CLOSED:
                market.phase = Phase.CLOSED
                self.journal.write(self.now(), "close", {"symbol": symbol})
                self.feed.status(symbol, Phase.CLOSED, "market close")

    def snapshot(self, symbol: str):  # noqa: ANN201 - venue.messages.Snapshot
        market = self._markets[symbol]
        return self.feed.snapshot(
            symbol, market.book, market.phase, market.last_price, market.instrument.reference_price
        )

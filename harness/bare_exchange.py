"""A bare exchange for rule-level scenarios: no latency, no background traders, time moved by hand.

By default each order in a scenario is sent from its own account named after the order, so who
traded with whom can be read straight from the execution reports, even after an order is replaced.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from simulator.exchange import Exchange
from simulator.instruments import Instrument
from simulator.journal import Journal
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecutionReport,
    MarketData,
    NewOrder,
    OrdType,
    ReplaceOrder,
    Side,
    TimeInForce,
    to_price,
)


@dataclass(frozen=True, slots=True)
class Trade:
    buyer: str
    seller: str
    price: int
    qty: int


class BareExchange:
    def __init__(self, instrument: Instrument, halt_pct: float = 0.10, halt_seconds: float = 300.0) -> None:
        self.instrument = instrument
        self.time = 0.0
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = 0
        self.reports: list[tuple[str, ExecutionReport | CancelReject]] = []
        self.market_data: list[MarketData] = []
        self.exchange = Exchange(
            [instrument],
            Journal(None),
            now=lambda: self.time,
            schedule=self._schedule,
            halt_pct=halt_pct,
            halt_seconds=halt_seconds,
        )
        self.exchange.feed.subscribe(self.market_data.append)
        self._accounts: set[str] = set()

    def _schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (self.time + delay, self._timer_seq, callback))

    def advance(self, seconds: float) -> None:
        until = self.time + seconds
        while self._timers and self._timers[0][0] <= until:
            self.time, _, callback = heapq.heappop(self._timers)
            callback()
        self.time = until

    def _account(self, account: str) -> None:
        if account not in self._accounts:
            self._accounts.add(account)
            self.exchange.register(account, lambda report: self.reports.append((account, report)))

    def send(self, account: str, message: NewOrder | CancelOrder | ReplaceOrder) -> list:
        """Send ``message`` from ``account``; return the (account, report) pairs it caused, in order."""
        self._account(account)
        first = len(self.reports)
        self.exchange.handle(account, message)
        return self.reports[first:]

    def order(
        self,
        order_id: str,
        side: str,
        qty: int,
        price: str | None,
        tif: str = "gtc",
        symbol: str | None = None,
        account: str | None = None,
    ) -> list:
        message = NewOrder(
            cl_ord_id=order_id,
            symbol=symbol or self.instrument.symbol,
            side=Side(side),
            qty=qty,
            ord_type=OrdType.MARKET if price is None else OrdType.LIMIT,
            price=None if price is None else to_price(price),
            tif=TimeInForce(tif.lower()),
        )
        return self.send(account or order_id, message)

    @staticmethod
    def trades(taker: str, reports: list[tuple[str, ExecutionReport | CancelReject]]) -> list[Trade]:
        """Pair the taker account's fills with the makers' fills, both in execution order."""
        fills = [(a, r) for a, r in reports if isinstance(r, ExecutionReport) and r.last_qty > 0]
        taken = [(a, r) for a, r in fills if a == taker]
        made = [(a, r) for a, r in fills if a != taker]
        trades = []
        for (t_acct, t), (m_acct, m) in zip(taken, made, strict=True):
            buyer, seller = (t_acct, m_acct) if t.side is Side.BUY else (m_acct, t_acct)
            trades.append(Trade(buyer, seller, m.last_price, m.last_qty))
        return trades

    def reports_of(self, account: str) -> list[ExecutionReport | CancelReject]:
        return [r for a, r in self.reports if a == account]

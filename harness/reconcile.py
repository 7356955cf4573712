"""Reconciliation of the system's books with the exchange's records for the system's account.

Orders (venue id, status, filled quantity, each fill), positions and cash must agree exactly; any
difference is listed by what it concerns, and a scenario fails on the first list that is not empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.exchange import AccountRecords


@dataclass
class Reconciliation:
    orders: int = 0
    fills: int = 0
    symbols: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        head = f"{self.orders} orders, {self.fills} fills, {self.symbols} symbols"
        if self.ok:
            return f"reconciled exactly: {head}"
        shown = "\n  ".join(self.differences[:20])
        more = f"\n  ... and {len(self.differences) - 20} more" if len(self.differences) > 20 else ""
        return f"{len(self.differences)} differences over {head}:\n  {shown}{more}"


def reconcile(system, records: AccountRecords) -> Reconciliation:  # noqa: ANN001 - system.app.TradingSystem
    result = Reconciliation()
    diff = result.differences
    ours = system.engine.orders()
    for clid, theirs in records.orders.items():
        result.orders += 1
        mine = ours.get(clid)
        if mine is None:
            diff.append(f"order {clid} ({theirs.order_id}) is at the exchange but unknown to the system")
            continue
        if mine.order_id != theirs.order_id:
            diff.append(
                f"order {clid}: venue id {mine.order_id} in the system, {theirs.order_id} at the exchange"
            )
        if mine.status != theirs.status.value:
            diff.append(f"order {clid}: {mine.status} in the system, {theirs.status.value} at the exchange")
        if mine.cum_qty != theirs.cum_qty:
            diff.append(
                f"order {clid}: filled {mine.cum_qty} in the system, {theirs.cum_qty} at the exchange"
            )
        if list(mine.fills) != list(theirs.fills):
            diff.append(f"order {clid}: fills {mine.fills} in the system, {theirs.fills} at the exchange")
    for clid, mine in ours.items():
        if clid in records.orders:
            continue
        if mine.status != "rejected":
            diff.append(f"order {clid} is {mine.status} in the system but the exchange never accepted it")

    result.fills = len(records.fills())
    exchange_positions = records.positions()
    cash = records.cash()
    ledger = system.ledger
    result.symbols = len(exchange_positions)
    if ledger.positions() != exchange_positions:
        diff.append(f"positions: {ledger.positions()} in the ledger, {exchange_positions} at the exchange")
    if ledger.cash() != cash:
        diff.append(f"cash before fees: {ledger.cash()} in the ledger, {cash} at the exchange")
    if ledger.fills_count() != result.fills:
        diff.append(f"fills: {ledger.fills_count()} in the ledger, {result.fills} at the exchange")
    return result

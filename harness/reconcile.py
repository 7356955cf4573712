"""Reconciliation of the system's books with the exchange's records for the system's account.

Orders (venue id, status, filled quantity, each fill), positions and cash must agree exactly; any
difference is listed by what it concerns, and a scenario fails on the first list that is not empty.
An order the execution engine no longer holds in memory (a long session's older finished orders) is
judged by its durable record: its row in the operations database and its fills in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.exchange import AccountRecords


@dataclass
class Reconciliation:
    orders: int = 0
    fills: int = 0
    symbols: int = 0
    archived: int = 0  # orders judged by their durable record, no longer in the engine's memory
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
    stored: _Stored | None = None
    for clid, theirs in records.orders.items():
        result.orders += 1
        mine = ours.get(clid)
        if mine is None:
            stored = stored or _Stored(system)
            diff.extend(stored.differences(clid, theirs))
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
        # Refused by the venue, or written off before it was ever sent: the exchange has no record.
        if mine.status not in ("rejected", "expired"):
            diff.append(f"order {clid} is {mine.status} in the system but the exchange never accepted it")
    if stored is not None:
        result.archived = stored.judged

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


class _Stored:
    """The system's durable record of its orders: the operations database's rows and the ledger's
    fills (fill id ``<venue order id>:<exec_seq>``), read once."""

    def __init__(self, system) -> None:  # noqa: ANN001 - system.app.TradingSystem
        self.rows = system.database.stored_orders()
        self.fills: dict[str, list[tuple[int, int, int]]] = {}
        for fill in system.ledger.fills():
            seq = int(fill.fill_id.rsplit(":", 1)[1])
            self.fills.setdefault(fill.order_id, []).append((seq, fill.qty, fill.price))
        self.judged = 0

    def differences(self, clid: str, theirs) -> list[str]:  # noqa: ANN001 - simulator.exchange order record
        row = self.rows.get(clid)
        if row is None:
            return [f"order {clid} ({theirs.order_id}) is at the exchange but unknown to the system"]
        self.judged += 1
        order_id, status, cum_qty = row
        out = []
        if order_id != theirs.order_id:
            out.append(f"order {clid}: venue id {order_id} stored, {theirs.order_id} at the exchange")
        if status != theirs.status.value:
            out.append(f"order {clid}: {status} in the database, {theirs.status.value} at the exchange")
        if cum_qty != theirs.cum_qty:
            out.append(f"order {clid}: filled {cum_qty} in the database, {theirs.cum_qty} at the exchange")
        fills = sorted(self.fills.get(order_id or "", []))
        if fills != list(theirs.fills):
            out.append(f"order {clid}: fills {fills} in the ledger, {theirs.fills} at the exchange")
        return out

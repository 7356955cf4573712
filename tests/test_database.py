"""The operations database: migrations on start, orders written when the venue reported on them (a
report held back for an earlier one keeps its order pending), positions, audit rows at once, the
whole state written again at stop and read back on the next start."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from fakes import FakeClock, FakeTimer

from system.database import AuditEvent, OperationsDatabase
from venue.messages import Side


@dataclass
class Order:
    first_cl_ord_id: str
    order_id: str | None = None
    symbol: str = "ABC"
    side: Side = Side.BUY
    qty: int = 100
    price: int | None = 1000
    status: str = "pending_new"
    cum_qty: int = 0


@dataclass
class Report:
    cl_ord_id: str


@dataclass
class Engine:
    orders: dict[str, Order] = field(default_factory=dict)
    held: int = 0


def database(path, engine: Engine, positions: dict) -> OperationsDatabase:  # noqa: ANN001
    clock = FakeClock()
    return OperationsDatabase(
        str(path),
        clock,
        FakeTimer(clock),
        order=engine.orders.get,
        held=lambda: engine.held,
        positions=lambda: positions,
    )


def rows(path, table: str) -> list[tuple]:  # noqa: ANN001
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - a fixed table name


def test_only_orders_reported_on_are_written_and_held_reports_keep_them_pending(tmp_path):
    path = tmp_path / "db.sqlite"
    engine, positions = Engine(), {}
    engine.orders["A-1"] = Order("A-1")
    engine.orders["A-2"] = Order("A-2")
    db = database(path, engine, positions)
    db.start()
    db.touch(Report("A-1"))
    assert db.persist() == 1 and [r[0] for r in rows(path, "orders")] == ["A-1"]
    engine.held = 1  # a report for A-1 waits for an earlier one
    engine.orders["A-1"].status = "new"
    db.touch(Report("A-1"))
    db.persist()
    engine.orders["A-1"].status = "filled"  # the held report applied later, with no report of its own
    engine.orders["A-1"].cum_qty = 100
    engine.held = 0
    positions["ABC"] = 100
    db.persist()
    assert rows(path, "orders")[0][6:8] == ("filled", 100)
    assert [r[:2] for r in rows(path, "positions")] == [("ABC", 100)]
    db.stop()


def test_audit_rows_are_committed_at_once_and_the_state_survives_a_restart(tmp_path):
    path = tmp_path / "db.sqlite"
    engine = Engine({"A-1": Order("A-1", "O1", status="new")})
    db = database(path, engine, {"ABC": 0})
    db.start()
    db.audit(AuditEvent(1.0, "ops-viewer", "viewer", "GET", "/status", "read status", "allowed", "ok"))
    assert len(rows(path, "audit_events")) == 1  # read from another connection: committed
    db.touch(Report("A-1"))
    db.stop()  # writes what is pending
    again = database(path, engine, {})
    again.start()
    assert again.persist() == 0  # nothing changed since the last write
    assert again.counts()["orders"] == 1 and again.counts()["schema_migrations"] == 4
    again.stop()

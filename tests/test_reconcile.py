"""Reconciliation of the system's books with the exchange: exact after a session, and tampering is caught."""

from __future__ import annotations

import pytest

from harness.reconcile import reconcile
from harness.session import ACCOUNT, SessionSpec, TradingSession
from venue.messages import Side


@pytest.fixture
def session():
    s = TradingSession(SessionSpec(seed=5, symbols=2, profile="normal"))
    s.run(60.0)
    yield s
    s.close()


def exchange_records(session: TradingSession):
    return session.market.exchange.records(ACCOUNT)


def test_session_reconciles_exactly(session):
    result = session.reconcile()
    assert result.ok, result.summary()
    assert result.differences == []
    assert result.orders > 0 and result.fills > 0
    assert result.orders == len(exchange_records(session).orders)
    assert result.summary().startswith("reconciled exactly:")
    # reconciling again changes nothing
    assert reconcile(session.system, exchange_records(session)).ok


def test_tampered_ledger_position_is_reported(session):
    assert session.reconcile().ok
    symbol = session.market.symbols[0]
    before = session.system.ledger.position(symbol)
    applied = session.system.ledger.apply_fill(
        "tamper", "O-tamper", symbol, Side.BUY, 100, 10_000, session.now
    )
    assert applied
    assert session.system.ledger.position(symbol) == before + 100
    result = reconcile(session.system, exchange_records(session))
    assert not result.ok
    text = "\n".join(result.differences)
    assert any(d.startswith("positions:") and symbol in d for d in result.differences), text
    assert any(d.startswith("cash before fees:") for d in result.differences), text
    assert any(d.startswith("fills:") for d in result.differences), text
    assert "differences" in result.summary()


def test_tampered_order_status_is_reported(session):
    assert session.reconcile().ok
    orders = session.system.engine.orders()
    records = exchange_records(session).orders
    clid = next(c for c, r in records.items() if r.status.value == "filled")
    mine = orders[clid]
    mine.status = "cancelled"
    result = reconcile(session.system, exchange_records(session))
    assert not result.ok
    assert any(
        d.startswith(f"order {clid}:") and "cancelled in the system" in d and "filled at the exchange" in d
        for d in result.differences
    ), result.differences
    # only that order differs: positions and cash still agree
    assert len(result.differences) == 1, result.differences


def test_tampered_fill_quantity_is_reported(session):
    assert session.reconcile().ok
    orders = session.system.engine.orders()
    clid = next(c for c, r in exchange_records(session).orders.items() if r.fills)
    orders[clid].cum_qty += 100
    result = reconcile(session.system, exchange_records(session))
    assert any(d.startswith(f"order {clid}: filled") for d in result.differences), result.differences


def _forget(session, clid: str) -> None:
    """The engine lets ``clid`` go from memory, as it does with a long session's older finished orders."""
    del session.system.engine._orders[clid]  # noqa: SLF001 - tampering on purpose


def test_an_order_only_in_the_database_is_judged_by_its_stored_record(session):
    assert session.reconcile().ok
    session.system.database.persist()
    clid = next(c for c, r in exchange_records(session).orders.items() if r.fills)
    _forget(session, clid)
    result = reconcile(session.system, exchange_records(session))
    assert result.ok and result.archived == 1, result.differences
    database = session.system.database._require()  # noqa: SLF001 - tampering on purpose
    with database:
        database.execute("UPDATE orders SET cum_qty = cum_qty + 1 WHERE cl_ord_id = ?", (clid,))
    result = reconcile(session.system, exchange_records(session))
    assert [d for d in result.differences if d.startswith(f"order {clid}: filled")], result.differences


def test_order_unknown_to_system_is_reported(session):
    assert session.reconcile().ok
    clid = next(iter(exchange_records(session).orders))
    _forget(session, clid)
    database = session.system.database._require()  # noqa: SLF001 - tampering on purpose
    with database:
        database.execute("DELETE FROM orders WHERE cl_ord_id = ?", (clid,))
    result = reconcile(session.system, exchange_records(session))
    assert any(d.startswith(f"order {clid} ") and "unknown to the system" in d for d in result.differences), (
        result.differences
    )

"""Tests of the paper-trading ledger: idempotence, average cost, P&L, validation and persistence."""

from __future__ import annotations

import pytest

from system.component import Component, HealthState
from system.errors import InvalidInput
from system.ledger import LedgerFill, PaperTradingSystem
from venue.messages import Side

B, S = Side.BUY, Side.SELL


@pytest.fixture
def ledger():
    led = PaperTradingSystem(fee_bps=0.5)
    led.start()
    yield led
    led.stop()


def test_is_a_component_and_health_follows_lifecycle():
    led = PaperTradingSystem()
    assert isinstance(led, Component)
    assert led.health().state is HealthState.STOPPED
    led.start()
    assert led.health().state is HealthState.HEALTHY
    led.stop()
    assert led.health().state is HealthState.STOPPED


def test_buy_then_sell_updates_position_cash_fees(ledger):
    assert ledger.apply_fill("f1", "o1", "AAA", B, 100, 1_000_000, 1.0)
    assert ledger.position("AAA") == 100
    assert ledger.cash() == -100_000_000
    assert ledger.avg_cost("AAA") == 1_000_000
    # 100 * 1_000_000 * 0.5 / 10_000 = 5_000 exactly
    assert ledger.fees() == 5_000
    assert ledger.apply_fill("f2", "o2", "AAA", S, 100, 1_010_000, 2.0)
    assert ledger.position("AAA") == 0
    assert ledger.positions() == {}
    assert ledger.cash() == 1_000_000
    assert ledger.realized_pnl() == pytest.approx(1_000_000)
    assert ledger.fills_count() == 2


def test_fee_rounds_up(ledger):
    ledger.apply_fill("f1", "o1", "AAA", B, 1, 1, 0.0)
    assert ledger.fees() == 1
    assert ledger.fee_for(3, 10_001) == 2  # 1.50015 -> 2


def test_duplicate_fill_is_ignored(ledger):
    assert ledger.apply_fill("f1", "o1", "AAA", B, 100, 500, 0.0)
    before = (ledger.position("AAA"), ledger.cash(), ledger.fees(), ledger.fills_count())
    assert not ledger.apply_fill("f1", "o1", "AAA", B, 100, 500, 0.0)
    assert not ledger.apply_fill("f1", "o9", "BBB", S, 300, 700, 5.0)
    assert (ledger.position("AAA"), ledger.cash(), ledger.fees(), ledger.fills_count()) == before
    assert ledger.validate() == []


def test_average_cost_adds_and_reduces(ledger):
    ledger.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    ledger.apply_fill("f2", "o", "AAA", B, 300, 2_000, 0.0)
    assert ledger.avg_cost("AAA") == pytest.approx(1_750)
    ledger.apply_fill("f3", "o", "AAA", S, 200, 2_750, 0.0)
    assert ledger.position("AAA") == 200
    assert ledger.avg_cost("AAA") == pytest.approx(1_750)  # reducing keeps the average
    assert ledger.realized_pnl() == pytest.approx(200 * 1_000)


def test_short_side_pnl(ledger):
    ledger.apply_fill("f1", "o", "AAA", S, 100, 2_000, 0.0)
    assert ledger.position("AAA") == -100
    assert ledger.avg_cost("AAA") == 2_000
    assert ledger.unrealized_pnl({"AAA": 1_500}) == pytest.approx(50_000)
    ledger.apply_fill("f2", "o", "AAA", B, 40, 1_500, 0.0)
    assert ledger.realized_pnl() == pytest.approx(40 * 500)
    assert ledger.position("AAA") == -60


def test_crossing_through_zero_starts_new_average(ledger):
    ledger.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    ledger.apply_fill("f2", "o", "AAA", S, 300, 1_200, 0.0)
    assert ledger.position("AAA") == -200
    assert ledger.realized_pnl() == pytest.approx(100 * 200)
    assert ledger.avg_cost("AAA") == 1_200
    assert ledger.unrealized_pnl({"AAA": 1_300}) == pytest.approx(-200 * 100)


def test_unrealized_ignores_unmarked_and_flat(ledger):
    ledger.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    ledger.apply_fill("f2", "o", "BBB", B, 100, 1_000, 0.0)
    assert ledger.unrealized_pnl({"AAA": 1_100}) == pytest.approx(10_000)
    assert ledger.unrealized_pnl({}) == 0.0


def test_positions_sorted_non_zero(ledger):
    ledger.apply_fill("f1", "o", "ZZZ", B, 100, 10, 0.0)
    ledger.apply_fill("f2", "o", "AAA", S, 200, 10, 0.0)
    ledger.apply_fill("f3", "o", "MMM", B, 100, 10, 0.0)
    ledger.apply_fill("f4", "o", "MMM", S, 100, 10, 0.0)
    assert list(ledger.positions().items()) == [("AAA", -200), ("ZZZ", 100)]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("qty", {"qty": 0}),
        ("qty", {"qty": -5}),
        ("qty", {"qty": 1.5}),
        ("qty", {"qty": True}),
        ("price", {"price": 0}),
        ("price", {"price": 10.5}),
        ("side", {"side": "buy"}),
        ("symbol", {"symbol": ""}),
        ("symbol", {"symbol": None}),
        ("fill_id", {"fill_id": ""}),
        ("time", {"time": float("nan")}),
    ],
)
def test_bad_fill_refused_and_nothing_written(ledger, field, kwargs):
    args = dict(fill_id="fx", order_id="o", symbol="AAA", side=B, qty=100, price=1_000, time=0.0)
    args.update(kwargs)
    with pytest.raises(InvalidInput) as info:
        ledger.apply_fill(**args)
    assert info.value.field == field
    assert info.value.where.startswith("ledger fill")
    assert ledger.fills_count() == 0
    assert ledger.fills() == []
    # still usable afterwards
    assert ledger.apply_fill("fx", "o", "AAA", B, 100, 1_000, 0.0)
    assert ledger.validate() == []


def test_bad_constructor_args():
    with pytest.raises(InvalidInput) as info:
        PaperTradingSystem(fee_bps=-1)
    assert info.value.field == "fee_bps"


def test_fills_rows(ledger):
    ledger.apply_fill("f1", "o1", "AAA", B, 100, 1_000, 3.5)
    (row,) = ledger.fills()
    assert row == LedgerFill("f1", "o1", "AAA", B, 100, 1_000, ledger.fee_for(100, 1_000), 3.5)


def test_metrics(ledger):
    ledger.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    m = ledger.metrics()
    assert m == {
        "paper_trading_system.fills": 1.0,
        "paper_trading_system.symbols_held": 1.0,
        "paper_trading_system.cash": -100_000.0,
        "paper_trading_system.fees": float(ledger.fees()),
        "paper_trading_system.realized_pnl": 0.0,
    }
    assert all(isinstance(v, float) for v in m.values())


def test_validate_detects_drift(ledger):
    ledger.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    assert ledger.validate() == []
    ledger._cash += 1  # simulate a bug corrupting memory
    ledger._books["AAA"].position += 100
    problems = ledger.validate()
    assert any("cash" in p for p in problems)
    assert any("positions" in p for p in problems)


def test_restart_persists_state(tmp_path):
    path = str(tmp_path / "ledger.db")
    led = PaperTradingSystem(path)
    led.start()
    led.apply_fill("f1", "o", "AAA", B, 300, 1_000, 0.0)
    led.apply_fill("f2", "o", "AAA", S, 100, 1_500, 1.0)
    led.apply_fill("f3", "o", "BBB", S, 200, 2_000, 2.0)
    snapshot = (led.positions(), led.cash(), led.fees(), led.realized_pnl(), led.avg_cost("AAA"))
    led.stop()

    again = PaperTradingSystem(path)
    again.start()
    try:
        assert (
            again.positions(),
            again.cash(),
            again.fees(),
            again.realized_pnl(),
            again.avg_cost("AAA"),
        ) == snapshot
        assert again.fills_count() == 3
        assert not again.apply_fill("f2", "o", "AAA", S, 100, 1_500, 1.0)  # still deduplicated
        assert again.validate() == []
    finally:
        again.stop()


def test_stop_start_same_instance_keeps_file_state(tmp_path):
    led = PaperTradingSystem(str(tmp_path / "l.db"))
    led.start()
    led.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)
    led.stop()
    led.start()
    assert led.position("AAA") == 100
    assert led.fills_count() == 1
    led.stop()


def test_apply_fill_when_stopped_raises():
    led = PaperTradingSystem()
    with pytest.raises(RuntimeError):
        led.apply_fill("f1", "o", "AAA", B, 100, 1_000, 0.0)

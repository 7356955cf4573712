"""Tests of the risk management system: limits, each refusal reason, throttle window, kill switch."""

from __future__ import annotations

import pytest

from system.component import Component, HealthState
from system.errors import InvalidInput
from system.risk import RiskLimits, RiskManagementSystem
from venue.messages import Side

B, S = Side.BUY, Side.SELL
REF = 1_000_000  # 100.00 in price units


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def make(limits: RiskLimits | None = None, refs: dict[str, int] | None = None):
    clock = FakeClock()
    prices = {"AAA": REF} if refs is None else refs
    rms = RiskManagementSystem(limits or RiskLimits(), clock, prices.get)
    rms.start()
    return rms, clock


def test_limits_defaults_and_from_dict():
    assert RiskLimits.from_dict({}) == RiskLimits()
    lim = RiskLimits.from_dict({"max_order_qty": 10, "collar_pct": 0.1, "max_loss": 5})
    assert lim.max_order_qty == 10 and lim.collar_pct == 0.1 and lim.max_loss == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"max_qty": 1}, "max_qty"),
        ({"max_order_qty": "10"}, "max_order_qty"),
        ({"max_order_qty": 1.5}, "max_order_qty"),
        ({"max_position": True}, "max_position"),
        ({"max_order_qty": 0}, "max_order_qty"),
        ({"collar_pct": -0.1}, "collar_pct"),
        ({"max_notional": float("nan")}, "max_notional"),
        ({"max_orders_per_second": -3}, "max_orders_per_second"),
        ({"max_loss": 0.0}, "max_loss"),
    ],
)
def test_limits_refuse_bad_values_by_name(data, field):
    with pytest.raises(InvalidInput) as info:
        RiskLimits.from_dict(data)
    assert info.value.field == field
    assert info.value.where == "risk"


def test_is_component_and_health():
    rms = RiskManagementSystem(RiskLimits(), FakeClock(), lambda s: REF)
    assert isinstance(rms, Component)
    assert rms.health().state is HealthState.STOPPED
    rms.start()
    assert rms.health().state is HealthState.HEALTHY
    rms.kill("manual")
    h = rms.health()
    assert h.state is HealthState.UNHEALTHY and "manual" in h.detail
    rms.reset()
    assert rms.health().ok


def test_pass():
    rms, _ = make()
    assert rms.check("AAA", B, 100, REF, 0, 0) is None
    assert rms.checked == 1 and rms.passed == 1 and rms.refused == {}


def test_order_qty():
    rms, _ = make(RiskLimits(max_order_qty=500))
    assert rms.check("AAA", B, 500, REF, 0, 0) is None
    assert rms.check("AAA", B, 600, REF, 0, 0) == "order_qty"


def test_notional_limit_and_market_uses_reference():
    rms, _ = make(RiskLimits(max_notional=10_000.0))
    assert rms.check("AAA", B, 100, REF, 0, 0) is None  # 100 * 100.00 = 10_000
    assert rms.check("AAA", B, 200, REF, 0, 0) == "notional"
    assert rms.check("AAA", B, 200, None, 0, 0) == "notional"
    assert rms.check("AAA", B, 100, None, 0, 0) is None


def test_position_counts_open_same_side():
    rms, _ = make(RiskLimits(max_position=1_000))
    assert rms.check("AAA", B, 500, REF, 500, 0) is None
    assert rms.check("AAA", B, 500, REF, 400, 200) == "position"
    assert rms.check("AAA", S, 500, REF, -400, 200) == "position"
    # reducing a long position is fine even when the long is at the limit
    assert rms.check("AAA", S, 500, REF, 1_000, 0) is None


def test_collar():
    rms, _ = make()
    assert rms.check("AAA", B, 100, int(REF * 1.05), 0, 0) is None
    assert rms.check("AAA", B, 100, int(REF * 1.05) + 1, 0, 0) == "collar"
    assert rms.check("AAA", S, 100, int(REF * 0.95) - 1, 0, 0) == "collar"


def test_no_reference():
    rms, _ = make(refs={})
    assert rms.check("AAA", B, 100, None, 0, 0) == "no_reference"
    assert rms.check("AAA", B, 100, REF, 0, 0) == "no_reference"
    assert rms.refused == {"no_reference": 2}


def test_throttle_sliding_window():
    rms, clock = make(RiskLimits(max_orders_per_second=3))
    for i in range(3):
        clock.t = 0.1 * i
        assert rms.check("AAA", B, 100, REF, 0, 0) is None
    clock.t = 0.5
    assert rms.check("AAA", B, 100, REF, 0, 0) == "throttle"
    clock.t = 1.05  # the order at 0.0 has left the window
    assert rms.check("AAA", B, 100, REF, 0, 0) is None
    assert rms.check("AAA", B, 100, REF, 0, 0) == "throttle"
    clock.t = 2.2
    assert rms.check("AAA", B, 100, REF, 0, 0) is None


def test_refused_orders_do_not_use_rate():
    rms, _ = make(RiskLimits(max_orders_per_second=1, max_order_qty=100))
    for _ in range(5):
        assert rms.check("AAA", B, 200, REF, 0, 0) == "order_qty"
    assert rms.check("AAA", B, 100, REF, 0, 0) is None


def test_kill_switch_refuses_everything_until_reset():
    rms, _ = make()
    rms.kill("manual")
    assert rms.killed
    assert rms.check("AAA", B, 100, REF, 0, 0) == "kill_switch"
    rms.reset()
    assert not rms.killed
    assert rms.check("AAA", B, 100, REF, 0, 0) is None


def test_loss_limit_trips_kill():
    rms, _ = make(RiskLimits(max_loss=1_000.0))
    rms.post_trade(-5_000_000.0, -5_000_000.0)  # exactly -1_000.00
    assert not rms.killed
    rms.post_trade(-5_000_000.0, -5_000_001.0)
    assert rms.killed and rms.kill_reason == "loss limit"
    assert rms.health().state is HealthState.UNHEALTHY
    assert "loss limit" in rms.health().detail
    assert rms.metrics()["risk_management_system.killed"] == 1.0


def test_counters_metrics_validate():
    rms, _ = make(RiskLimits(max_order_qty=100))
    rms.check("AAA", B, 100, REF, 0, 0)
    rms.check("AAA", B, 200, REF, 0, 0)
    rms.check("AAA", B, 100, REF * 2, 0, 0)
    assert rms.refused == {"order_qty": 1, "collar": 1}
    assert rms.metrics() == {
        "risk_management_system.checked": 3.0,
        "risk_management_system.passed": 1.0,
        "risk_management_system.refused": 2.0,
        "risk_management_system.killed": 0.0,
    }
    assert rms.validate() == []
    rms.passed += 1
    assert rms.validate()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", B, 100, REF, 0, 0), "symbol"),
        (("AAA", "buy", 100, REF, 0, 0), "side"),
        (("AAA", B, 0, REF, 0, 0), "qty"),
        (("AAA", B, 1.0, REF, 0, 0), "qty"),
        (("AAA", B, 100, -1, 0, 0), "price"),
        (("AAA", B, 100, 10.5, 0, 0), "price"),
        (("AAA", B, 100, REF, 0.5, 0), "position"),
        (("AAA", B, 100, REF, 0, -1), "open_same_side"),
    ],
)
def test_bad_check_input_refused_without_counting(args, field):
    rms, _ = make()
    with pytest.raises(InvalidInput) as info:
        rms.check(*args)
    assert info.value.field == field
    assert rms.checked == 0 and rms.validate() == []
    assert rms.check("AAA", B, 100, REF, 0, 0) is None


def test_exposure_limit_trips_kill():
    rms, _ = make(RiskLimits(max_exposure=1_000_000.0))
    rms.post_trade(0.0, 0.0, gross_exposure=10_000_000_000.0)  # exactly 1,000,000.00
    assert not rms.killed
    rms.post_trade(0.0, 0.0, gross_exposure=10_000_000_001.0)
    assert rms.killed and rms.kill_reason == "exposure limit"


def test_post_trade_bad_input():
    rms, _ = make()
    with pytest.raises(InvalidInput) as info:
        rms.post_trade(float("nan"), 0.0)
    assert info.value.field == "realized_pnl"
    assert not rms.killed

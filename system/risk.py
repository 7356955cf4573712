"""Pre-trade and post-trade risk: order size, notional, position, price collar, rate limit, loss limit.

:meth:`RiskManagementSystem.check` runs before every order leaves the system and answers with a short
reason code when it must be refused. :meth:`RiskManagementSystem.post_trade` watches P&L and trips the
kill switch when the loss limit is breached; once killed, every order is refused until :meth:`reset`.
Time comes from the injected clock only, so the rate window is deterministic under simulation.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput, require_positive_int, require_side, require_text
from system.settings import from_mapping
from venue.messages import PRICE_SCALE, Side

REASONS = ("kill_switch", "order_qty", "notional", "position", "collar", "no_reference", "throttle")


class Clock(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True)
class RiskLimits:
    max_order_qty: int = 5_000
    max_notional: float = 2_000_000.0  # currency: qty * price / PRICE_SCALE
    max_position: int = 20_000  # absolute per symbol, counting open orders on the same side
    collar_pct: float = 0.05  # a limit price must lie within this fraction of the reference
    max_orders_per_second: int = 200  # sliding one-second window of clock time
    max_loss: float = 250_000.0  # currency
    max_exposure: float = 10_000_000.0  # currency: sum over symbols of |position| x mark

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            # from_mapping checks types; this also guards direct construction with NaN or negatives.
            wanted = int if f.type in (int, "int") else float
            if isinstance(value, bool) or not isinstance(value, int if wanted is int else int | float):
                raise InvalidInput("risk", f.name, f"must be {wanted.__name__}, got {value!r}")
            if not (math.isfinite(value) and value > 0):
                raise InvalidInput("risk", f.name, f"must be positive, got {value!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskLimits:
        """Limits from a mapping; unknown keys, wrong types and non-positive values are refused by name."""
        return from_mapping(cls, data, "risk")


class RiskManagementSystem(Lifecycle):
    """Pre-trade checks and the kill switch; see the module docstring."""

    name = "risk_management_system"

    def __init__(
        self,
        limits: RiskLimits,
        clock: Clock,
        reference_price: Callable[[str], int | None],
    ) -> None:
        super().__init__()
        if not isinstance(limits, RiskLimits):
            raise InvalidInput("risk", "limits", f"expected RiskLimits, got {type(limits).__name__}")
        self.limits = limits
        self._clock = clock
        self._reference_price = reference_price
        self._sent: deque[float] = deque()  # clock times of passed orders inside the rate window
        self._kill_reason: str | None = None
        self.checked = 0
        self.passed = 0
        self.refused: dict[str, int] = {}

    # --- kill switch ------------------------------------------------------------------------------

    @property
    def killed(self) -> bool:
        return self._kill_reason is not None

    @property
    def kill_reason(self) -> str | None:
        return self._kill_reason

    def kill(self, reason: str) -> None:
        """Refuse every order from now on; the first reason is kept, as it is the one that matters."""
        if self._kill_reason is None:
            self._kill_reason = str(reason) or "killed"

    def reset(self) -> None:
        self._kill_reason = None

    # --- pre-trade --------------------------------------------------------------------------------

    def check(
        self,
        symbol: str,
        side: Side,
        qty: int,
        price: int | None,
        position: int,
        open_same_side: int,
    ) -> str | None:
        """None when the order may go, else the reason code it is refused for (see ``REASONS``)."""
        self._validate_args(symbol, side, qty, price, position, open_same_side)
        self.checked += 1
        reason = self._first_breach(symbol, side, qty, price, position, open_same_side)
        if reason is None:
            self.passed += 1
            self._sent.append(self._clock.now())
        else:
            self.refused[reason] = self.refused.get(reason, 0) + 1
        return reason

    def _validate_args(
        self, symbol: str, side: Side, qty: int, price: int | None, position: int, open_same_side: int
    ) -> None:
        where = f"risk check {symbol}"
        require_text(where, "symbol", symbol)
        require_side(where, "side", side)
        require_positive_int(where, "qty", qty)
        if price is not None:
            require_positive_int(where, "price", price)
        if isinstance(position, bool) or not isinstance(position, int):
            raise InvalidInput(where, "position", f"must be an integer, got {position!r}")
        if isinstance(open_same_side, bool) or not isinstance(open_same_side, int) or open_same_side < 0:
            raise InvalidInput(
                where, "open_same_side", f"must be a non-negative integer, got {open_same_side!r}"
            )

    def _first_breach(
        self, symbol: str, side: Side, qty: int, price: int | None, position: int, open_same_side: int
    ) -> str | None:
        lim = self.limits
        if self.killed:
            return "kill_switch"
        if qty > lim.max_order_qty:
            return "order_qty"
        reference = self._reference_price(symbol)
        if reference is not None and (isinstance(reference, bool) or reference <= 0):
            reference = None  # a nonsense reference is as good as none
        # A market order is valued at the reference: without one it cannot be sized, so it is refused.
        effective = price if price is not None else reference
        if effective is None:
            return "no_reference"
        if qty * effective / PRICE_SCALE > lim.max_notional:
            return "notional"
        # Worst case: every open order on this side fills as well as this one.
        if abs(position + side.sign * (open_same_side + qty)) > lim.max_position:
            return "position"
        if price is not None:
            if reference is None:
                return "no_reference"
            if abs(price - reference) > lim.collar_pct * reference:
                return "collar"
        if self._rate_full():
            return "throttle"
        return None

    def _rate_full(self) -> bool:
        now = self._clock.now()
        # Times within the last second count; older ones drop out of the sliding window.
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        return len(self._sent) >= self.limits.max_orders_per_second

    # --- post-trade -------------------------------------------------------------------------------

    def post_trade(self, realized_pnl: float, unrealized_pnl: float, gross_exposure: float = 0.0) -> None:
        """Trip the kill switch when total P&L is below minus the loss limit, or the gross exposure
        of the open positions is above its limit (all in price units x qty)."""
        checked = (
            ("realized_pnl", realized_pnl),
            ("unrealized_pnl", unrealized_pnl),
            ("gross_exposure", gross_exposure),
        )
        for field_name, value in checked:
            if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
                raise InvalidInput("risk post_trade", field_name, f"must be a number, got {value!r}")
        if (realized_pnl + unrealized_pnl) / PRICE_SCALE < -self.limits.max_loss:
            self.kill("loss limit")
        elif gross_exposure / PRICE_SCALE > self.limits.max_exposure:
            self.kill("exposure limit")

    # --- component API ----------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.killed:
            return Health(HealthState.UNHEALTHY, f"kill switch: {self._kill_reason}")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.checked": float(self.checked),
            f"{n}.passed": float(self.passed),
            f"{n}.refused": float(sum(self.refused.values())),
            f"{n}.killed": 1.0 if self.killed else 0.0,
        }

    def validate(self) -> list[str]:
        refused = sum(self.refused.values())
        if self.passed + refused != self.checked:
            return [f"passed {self.passed} + refused {refused} != checked {self.checked}"]
        return []

"""The kill switch as an emergency procedure: stop all trading at once.

Pulling it turns the risk system's kill switch on (every new order and amendment is refused from
then on) and cancels every live order at the venue. An order whose request is still in flight
cannot be cancelled yet, so the switch sweeps again every ``SWEEP_INTERVAL`` seconds of the injected
clock until the engine holds no live and no pending order, for at most ``SWEEP_LIMIT`` seconds.
"""

from __future__ import annotations

from system.logs import JsonLog
from system.orders import TradingExecutionEngine
from system.risk import RiskManagementSystem
from venue.clock import Clock, Timer

SWEEP_INTERVAL = 0.05  # seconds between sweeps: an acknowledgement takes a few milliseconds
SWEEP_LIMIT = 30.0  # seconds after which the switch stops sweeping (the venue is not answering)


class KillSwitch:
    def __init__(
        self,
        risk: RiskManagementSystem,
        engine: TradingExecutionEngine,
        clock: Clock,
        timer: Timer,
        log: JsonLog,
    ) -> None:
        self._risk = risk
        self._engine = engine
        self._clock = clock
        self._timer = timer
        self._log = log
        self.pulled_at: float | None = None
        self.cancels_sent = 0

    @property
    def on(self) -> bool:
        return self._risk.killed

    def pull(self, reason: str) -> int:
        """Refuse every new order from now on and cancel every live one; the cancels sent now."""
        self._risk.kill(reason)
        if self.pulled_at is None:
            self.pulled_at = self._clock.now()
        self._log.warning("kill_switch", "pulled", reason=reason)
        return self._sweep()

    def _sweep(self) -> int:
        sent = self._engine.cancel_all()
        self.cancels_sent += sent
        busy = self._engine.in_flight() or self._engine.live_count() > 0
        if busy and self.pulled_at is not None and self._clock.now() - self.pulled_at < SWEEP_LIMIT:
            self._timer.call_later(SWEEP_INTERVAL, self._sweep)
        return sent

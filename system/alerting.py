"""The Alerting System: six rules over what the monitoring framework collected, each with a ``for:``
hold, a severity and an automatic response, in the manner of Prometheus alerting rules.

Every ``interval`` seconds of the injected timer the system evaluates each rule on the Advanced
Monitoring Framework's last collection (never on the components directly). A rule whose condition
holds goes *pending*; when it has held for the rule's hold time it *fires* once (one event, however
long it lasts: alerts are deduplicated) and the system performs the rule's response; when the
condition no longer holds a firing alert is *resolved* (and the response undone where it has an end),
a pending one goes back to inactive without having fired. A latency rule with too few latencies in
the window has no data and does not hold; the error rate is taken over at least
``error_rate_min_orders`` orders, so a refusal or two among a handful of orders is not a storm.

The rules (severity; condition, thresholds from :class:`system.settings.AlertSettings`; response):

- ``order_latency`` (critical): the p99 of decision-to-ack latency over the window is above
  ``order_latency_p99_ms``; throttle new orders.
- ``order_error_rate`` (critical): orders the venue refused over orders placed in the window is above
  ``error_rate_pct``; pause the strategy until the alert resolves.
- ``market_data_staleness`` (warning): a symbol's book has not changed for more than
  ``market_data_stale_s``; resync the stale symbols from snapshots.
- ``venue_disconnect`` (critical): fewer live order-entry sessions than ``venue_min_sessions``;
  reconnect the session pool at once, and again at every evaluation while it fires, so the pool
  tries at least once an interval however far its own backoff has grown (the orchestrator, which
  also restarts an unhealthy pool, gives up after its restart budget).
- ``risk_limit_use`` (warning): a position at ``risk_limit_use_pct`` of its limit or more, or the kill
  switch on; cancel all open orders.
- ``market_data_lag`` (warning): the p99 over the window of the time from the venue publishing an
  update to the strategy deciding on it is above ``market_data_lag_ms``: market data is queueing up
  between the venue and the strategy (on the link or in the system); throttle new orders, as they
  are decided on an old market.

The latency p99s are estimated from the monitoring histogram's buckets as Prometheus'
``histogram_quantile`` does (linear within the bucket), from their increase over the window.
Throttling lowers the risk system's order rate limit to ``throttle_orders_per_second`` while a
throttling rule fires, and restores the configured limit when none does.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from system.component import Health, HealthState, Periodic
from system.errors import InvalidInput
from system.monitoring import LATENCY_BUCKETS, LATENCY_LES, AdvancedMonitoringFramework
from system.settings import AlertSettings, alert_settings
from venue.clock import Clock, Timer, TimerHandle

ORDER_PATH = "decision_to_ack"  # the Performance Analyzer's latency paths the rules read
FEED_PATH = "feed_to_decision"
LATE_INTERVALS = 3.0  # an evaluation later than this many intervals means the timer stopped calling


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


STATE_CODES = {AlertState.INACTIVE: 0.0, AlertState.PENDING: 1.0, AlertState.FIRING: 2.0}


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of a rule: ``pending``, ``firing`` or ``resolved`` (or ``inactive``: a pending
    alert whose condition ended before its hold time)."""

    time: float
    rule: str
    state: str
    severity: Severity
    value: float
    threshold: float


@dataclass
class Rule:
    """A rule: its measure of the last collection (None: no data) must stay above ``threshold`` for
    ``hold`` seconds before it fires; then ``respond`` runs once, and ``recover`` when it resolves."""

    name: str
    severity: Severity
    threshold: float
    hold: float
    measure: Callable[[], float | None]
    respond: Callable[[], None]
    recover: Callable[[], None] = lambda: None
    at_least: bool = False  # the condition is value >= threshold rather than value > threshold
    repeat: bool = False  # the response is performed again at every evaluation while the alert fires
    state: AlertState = AlertState.INACTIVE
    since: float = 0.0  # clock time the condition started holding
    value: float = math.nan  # the measure at the last evaluation
    fired: int = 0

    def holds(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        return value >= self.threshold if self.at_least else value > self.threshold


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """The ``q`` quantile of cumulative ``(upper bound, count)`` buckets, ending with +inf, as
    Prometheus interpolates it; None when the buckets are empty. Beyond the last finite bound the
    answer is that bound (Prometheus' rule too)."""
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


class AlertingSystem(Periodic):
    """Evaluates the six rules on the monitoring framework's collection; see the module docstring.

    The responses act through the components' own public methods, handed in by the assembly: the
    risk system (its limits, for the throttle), ``pause``/``resume`` of the strategy's decisions,
    ``reconnect`` of the session pool, ``resync`` of a symbol from a snapshot, and ``cancel_all``."""

    name = "alerting_system"

    def __init__(
        self,
        monitoring: AdvancedMonitoringFramework,
        clock: Clock,
        timer: Timer,
        settings: AlertSettings | dict[str, Any] | None = None,
        *,
        risk: Any = None,
        pause: Callable[[], None] = lambda: None,
        resume: Callable[[], None] = lambda: None,
        reconnect: Callable[[], None] = lambda: None,
        resync: Callable[[str], None] = lambda symbol: None,
        cancel_all: Callable[[], int] = lambda: 0,
    ) -> None:
        super().__init__()
        if not isinstance(settings, AlertSettings):
            settings = alert_settings(settings)
        self.settings = settings
        self._monitoring = monitoring
        self._clock = clock
        self._timer = timer
        self._risk = risk
        self._configured_rate = None if risk is None else risk.limits.max_orders_per_second
        self._pause, self._resume, self._reconnect = pause, resume, reconnect
        self._resync, self._cancel_all = resync, cancel_all
        self._handle: TimerHandle | None = None
        # (clock time, latency buckets per path, orders, rejected) per evaluation, back to the window.
        self._history: deque[tuple[float, dict[str, list[float]], float, float]] = deque()
        self.events: list[AlertEvent] = []
        self.evaluations = 0
        self.evaluated_at: float | None = None
        self.responses: dict[str, int] = {}  # responses performed, by kind
        s = settings
        self.rules = [
            Rule(
                "order_latency",
                Severity.CRITICAL,
                s.order_latency_p99_ms,
                s.order_latency_for,
                self._latency_p99_ms,
                self._throttle,
                self._unthrottle,
            ),
            Rule(
                "order_error_rate",
                Severity.CRITICAL,
                s.error_rate_pct,
                s.error_rate_for,
                self._error_rate_pct,
                self._pause_strategy,
                self._resume_strategy,
            ),
            Rule(
                "market_data_staleness",
                Severity.WARNING,
                s.market_data_stale_s,
                s.market_data_stale_for,
                self._feed_age,
                self._resync_stale,
            ),
            Rule(
                "venue_disconnect",
                Severity.CRITICAL,
                # Fires when the live sessions fall below the minimum: measured as the shortfall.
                0.0,
                s.venue_disconnect_for,
                self._session_shortfall,
                self._reconnect_pool,
                repeat=True,
            ),
            Rule(
                "risk_limit_use",
                Severity.WARNING,
                s.risk_limit_use_pct,
                s.risk_limit_use_for,
                self._risk_use_pct,
                self._cancel_everything,
                at_least=True,
            ),
            Rule(
                "market_data_lag",
                Severity.WARNING,
                s.market_data_lag_ms,
                s.market_data_lag_for,
                self._feed_p99_ms,
                self._throttle,
                self._unthrottle,
            ),
        ]
        self._by_name = {rule.name: rule for rule in self.rules}

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        return self.settings.interval

    def tick(self) -> None:
        self.evaluate()

    # --- evaluation ------------------------------------------------------------------------------

    def evaluate(self) -> list[AlertEvent]:
        """Evaluate every rule on the monitoring framework's last collection; the events it raised."""
        now = self._clock.now()
        self._remember(now)
        raised: list[AlertEvent] = []
        for rule in self.rules:
            value = rule.measure()
            rule.value = math.nan if value is None else float(value)
            event = self._step(rule, now, value)
            if event is not None:
                raised.append(event)
        self.events.extend(raised)
        self.evaluations += 1
        self.evaluated_at = now
        return raised

    def _step(self, rule: Rule, now: float, value: float | None) -> AlertEvent | None:
        """Move ``rule`` along inactive -> pending -> firing -> resolved; an event on a transition."""
        holds = rule.holds(value)
        state = rule.state
        if holds and state is AlertState.INACTIVE:
            rule.state, rule.since = AlertState.PENDING, now
            state = AlertState.PENDING
            if rule.hold > 0:
                return self._event(rule, now, "pending")
        if holds and state is AlertState.PENDING and now - rule.since >= rule.hold:
            rule.state = AlertState.FIRING
            rule.fired += 1
            event = self._event(rule, now, "firing")
            rule.respond()
            return event
        if holds and state is AlertState.FIRING and rule.repeat:
            rule.respond()  # performed again; the alert itself is not raised again
            return None
        if not holds and state is AlertState.PENDING:
            rule.state = AlertState.INACTIVE
            return self._event(rule, now, "inactive")
        if not holds and state is AlertState.FIRING:
            rule.state = AlertState.INACTIVE
            event = self._event(rule, now, "resolved")
            rule.recover()
            return event
        return None

    def _event(self, rule: Rule, now: float, state: str) -> AlertEvent:
        return AlertEvent(now, rule.name, state, rule.severity, rule.value, rule.threshold)

    def _remember(self, now: float) -> None:
        m = self._monitoring
        buckets = {}
        for path in (ORDER_PATH, FEED_PATH):
            counts = m.buckets("allu_latency_seconds", path=path, symbol="all")
            buckets[path] = [n for _, n in counts] if counts else [0.0] * len(LATENCY_LES)
        self._history.append(
            (now, buckets, m.total("allu_orders_total"), m.total("allu_orders_rejected_total"))
        )
        # Keep the newest entry at or before the window's start, so the window is always covered.
        while len(self._history) > 1 and self._history[1][0] <= now - self.settings.window:
            self._history.popleft()

    # --- the rules' measures -----------------------------------------------------------------------

    def _latency_p99_ms(self) -> float | None:
        return self._p99_ms(ORDER_PATH)

    def _feed_p99_ms(self) -> float | None:
        return self._p99_ms(FEED_PATH)

    def _p99_ms(self, path: str) -> float | None:
        """The p99 of ``path``'s latencies recorded within the window, in ms; None below the minimum
        number of samples."""
        before, after = self._history[0][1][path], self._history[-1][1][path]
        increase = [max(0.0, a - b) for a, b in zip(after, before, strict=True)]
        if increase[-1] < self.settings.latency_min_samples:
            return None
        p99 = histogram_quantile(0.99, list(zip((*LATENCY_BUCKETS, math.inf), increase, strict=True)))
        return None if p99 is None else 1_000.0 * p99

    def _error_rate_pct(self) -> float | None:
        (_, _, orders_before, rejected_before), (_, _, orders, rejected) = self._history[0], self._history[-1]
        placed = orders - orders_before
        refused = rejected - rejected_before
        if placed <= 0:
            return None if refused <= 0 else 100.0
        # A few refusals among a few orders are not a storm: the rate is over the minimum at least. It
        # also keeps the alert firing while the paused strategy places nothing, until the refusals
        # have left the window.
        return 100.0 * refused / max(placed, self.settings.error_rate_min_orders)

    def _stale_symbols(self) -> list[str]:
        m = self._monitoring
        return [
            symbol
            for symbol in m.symbols
            if (m.value("allu_feed_age_seconds", symbol=symbol) or 0.0) > self.settings.market_data_stale_s
        ]

    def _feed_age(self) -> float | None:
        m = self._monitoring
        ages = [m.value("allu_feed_age_seconds", symbol=symbol) for symbol in m.symbols]
        known = [age for age in ages if age is not None]
        return max(known) if known else None

    def _session_shortfall(self) -> float | None:
        live = self._monitoring.value(
            "allu_component_metric", component="trading_system_optimizer", metric="sessions_live"
        )
        return None if live is None else self.settings.venue_min_sessions - live

    def _risk_use_pct(self) -> float | None:
        m = self._monitoring
        killed = m.value("allu_component_metric", component="risk_management_system", metric="killed")
        if killed:
            return 100.0
        if self._risk is None:
            return None
        limit = self._risk.limits.max_position
        positions = [m.value("allu_position", symbol=symbol) for symbol in m.symbols]
        held = [abs(p) for p in positions if p is not None]
        return 100.0 * max(held) / limit if held else None

    # --- the responses ------------------------------------------------------------------------------

    def _count(self, kind: str) -> None:
        self.responses[kind] = self.responses.get(kind, 0) + 1

    def _throttled(self) -> bool:
        return any(r.state is AlertState.FIRING and r.respond == self._throttle for r in self.rules)

    def _throttle(self) -> None:
        if self._risk is None:
            return
        limits = self._risk.limits
        rate = min(limits.max_orders_per_second, self.settings.throttle_orders_per_second)
        self._risk.limits = dataclasses.replace(limits, max_orders_per_second=rate)
        self._count("throttle")

    def _unthrottle(self) -> None:
        if self._risk is None or self._throttled():
            return
        self._risk.limits = dataclasses.replace(
            self._risk.limits, max_orders_per_second=self._configured_rate
        )

    def _pause_strategy(self) -> None:
        self._pause()
        self._count("pause")

    def _resume_strategy(self) -> None:
        self._resume()

    def _resync_stale(self) -> None:
        for symbol in self._stale_symbols():
            self._resync(symbol)
        self._count("resync")

    def _reconnect_pool(self) -> None:
        self._reconnect()
        self._count("reconnect")

    def _cancel_everything(self) -> None:
        self._cancel_all()
        self._count("cancel_all")

    # --- queries -------------------------------------------------------------------------------------

    def rule(self, name: str) -> Rule:
        if name not in self._by_name:
            raise InvalidInput(
                self.name, "rule", f"unknown rule {name!r} (known: {', '.join(self._by_name)})"
            )
        return self._by_name[name]

    def firing(self) -> list[str]:
        return [r.name for r in self.rules if r.state is AlertState.FIRING]

    def history(self, rule: str | None = None, state: str | None = None) -> list[AlertEvent]:
        """The events raised so far, of one rule and one state when given."""
        return [
            e for e in self.events if (rule is None or e.rule == rule) and (state is None or e.state == state)
        ]

    # --- component API ---------------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if not self._monitoring.running:
            return Health(HealthState.DEGRADED, "the monitoring framework it reads is not running")
        last = self.evaluated_at
        if last is not None and self._clock.now() - last > LATE_INTERVALS * self.settings.interval:
            return Health(HealthState.DEGRADED, f"no evaluation since {last:g} s")
        return Health(HealthState.HEALTHY, f"{len(self.firing())} alerts firing")

    def metrics(self) -> dict[str, float]:
        n = self.name
        out = {f"{n}.evaluations": float(self.evaluations), f"{n}.firing": float(len(self.firing()))}
        for rule in self.rules:
            out[f"{n}.{rule.name}.state"] = STATE_CODES[rule.state]
            out[f"{n}.{rule.name}.fired"] = float(rule.fired)
        return out

    def validate(self) -> list[str]:
        problems = []
        for rule in self.rules:
            fired = sum(1 for e in self.events if e.rule == rule.name and e.state == "firing")
            resolved = sum(1 for e in self.events if e.rule == rule.name and e.state == "resolved")
            open_now = 1 if rule.state is AlertState.FIRING else 0
            if fired != rule.fired or fired != resolved + open_now:
                problems.append(f"{rule.name}: fired {fired}, resolved {resolved}, firing now {open_now}")
        return problems

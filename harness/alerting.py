"""The Alerting System judged from outside it: a condition brought about through the simulator, the
alerts set beside when that condition held, and each rule's response seen at the venue boundary.

The session runs one evaluation interval at a time. Just before every evaluation the watch notes
what the venue side shows: the account's open orders and positions at the exchange, the snapshots
the gateway served, the sessions it holds for the account; every connection the system opens goes
through the venue tap, where the watch notes its time. The alerts themselves are the Alerting
System's output (its events, as an operator's pager would receive them); whether they were right is
judged against the condition as the simulator produced it, and whether the system responded is
judged from the tap, the gateway and the exchange's records, never from the system's own counters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.operations import environment
from harness.session import ACCOUNT, SessionSpec, TradingSession
from simulator.faults import FaultPlan
from system.alerting import AlertEvent
from system.profiles import Profile, load_profile
from system.sessions import BACKOFF_MAX
from system.settings import AlertSettings

START = 40.0  # simulated second at which a condition is brought about
SETTLE = 0.001  # how long before an evaluation the venue side is noted
DEFAULTS = AlertSettings()

# The rules as people name them.
RULES = {
    "order latency": "order_latency",
    "order error rate": "order_error_rate",
    "market data staleness": "market_data_staleness",
    "venue disconnect": "venue_disconnect",
    "risk limit use": "risk_limit_use",
    "market data lag": "market_data_lag",
}
# Each rule's hold time, and how long after its condition ends its measure may still show it:
# the rules over a window see the condition for a window more; the others one evaluation more.
HOLDS = {
    "order_latency": DEFAULTS.order_latency_for,
    "order_error_rate": DEFAULTS.error_rate_for,
    "market_data_staleness": DEFAULTS.market_data_stale_for,
    "venue_disconnect": DEFAULTS.venue_disconnect_for,
    "risk_limit_use": DEFAULTS.risk_limit_use_for,
    "market_data_lag": DEFAULTS.market_data_lag_for,
}
WINDOWED = {"order_latency", "order_error_rate", "market_data_lag"}
POSITION_LIMIT = 600  # the risk row's position limit: the strategy often holds 500 or more


@dataclass(frozen=True)
class Condition:
    """A condition brought about through the simulator (faults) or the system's configuration."""

    faults: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def plan(self, text: str) -> FaultPlan | None:
        return FaultPlan.from_entries(self.faults, f"the condition {text!r}") if self.faults else None

    def window(self) -> tuple[float, float] | None:
        """When the fault lasts, in simulated seconds; None when the condition is not a fault."""
        if not self.faults:
            return None
        fault = self.faults[0]
        return fault["at"], fault["at"] + fault["duration"]


CONDITIONS = {
    "acknowledgements held up by 60 ms for 20 s": Condition(
        [{"at": START, "fault": "slow_acks", "extra": 0.06, "duration": 20}]
    ),
    "a storm of refused orders for 10 s": Condition([{"at": START, "fault": "reject_storm", "duration": 10}]),
    "a withheld market data feed for 10 s": Condition([{"at": START, "fault": "stale_feed", "duration": 10}]),
    "a gateway crash of 10 s": Condition([{"at": START, "fault": "crash", "duration": 10}]),
    "a position limit of 600, below what the strategy often holds": Condition(
        settings={"risk": {"max_position": POSITION_LIMIT}}
    ),
    "a hundredfold delay on the market data link for 20 s": Condition(
        [{"at": START, "fault": "latency_spike", "link": "feed_to_client", "factor": 100, "duration": 20}]
    ),
}


def rule_named(text: str) -> str:
    assert text in RULES, f"no alert rule called {text!r} (known: {', '.join(RULES)})"
    return RULES[text]


def condition_named(text: str) -> Condition:
    assert text in CONDITIONS, f"no condition called {text!r} (known: {', '.join(CONDITIONS)})"
    return CONDITIONS[text]


@dataclass(frozen=True)
class VenueSide:
    """What the venue side showed just before one evaluation."""

    time: float
    open_orders: frozenset[str]  # client ids of the account's orders open at the exchange
    largest_position: int  # the largest absolute position of the account at the exchange
    snapshots_served: int  # snapshots the gateway served so far
    live_sessions: int  # the account's sessions the gateway holds


@dataclass
class AlertWatch:
    """A session run one evaluation at a time, with the venue side noted before each."""

    session: TradingSession
    seen: list[VenueSide] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)  # times the system opened a connection

    def __post_init__(self) -> None:
        tap = self.session.tap
        connect = tap.connect
        now = self.session.clock.now

        def counted(*args: Any) -> Any:
            self.connects.append(now())
            return connect(*args)

        # The pool looks the method up on every connect, so it goes through this one from now on.
        tap.connect = counted  # type: ignore[method-assign]

    @property
    def alerting(self) -> Any:
        return self.session.system.alerting

    def trade(self, seconds: float) -> None:
        interval = self.alerting.settings.interval
        end = self.session.now + seconds
        while self.session.now < end:
            evaluation = (int(self.session.now / interval + 1e-9) + 1) * interval
            self.session.run(max(0.0, evaluation - SETTLE - self.session.now))
            self.seen.append(self._venue_side())
            self.session.run(min(interval, end - self.session.now))

    def _venue_side(self) -> VenueSide:
        market = self.session.market
        records = market.exchange.records(ACCOUNT)
        positions = records.positions()
        return VenueSide(
            time=self.session.now,
            open_orders=frozenset(c for c, o in records.orders.items() if not o.status.terminal),
            largest_position=max((abs(q) for q in positions.values()), default=0),
            snapshots_served=market.gateway.snapshots_served,
            live_sessions=market.gateway.live_sessions(ACCOUNT),
        )

    def side_at(self, time: float) -> VenueSide:
        """The venue side noted just before the evaluation at ``time``."""
        return min(self.seen, key=lambda s: abs(s.time + SETTLE - time))

    def events(self, rule: str, state: str | None = None) -> list[AlertEvent]:
        return self.alerting.history(rule, state)

    def episodes(self, rule: str, condition: Condition) -> list[tuple[float, float]]:
        """When the condition held, as the simulator made it: the fault's span, or for the risk row
        the evaluations at which the exchange showed a position at the rule's share of the limit."""
        window = condition.window()
        if window is not None:
            return [window]
        assert rule == "risk_limit_use", f"{rule}: a condition without a fault is the position limit's"
        bound = self.alerting.settings.risk_limit_use_pct / 100 * POSITION_LIMIT
        spans: list[tuple[float, float]] = []
        for side in self.seen:
            at = side.time + SETTLE
            if side.largest_position >= bound:
                if spans and spans[-1][1] >= at - self.alerting.settings.interval - 1e-9:
                    spans[-1] = (spans[-1][0], at)
                else:
                    spans.append((at, at))
        return spans

    def episode_of(self, rule: str, episodes: list[tuple[float, float]], time: float) -> int | None:
        """The index of the span of the condition a firing at ``time`` answers: the latest one whose
        hold had passed by then and whose reach had not; None when there is none."""
        hold, reach = HOLDS[rule], self.reach(rule)
        fitting = [i for i, (start, end) in enumerate(episodes) if start + hold - 1e-9 <= time <= end + reach]
        return fitting[-1] if fitting else None

    def reach(self, rule: str) -> float:
        """How long after its condition ends the rule's measure may still show it, plus one evaluation."""
        s = self.alerting.settings
        return (s.window if rule in WINDOWED else 0.0) + 2 * s.interval

    def new_orders(self, start: float, end: float) -> list[float]:
        """Decision times of the new orders the tap saw sent in [start, end)."""
        return sorted(o.trigger for o in self.session.tap.orders.values() if start <= o.trigger < end)

    def firing_spans(self, rule: str) -> list[tuple[float, float]]:
        """(fired, resolved) of every firing; resolved is the session's end if it still fires."""
        spans = []
        for fired in self.events(rule, "firing"):
            after = [e.time for e in self.events(rule, "resolved") if e.time > fired.time]
            spans.append((fired.time, min(after) if after else self.session.now))
        return spans


def watched_session(seed: int, symbols: int, market: str, condition: Condition, text: str) -> AlertWatch:
    spec = SessionSpec(
        seed=seed, symbols=symbols, profile=market, faults=condition.plan(text), settings=condition.settings
    )
    return AlertWatch(TradingSession(spec))


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` (sorted) within any one second (the risk system's sliding window)."""
    most, first = 0, 0
    for i, t in enumerate(times):
        while times[first] <= t - 1.0:
            first += 1
        most = max(most, i - first + 1)
    return most


# --- responses seen from outside ------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One figure of a response as the venue side showed it, with its bound."""

    name: str
    value: float
    unit: str
    samples: int
    least: int
    method: str
    at_most: float | None = None
    at_least: float | None = None


@dataclass(frozen=True)
class Response:
    figures: list[Measured]
    rows: list[dict]


def _throttled(watch: AlertWatch, rule: str) -> Response:
    rate = watch.alerting.settings.throttle_orders_per_second
    sent, rows = 0, []
    for fired, resolved in watch.firing_spans(rule):
        times = watch.new_orders(fired, resolved)
        sent += len(times)
        rows.append(
            {
                "fired": fired,
                "resolved": resolved,
                "new orders": len(times),
                "busiest second": busiest_second(times),
            }
        )
    busiest = Measured(
        "new orders in the busiest second while the alert fired",
        max((r["busiest second"] for r in rows), default=0),
        "orders",
        sent,
        3,
        "new orders the venue tap saw sent between each firing and its resolution, the most within any "
        "one second; at least 3 sent, or the system did not trade at all",
        at_most=rate,
    )
    return Response([busiest], rows)


def _paused(watch: AlertWatch, rule: str) -> Response:
    rows = []
    for fired, resolved in watch.firing_spans(rule):
        accepted = [
            c
            for c, o in watch.session.tap.orders.items()
            if o.trigger >= resolved and o.answered is not None and o.rejected is None
        ]
        rows.append(
            {
                "fired": fired,
                "resolved": resolved,
                "paused seconds": resolved - fired,
                "new orders while paused": len(watch.new_orders(fired, resolved)),
                "accepted after": len(accepted),
            }
        )
    paused = int(sum(r["paused seconds"] for r in rows))
    during = Measured(
        "new orders while the alert fired",
        sum(r["new orders while paused"] for r in rows),
        "orders",
        paused,
        2,
        "new orders the venue tap saw sent between each firing and its resolution (the seconds paused "
        "are the samples)",
        at_most=0,
    )
    again = Measured(
        "orders accepted after the alert resolved",
        min((r["accepted after"] for r in rows), default=0),
        "orders",
        len(rows),
        1,
        "new orders sent after each resolution that the venue answered without refusing, the fewest "
        "after any one resolution",
        at_least=1,
    )
    return Response([during, again], rows)


def _resynced(watch: AlertWatch, rule: str, condition: Condition) -> Response:
    window = condition.window()
    assert window is not None, "staleness is brought about by withholding the feed"
    start, end = window
    rows = []
    for fired, _ in watch.firing_spans(rule):
        if start <= fired < end:
            served = watch.side_at(end).snapshots_served - watch.side_at(fired).snapshots_served
            rows.append({"fired": fired, "feed back at": end, "snapshots served meanwhile": served})
    symbols = len(watch.session.system.symbols)
    served = Measured(
        "snapshots the gateway served between the firing and the feed's return",
        min((r["snapshots served meanwhile"] for r in rows), default=0),
        "snapshots",
        len(rows),
        1,
        f"the gateway's count of snapshots served, noted before each evaluation, from the firing to the "
        f"feed's return; one per stale symbol ({symbols}) while the feed was still withheld",
        at_least=symbols,
    )
    return Response([served], rows)


def _reconnected(watch: AlertWatch, rule: str, condition: Condition) -> Response:
    window = condition.window()
    assert window is not None, "a disconnect is brought about by a gateway crash"
    pool = watch.session.system.settings.pool_size
    interval = watch.alerting.settings.interval
    rows = []
    for fired, resolved in watch.firing_spans(rule):
        until = min(resolved, window[1])
        tries = [t for t in watch.connects if fired <= t <= until]
        gaps = [b - a for a, b in zip([fired, *tries], [*tries, until], strict=True)]
        back = [s.time + SETTLE for s in watch.seen if s.time >= window[1] and s.live_sessions >= pool]
        rows.append(
            {
                "fired": fired,
                "gateway back at": window[1],
                "connection attempts": len(tries),
                "longest wait between attempts": max(gaps),
                "all sessions live by": min(back) - window[1] if back else -1.0,
            }
        )
    waited = Measured(
        "longest wait between the pool's connection attempts while the alert fired",
        max((r["longest wait between attempts"] for r in rows), default=0.0),
        "s",
        sum(r["connection attempts"] for r in rows),
        2,
        f"connections the system opened through the venue tap from each firing until the gateway was back "
        f"(or the alert resolved); the pool's own backoff grows to {BACKOFF_MAX:g} s between attempts, the "
        f"response logs on again at every evaluation ({interval:g} s)",
        at_most=interval + 0.01,
    )
    live = Measured(
        "seconds from the gateway's return until it held every session of the pool",
        max((r["all sessions live by"] for r in rows), default=-1.0),
        "s",
        sum(1 for r in rows if r["all sessions live by"] >= 0),
        len(rows) or 1,
        "the gateway's live sessions for the account, noted before each evaluation after the crash ended",
        at_most=watch.alerting.settings.interval * 3,
    )
    return Response([waited, live], rows)


def _cancelled(watch: AlertWatch, rule: str) -> Response:
    rows = []
    for fired, _ in watch.firing_spans(rule):
        before = watch.side_at(fired).open_orders
        later = [s for s in watch.seen if s.time >= fired + 0.5]
        still = before & later[0].open_orders if later else before
        rows.append(
            {"fired": fired, "open at the exchange": len(before), "still open a second later": len(still)}
        )
    still_open = Measured(
        "orders open at a firing still open at the exchange a second later",
        sum(r["still open a second later"] for r in rows),
        "orders",
        sum(r["open at the exchange"] for r in rows),
        1,
        "the account's orders the exchange held open just before each firing evaluation, and which of "
        "them it still held open just before the next one",
        at_most=0,
    )
    return Response([still_open], rows)


RESPONSES: dict[str, Callable[[AlertWatch, str, Condition], Response]] = {
    "throttles its new orders": lambda w, r, c: _throttled(w, r),
    "pauses its strategy until orders are accepted again": lambda w, r, c: _paused(w, r),
    "asks the exchange for a fresh snapshot of every stale symbol": _resynced,
    "keeps logging its pool on at every evaluation, whatever its backoff": _reconnected,
    "cancels every order it had open": lambda w, r, c: _cancelled(w, r),
}


def response_of(watch: AlertWatch, rule: str, condition: Condition, text: str) -> Response:
    assert text in RESPONSES, f"no response called {text!r} (known: {', '.join(RESPONSES)})"
    return RESPONSES[text](watch, rule, condition)


# --- thresholds from the production profile ---------------------------------------------------------


def production_profile(threshold_ms: float | None = None) -> Profile:
    """The production profile as shipped, or with its order latency threshold raised to
    ``threshold_ms`` by an override layer over its alerts section."""
    env = environment()
    overrides: list[Any] = []
    if threshold_ms is not None:
        shipped = load_profile("production", [], env).settings.alerts
        overrides.append({"system": {"alerts": {**shipped, "order_latency_p99_ms": threshold_ms}}})
    return load_profile("production", overrides, env)


def production_session(seed: int, profile: Profile, faults: list[dict[str, Any]]) -> AlertWatch:
    """A session whose system is configured from ``profile``, with ``faults`` brought about."""
    spec = SessionSpec(
        seed=seed,
        symbols=3,
        profile="normal",
        faults=FaultPlan.from_entries(faults, "the production session's faults"),
        settings=dataclasses.asdict(profile.settings),
        secret=profile.venue_secret.reveal(),
    )
    return AlertWatch(TradingSession(spec))

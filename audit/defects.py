"""The catalogue of planted defects: realistic bugs of the system under test, each with the criteria
whose scenarios must turn red when it is planted.

The system holds no test switches. A defect is planted from outside: it replaces a method or a
module attribute of ``system/`` with a changed version (usually a wrapper of the original), before
any session is built, in a process that runs only the scenarios of the defect's criteria. Each
change is the smallest one that produces the bug as a user of the system would meet it; where a
bug also lies about itself (counters that claim what did not happen), the lie is part of the
defect, because that is what a judge from outside must see through.

:func:`planted` plants a defect for the length of a ``with`` block and restores every replaced
attribute afterwards (the unit tests plant each one in-process).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import system.analytics
import system.backup
import system.ledger
import system.orders
from system.alerting import AlertingSystem, AlertState
from system.app import TradingSystem
from system.bus import DataFlowManager
from system.cache import MarketDataEnhancer
from system.component import Health, HealthState
from system.database import OperationsDatabase
from system.deployment import DeploymentSystem
from system.errors import InvalidInput
from system.health import HealthCheckSystem
from system.ledger import PaperTradingSystem
from system.marketdata import MarketDataSystem
from system.monitoring import AdvancedMonitoringFramework
from system.operator_api import OperatorAPI
from system.orders import TradingExecutionEngine
from system.perf import PerformanceAnalyzer
from system.recovery import ErrorRecoverySystem
from system.risk import RiskManagementSystem
from system.sessions import TradingSystemOptimizer
from venue.messages import (
    CancelOrder,
    CancelReject,
    ExecType,
    ExecutionReport,
    Logon,
    Logout,
    NewOrder,
    OrdType,
    Phase,
    ReplaceOrder,
)

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MISSING = object()
# What a defect's own code raises when the system it patches has changed under it.
_MISFIT = (AttributeError, TypeError, NameError, KeyError, IndexError)


class Planter:
    """Replaces attributes of classes or modules and remembers how to put them back."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []
        # Errors raised by a defect's own code (not by the system code it calls): a defect that no
        # longer fits the system breaks the run, and a run broken that way has caught nothing.
        self.broken: list[str] = []

    @property
    def replaced(self) -> list[tuple[Any, str, Any]]:
        """(owner, attribute, what the owner itself held before, or MISSING) for each replacement."""
        return list(self._saved)

    @property
    def targets(self) -> list[str]:
        """What was replaced, as ``module.Owner.attribute`` (or ``module.attribute``)."""
        return [
            f"{owner.__name__}.{name}"
            if isinstance(owner, ModuleType)
            else f"{owner.__module__}.{owner.__qualname__}.{name}"
            for owner, name, _ in self._saved
        ]

    def set(self, owner: Any, name: str, value: Any) -> None:
        if not hasattr(owner, name):
            raise AttributeError(f"{owner.__name__} has no attribute {name!r} to plant a defect in")
        # Only what the owner itself holds is put back; an inherited attribute is removed again.
        self._saved.append((owner, name, vars(owner).get(name, MISSING)))
        setattr(owner, name, value)

    def wrap(self, owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
        """Replace ``owner.name`` by a function calling ``wrapper(original, *args, **kwargs)``."""
        original = getattr(owner, name)

        def call_original(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            except Exception as exc:
                exc.__audit_from_system__ = True  # type: ignore[attr-defined]
                raise

        @functools.wraps(original)
        def planted(*args: Any, **kwargs: Any) -> Any:
            try:
                return wrapper(call_original, *args, **kwargs)
            except _MISFIT as exc:
                if not getattr(exc, "__audit_from_system__", False):
                    self.broken.append(f"{name}: {type(exc).__name__}: {exc}")
                raise

        self.set(owner, name, planted)

    def restore(self) -> None:
        while self._saved:
            owner, name, value = self._saved.pop()
            if value is MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


@dataclass(frozen=True)
class Defect:
    name: str
    description: str  # one line, in the words of the bug report a user would file
    criteria: tuple[str, ...]  # the criteria whose scenarios must turn red
    plant: Callable[[Planter], None]


CATALOGUE: list[Defect] = []


def defect(name: str, description: str, *criteria: str) -> Callable[[Callable[[Planter], None]], Any]:
    def register(plant: Callable[[Planter], None]) -> Callable[[Planter], None]:
        CATALOGUE.append(Defect(name, description, tuple(criteria), plant))
        return plant

    return register


def by_name(name: str) -> Defect:
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise KeyError(f"no defect called {name!r} (known: {', '.join(d.name for d in CATALOGUE)})")


@contextmanager
def planted(entry: Defect) -> Iterator[Planter]:
    """Plant ``entry`` for the block (its planter says what it replaced and whether the defect's own
    code broke), and restore everything afterwards."""
    planter = Planter()
    try:
        entry.plant(planter)
        yield planter
    finally:
        planter.restore()


def _count(owner: object, name: str) -> int:
    """A per-instance counter kept by a defect on the object it lives in; returns the new value."""
    value = vars(owner).get(name, 0) + 1
    setattr(owner, name, value)
    return value


# --- the books: fills, P&L, positions ---------------------------------------------------------------


@defect(
    "fill-lost-before-ledger",
    "One fill in 20 never reaches the ledger: its write fails and the error is swallowed.",
    "P2-WORKFLOW",
    "P2-ERROR-HANDLING",
)
def _fill_lost(p: Planter) -> None:
    def apply_fill(original, ledger, *args, **kwargs):  # noqa: ANN001, ANN202
        if _count(ledger, "_audit_fills") % 20 == 0:
            return True  # reported as booked
        return original(ledger, *args, **kwargs)

    p.wrap(PaperTradingSystem, "apply_fill", apply_fill)


@defect(
    "realized-pnl-wrong-sign",
    "Realized P&L of a closing trade is booked with the wrong sign.",
    "P2-WORKFLOW",
)
def _pnl_sign(p: Planter) -> None:
    def apply_state(original, ledger, symbol, *args):  # noqa: ANN001, ANN202
        book = ledger._books.get(symbol)
        before = 0.0 if book is None else book.realized
        original(ledger, symbol, *args)
        book = ledger._books[symbol]
        gain = book.realized - before
        book.realized -= 2 * gain
        ledger._realized -= 2 * gain

    p.wrap(PaperTradingSystem, "_apply_state", apply_state)


@defect(
    "ledger-accepts-negative-fill",
    "The ledger checks only that a fill's quantity and price are non-zero, so a negative fill is booked.",
    "P1-COMPONENT-ERRORS",
)
def _negative_fill(p: Planter) -> None:
    def require_non_zero(original, where, field, value):  # noqa: ANN001, ANN202
        if value == 0:
            original(where, field, value)

    p.wrap(system.ledger, "require_positive_int", require_non_zero)


# --- risk ---------------------------------------------------------------------------------------------


@defect(
    "risk-approves-oversize",
    "Risk's order-size check reads the position limit (20,000) instead of the order-size limit (5,000).",
    "BASE-TRADING-ERRORS",
)
def _oversize(p: Planter) -> None:
    def first_breach(original, risk, *args):  # noqa: ANN001, ANN202
        limits = risk.limits
        risk.limits = dataclasses.replace(limits, max_order_qty=limits.max_position)
        try:
            return original(risk, *args)
        finally:
            risk.limits = limits

    p.wrap(RiskManagementSystem, "_first_breach", first_breach)


@defect(
    "risk-ignores-amendments",
    "Amendments go to the exchange without the pre-trade risk check.",
    "BASE-TRADING-ERRORS",
)
def _amend_unchecked(p: Planter) -> None:
    def amend(original, engine, intent):  # noqa: ANN001, ANN202
        engine._risk_refuses = lambda *args, **kwargs: False
        try:
            return original(engine, intent)
        finally:
            del engine._risk_refuses

    p.wrap(TradingExecutionEngine, "_amend", amend)


# --- the execution engine -----------------------------------------------------------------------------


@defect(
    "errors-filed-as-market-rejects",
    "The venue's refusals of the engine's own bad orders (1 in 50 off the tick) are filed as market rejects.",
    "P2-LOAD-CONDITIONS",
)
def _errors_filed(p: Planter) -> None:
    def place(original, engine, intent):  # noqa: ANN001, ANN202
        if intent.price is not None and _count(engine, "_audit_places") % 50 == 0:
            intent = dataclasses.replace(intent, price=intent.price + 1)  # one price unit off the grid
        return original(engine, intent)

    def count_reject(_original, engine, _reason):  # noqa: ANN001, ANN202
        engine.market_rejects += 1

    p.wrap(TradingExecutionEngine, "_place", place)
    p.wrap(TradingExecutionEngine, "_count_reject", count_reject)


@defect(
    "duplicate-order-after-reconnect",
    "After a reconnect the engine sends each open order again under a new client id: the venue holds both.",
    "P2-ERROR-HANDLING",
    "BASE-RECOVERY-RATE",
)
def _duplicate_order(p: Planter) -> None:
    def on_session_ready(original, engine):  # noqa: ANN001, ANN202
        original(engine)
        # The open orders are taken for orders lost with the session (open, not unanswered).
        for symbol in list(engine._open):
            for record in engine.open_orders(symbol):
                if record.pending or record.price is None:
                    continue
                new_id = engine._new_id()
                engine._by_id[new_id] = record
                qty, price = record.leaves_qty, record.price
                engine._send(NewOrder(new_id, record.symbol, record.side, qty, OrdType.LIMIT, price))

    p.wrap(TradingExecutionEngine, "on_session_ready", on_session_ready)


@defect(
    "resend-in-flight",
    "At every logon the engine sends again every request in flight, also those a session still up "
    "carries: the venue refuses the copies as duplicates.",
    "P2-ERROR-HANDLING",
)
def _resend_in_flight(p: Planter) -> None:
    def on_session_ready(original, engine):  # noqa: ANN001, ANN202
        engine._carries = lambda _session: False  # every session taken for lost
        original(engine)

    p.wrap(TradingExecutionEngine, "on_session_ready", on_session_ready)


@defect(
    "cancel-ack-ignored",
    "The engine ignores the venue's cancel confirmations, so cancelled orders stay live in its books.",
    "SYS-E2E-RATE",
    "OBJ-E2E",
)
def _cancel_ignored(p: Planter) -> None:
    def apply_report(original, engine, report):  # noqa: ANN001, ANN202
        if report.exec_type is not ExecType.CANCELLED:
            original(engine, report)

    p.wrap(TradingExecutionEngine, "_apply_report", apply_report)


@defect(
    "reports-in-arrival-order",
    "Execution reports are applied as they arrive; one overtaken by a later exec_seq is dropped as a repeat.",
    "P2-ERROR-HANDLING",
)
def _arrival_order(p: Planter) -> None:
    def on_message(original, engine, body):  # noqa: ANN001, ANN202
        if isinstance(body, ExecutionReport | CancelReject) and body.exec_seq > 0:
            if body.exec_seq <= engine._last_seq:
                engine.duplicates += 1
                return
            engine._last_seq = body.exec_seq
            engine._apply(body)
            return
        original(engine, body)

    p.wrap(TradingExecutionEngine, "on_message", on_message)


@defect(
    "amend-refused-as-bad-input",
    "The engine refuses every amendment as bad input (a copy of the new-order check wants a symbol).",
    "BASE-TRADING-ERRORS",
)
def _amend_refused(p: Planter) -> None:
    def amend(_original, _engine, intent):  # noqa: ANN001, ANN202
        raise InvalidInput("order intent", "symbol", f"must be a non-empty string, got {None!r} ({intent})")

    p.wrap(TradingExecutionEngine, "_amend", amend)


# --- the session pool ---------------------------------------------------------------------------------


@defect(
    "session-per-order",
    "The session pool logs out after every request it sends and logs on again for the next.",
    "BASE-CONNECTION-REUSE",
    "P1-BASIC-FUNCTION",
)
def _session_per_order(p: Planter) -> None:
    def submit(original, pool, message):  # noqa: ANN001, ANN202
        sent = original(pool, message)
        if sent:
            # Done with the session: log out behind the request (the venue ends the session once it
            # has taken the request) and log on afresh on that slot for the next one.
            slot = pool._slots[(pool._rr - 1) % pool.size]
            pool._send(slot, Logout("request sent"))
            slot.generation += 1  # what the old session still reports is ignored
            slot.live = False
            slot.conn = None
            if slot.watchdog is not None:
                slot.watchdog.cancel()
                slot.watchdog = None
            pool._connect(slot)
        return sent

    p.wrap(TradingSystemOptimizer, "submit", submit)


@defect(
    "pool-claims-reuse",
    "The session pool opens a session per request yet counts every submission as reused.",
    "BASE-CONNECTION-REUSE",
)
def _claims_reuse(p: Planter) -> None:
    _session_per_order(p)

    def submit(original, pool, message):  # noqa: ANN001, ANN202
        reused = pool.reused
        sent = original(pool, message)
        if sent and pool.reused == reused:
            pool.reused += 1
        return sent

    p.wrap(TradingSystemOptimizer, "submit", submit)


@defect(
    "no-orders-sent",
    "The session pool counts each order as sent but never writes it to the session.",
    "BASE-TRADING-LATENCY",
    "P2-OPTIMIZERS-TOGETHER",
    "P2-LOAD-CONDITIONS",
    "SYS-INTEGRATION-RATE",
)
def _no_orders(p: Planter) -> None:
    def send(original, pool, slot, body):  # noqa: ANN001, ANN202
        if isinstance(body, NewOrder | CancelOrder | ReplaceOrder):
            return slot.conn is not None
        return original(pool, slot, body)

    p.wrap(TradingSystemOptimizer, "_send", send)


@defect(
    "reconnect-replays-logon",
    "A reconnect sends the slot's first signed logon again, same nonce, so the venue refuses it as a replay.",
    "BASE-CONNECTION-REUSE",
    "BASE-RECOVERY-RATE",
    "SYS-ERROR-RECOVERY",
    "P2-ERROR-HANDLING",
)
def _replayed_logon(p: Planter) -> None:
    def send(original, pool, slot, body):  # noqa: ANN001, ANN202
        if isinstance(body, Logon):
            first = vars(pool).setdefault("_audit_first_logons", {}).setdefault(slot.index, body)
            body = dataclasses.replace(first, resume_from=body.resume_from)
        return original(pool, slot, body)

    p.wrap(TradingSystemOptimizer, "_send", send)


@defect(
    "resume-off-by-one",
    "Logon resumes one report past the last one processed, so a report lost in a disconnect never returns.",
    "P2-ERROR-HANDLING",
)
def _resume_off_by_one(p: Planter) -> None:
    def connect(original, pool, slot):  # noqa: ANN001, ANN202
        last = pool._last_exec_seq
        pool._last_exec_seq = lambda: last() + 1
        try:
            original(pool, slot)
        finally:
            pool._last_exec_seq = last

    p.wrap(TradingSystemOptimizer, "_connect", connect)


@defect(
    "pool-health-hardcoded",
    "The session pool reports HEALTHY whether or not any of its sessions is logged on.",
    "BASE-STABILITY",
)
def _pool_health(p: Planter) -> None:
    def health(_original, pool):  # noqa: ANN001, ANN202
        return pool._stopped_health() or Health(HealthState.HEALTHY)

    p.wrap(TradingSystemOptimizer, "health", health)


@defect(
    "pool-stop-leaves-running",
    "Stopping the session pool logs its sessions out but never marks the pool stopped.",
    "P1-AVAILABILITY",
    "OBJ-AVAILABILITY",
)
def _stop_running(p: Planter) -> None:
    def stop(_original, pool):  # noqa: ANN001, ANN202
        if pool.running:
            pool._on_stop()

    p.wrap(TradingSystemOptimizer, "stop", stop)


# --- market data --------------------------------------------------------------------------------------


@defect(
    "gap-applied-without-recovery",
    "A sequence gap is counted, but the update past it is applied to the book and no snapshot is asked.",
    "P2-DATA-FLOW",
)
def _gap_applied(p: Planter) -> None:
    def next_in_sequence(original, md, m):  # noqa: ANN001, ANN202
        book = md._books.get(m.symbol)
        if book is not None and type(m.seq) is int and not book.recovering and m.seq > book.seq + 1:
            md.gaps += 1
            book.seq = m.seq
            return book
        return original(md, m)

    p.wrap(MarketDataSystem, "_next_in_sequence", next_in_sequence)


@defect(
    "md-claims-recoveries",
    "On a gap, market data counts a snapshot and a recovery but asks for nothing and applies the update.",
    "P2-DATA-FLOW",
)
def _claims_recoveries(p: Planter) -> None:
    def next_in_sequence(original, md, m):  # noqa: ANN001, ANN202
        book = md._books.get(m.symbol)
        if book is not None and type(m.seq) is int and not book.recovering and m.seq > book.seq + 1:
            md.gaps += 1
            md.snapshots_requested += 1
            md.snapshots_applied += 1
            md.recoveries += 1
            if md._recovery is not None:
                md._recovery.opened("feed_gap", book.symbol, f"expected seq {book.seq + 1}, got {m.seq}")
                md._recovery.closed("feed_gap", book.symbol)
            book.seq = m.seq
            return book
        return original(md, m)

    p.wrap(MarketDataSystem, "_next_in_sequence", next_in_sequence)


@defect(
    "lost-snapshot-request",
    "The snapshot request after a gap is built but never handed to the venue.",
    "P2-DATA-FLOW",
    "BASE-RECOVERY-RATE",
    "SYS-INTEGRATION-RATE",
)
def _lost_snapshot(p: Planter) -> None:
    def request_snapshot(_original, _system, _symbol):  # noqa: ANN001, ANN202
        return None

    p.wrap(TradingSystem, "_request_snapshot", request_snapshot)


@defect(
    "top-size-not-stored",
    "A quote that changes only the sizes at the touch is not stored: sizes are updated only with a price.",
    "P2-DATA-FLOW",
)
def _top_size(p: Planter) -> None:
    def on_quote(original, md, m, now):  # noqa: ANN001, ANN202
        book = md._books.get(m.symbol)
        if book is None:
            return original(md, m, now)
        bid, ask, bid_qty, ask_qty, seq = book.bid, book.ask, book.bid_qty, book.ask_qty, book.seq
        original(md, m, now)
        if book.seq != seq and book.phase is not None and (book.bid, book.ask) == (bid, ask):
            book.bid_qty, book.ask_qty = bid_qty, ask_qty

    p.wrap(MarketDataSystem, "_on_quote", on_quote)


@defect(
    "depth-off-by-one",
    "The book keeps one depth level fewer than configured.",
    "BASE-MD-THROUGHPUT",
)
def _depth(p: Planter) -> None:
    def set_levels(original, md, book, bids, asks):  # noqa: ANN001, ANN202
        changed = original(md, book, bids, asks)
        book.bids = book.bids[: md.depth_levels - 1]
        book.asks = book.asks[: md.depth_levels - 1]
        return changed

    p.wrap(MarketDataSystem, "_set_levels", set_levels)


# A symbol's price ladder of 1,000 levels in arrival order, which the slow path below sorts again on
# every quote (shuffled: a sorted list would cost the sort almost nothing).
_LADDER = random.Random(1_000).sample(range(1_000_000), 1_000)


@defect(
    "slow-market-data",
    "Every quote re-sorts a 1,000-level price ladder: some 50 to 100 us more per quote.",
    "BASE-MD-LATENCY",
    "P2-PERF-MAINTAINED",
)
def _slow_md(p: Planter) -> None:
    def on_quote(original, md, m, now):  # noqa: ANN001, ANN202
        sorted(_LADDER)
        original(md, m, now)

    p.wrap(MarketDataSystem, "_on_quote", on_quote)


@defect(
    "stale-feed-undetected",
    "The market data system never judges the feed stale: its quotes stay tradeable while the feed is silent.",
    "P2-ERROR-HANDLING",
)
def _never_stale(p: Planter) -> None:
    def is_stale(_original, _md, _symbol=None):  # noqa: ANN001, ANN202
        return False

    p.wrap(MarketDataSystem, "is_stale", is_stale)


@defect(
    "unknown-symbol-ignored",
    "A quote for an unknown symbol is dropped silently instead of refused with an error.",
    "P1-COMPONENT-ERRORS",
)
def _unknown_symbol(p: Planter) -> None:
    def unknown_symbol(_original, _md, _m):  # noqa: ANN001, ANN202
        return None

    p.wrap(MarketDataSystem, "_unknown_symbol", unknown_symbol)


# --- the cache ----------------------------------------------------------------------------------------


@defect(
    "cache-serves-stale-quote",
    "The cache re-stamps an entry younger than 1 s with the book's new version instead of rebuilding it.",
    "BASE-CACHE-HIT",
    "P1-BASIC-FUNCTION",
)
def _stale_cache(p: Planter) -> None:
    def quote(original, cache, symbol):  # noqa: ANN001, ANN202
        entry = cache._entries.get(symbol)
        book = cache._state(symbol)
        if entry is not None and book is not None and cache._clock.now() - cache._built_at[symbol] < 1.0:
            # Young enough: re-stamped with the book's version instead of rebuilt from its prices.
            cache._entries[symbol] = dataclasses.replace(entry, version=book.version)
        return original(cache, symbol)

    p.wrap(MarketDataEnhancer, "quote", quote)


@defect(
    "cache-claims-hits",
    "The cache rebuilds the quote on every read yet counts each read as a hit.",
    "BASE-CACHE-HIT",
)
def _claims_hits(p: Planter) -> None:
    def quote(original, cache, symbol):  # noqa: ANN001, ANN202
        cache.invalidate(symbol)
        misses = cache.misses
        found = original(cache, symbol)
        if cache.misses > misses:
            cache.misses -= 1
            cache.hits += 1
        return found

    p.wrap(MarketDataEnhancer, "quote", quote)


@defect(
    "cache-metrics-misnamed",
    "The cache's metrics are keyed 'cache.*' instead of after the component, 'market_data_enhancer.*'.",
    "P1-API-CONSISTENCY",
    "FIX-API-ALIGNMENT",
)
def _misnamed(p: Planter) -> None:
    def metrics(original, cache):  # noqa: ANN001, ANN202
        prefix = f"{cache.name}."
        return {f"cache.{k.removeprefix(prefix)}": v for k, v in original(cache).items()}

    p.wrap(MarketDataEnhancer, "metrics", metrics)


# --- the bus, health, recovery and performance --------------------------------------------------------


@defect(
    "bus-loses-message",
    "The bus skips every 25th message of a topic for each consumer yet counts it delivered.",
    "P2-CROSS-COMPONENT",
    "P2-DATA-FLOW",
)
def _bus_loss(p: Planter) -> None:
    def subscribe(original, bus, topic, callback, consumer):  # noqa: ANN001, ANN202
        def lossy(seq, message):  # noqa: ANN001, ANN202
            if seq % 25:
                callback(seq, message)

        original(bus, topic, lossy, consumer)

    p.wrap(DataFlowManager, "subscribe", subscribe)


@defect(
    "health-polls-once",
    "The health checks poll once and never schedule the next poll.",
    "BASE-STABILITY",
)
def _polls_once(p: Planter) -> None:
    def tick(_original, checks):  # noqa: ANN001, ANN202
        checks._handle = None
        if checks.running:
            checks.poll()

    p.wrap(HealthCheckSystem, "_tick", tick)


@defect(
    "incidents-never-closed",
    "The error recovery system looks incidents up by (key, kind) when closing, so none is ever closed.",
    "BASE-STABILITY",
)
def _never_closed(p: Planter) -> None:
    def closed(original, recovery, kind, key):  # noqa: ANN001, ANN202
        original(recovery, key, kind)

    p.wrap(ErrorRecoverySystem, "closed", closed)


@defect(
    "perf-percentile-understated",
    "The Performance Analyzer ranks percentiles over 1,000 instead of 100, so its p99 is the p9.9.",
    "P1-BASIC-FUNCTION",
)
def _percentile(p: Planter) -> None:
    def percentile(original, perf, path, q):  # noqa: ANN001, ANN202
        return original(perf, path, q / 10)

    p.wrap(PerformanceAnalyzer, "percentile", percentile)


# --- monitoring and analytics -------------------------------------------------------------------------


@defect(
    "monitoring-orders-frozen",
    "The monitoring framework reads the engine's orders once and serves that copy ever after: "
    "the order and fill series never move.",
    "P2-MONITORING-ANALYTICS",
    "BASE-ANALYTICS-GRADE",
)
def _orders_frozen(p: Planter) -> None:
    def collect_orders(original, framework, values):  # noqa: ANN001, ANN202
        kept = vars(framework).get("_audit_orders")
        if kept is None:
            before = set(values)
            original(framework, values)
            framework._audit_orders = {f: dict(values[f]) for f in set(values) - before}
            return
        for family, rows in kept.items():
            values[family] = dict(rows)

    p.wrap(AdvancedMonitoringFramework, "_collect_orders", collect_orders)


@defect(
    "grade-ignores-errors",
    "The analytics engine grades every error rate A+, so a session full of refused orders still gets A+.",
    "BASE-ANALYTICS-GRADE",
)
def _grade_ignores_errors(p: Planter) -> None:
    original = system.analytics.grade_of

    def grade_of(kpi, value):  # noqa: ANN001, ANN202
        return "A+" if kpi == "error_rate_pct" else original(kpi, value)

    p.set(system.analytics, "grade_of", grade_of)


@defect(
    "monitoring-collects-once",
    "The monitoring framework never schedules its next collection: the export stops moving after the first.",
    "BASE-METRICS",
)
def _collects_once(p: Planter) -> None:
    def tick(_original, framework):  # noqa: ANN001, ANN202
        framework._handle = None
        if framework.running:
            framework.collect()

    p.wrap(AdvancedMonitoringFramework, "_tick", tick)


@defect(
    "dashboard-chart-from-constants",
    "The performance dashboard draws its latency chart from a fixed series, not the session's orders: "
    "every session shows the same flat 2.5 ms.",
    "BASE-DASHBOARD",
)
def _dashboard_constants(p: Planter) -> None:
    from harness import dashboard  # the dashboard is the harness's; imported only when planted

    def latency_chart(answered):  # noqa: ANN001, ANN202
        xs = [5.0 * i for i in range(1, 61)]
        line = dashboard.Line("each order", xs, [2.5] * len(xs))
        return dashboard.Chart(
            dashboard.CHARTS[0], "decision to acknowledgement (ms)", [line], "venue tap", 60
        )

    p.set(dashboard, "_latency_chart", latency_chart)


@defect(
    "health-check-never-notices",
    "The Health Check System keeps the first state it read of each component and only counts its later "
    "polls: a component that goes unhealthy is never reported.",
    "P3-HEALTH-CHECKS",
)
def _never_notices(p: Planter) -> None:
    def poll(original, checks):  # noqa: ANN001, ANN202
        if not checks._current:
            return original(checks)
        checks.polls += 1
        checks.last_poll_at = checks._clock.now()
        return None

    p.wrap(HealthCheckSystem, "poll", poll)


# --- alerting -----------------------------------------------------------------------------------------


@defect(
    "alert-hold-restarts",
    "A pending alert's for: hold starts again at every evaluation, so no alert with a hold time ever fires.",
    "BASE-ALERT-RULES",
    "P2-ALERT-RESPONSE",
    "P3-MONITORING-CONFIG",
)
def _hold_restarts(p: Planter) -> None:
    def step(original, alerting, rule, now, value):  # noqa: ANN001, ANN202
        if rule.state is AlertState.PENDING:
            rule.since = now
        return original(alerting, rule, now, value)

    p.wrap(AlertingSystem, "_step", step)


@defect(
    "alert-response-skipped",
    "The Alerting System raises its alerts but performs none of their responses: no throttle, pause, "
    "resync, reconnect or cancel.",
    "P2-ALERT-RESPONSE",
)
def _response_skipped(p: Planter) -> None:
    def step(original, alerting, rule, now, value):  # noqa: ANN001, ANN202
        respond, rule.respond = rule.respond, lambda: None
        try:
            return original(alerting, rule, now, value)
        finally:
            rule.respond = respond

    p.wrap(AlertingSystem, "_step", step)


# --- operations: the operator API, its audit log, the kill switch -------------------------------------


@defect(
    "signature-accepts-stale-timestamp",
    "The operator API checks a request's signature but not its age: a request signed 10 minutes ago passes.",
    "P3-ACCESS-CONTROL",
)
def _stale_accepted(p: Planter) -> None:
    def fresh(_original, api, timestamp):  # noqa: ANN001, ANN202
        return True

    p.wrap(OperatorAPI, "fresh", fresh)


@defect(
    "viewer-can-trade",
    "The operator API's role check lets a viewer send orders.",
    "P3-ACCESS-CONTROL",
)
def _viewer_trades(p: Planter) -> None:
    def allowed(original, api, role, action):  # noqa: ANN001, ANN202
        return (role == "viewer" and action == "send an order") or original(api, role, action)

    p.wrap(OperatorAPI, "allowed", allowed)


@defect(
    "refusal-not-audited",
    "A refused operator request is answered but never written to the audit table.",
    "P3-ACCESS-CONTROL",
    "P3-SECURITY",
)
def _refusal_unaudited(p: Planter) -> None:
    def audit(original, database, event):  # noqa: ANN001, ANN202
        if event.outcome != "refused":
            original(database, event)
        else:
            database.audit_rows += 1  # counted as written: the component's own count lies

    p.wrap(OperationsDatabase, "audit", audit)


@defect(
    "kill-switch-leaves-open-orders",
    "Cancels go through the pre-trade risk check, which refuses everything once the kill switch is on: "
    "new orders are blocked but open ones stay working at the exchange.",
    "P4-EMERGENCY",
)
def _kill_leaves_orders(p: Planter) -> None:
    def cancel(original, engine, intent):  # noqa: ANN001, ANN202
        if engine._risk.killed:
            return None  # refused as if it were a new order
        return original(engine, intent)

    p.wrap(TradingExecutionEngine, "_cancel", cancel)


@defect(
    "restore-accepts-missing-table",
    "A backup's check skips the table list, so a backup missing the fills table is restored.",
    "P4-BACKUP-RECOVERY",
)
def _restore_missing_table(p: Planter) -> None:
    def check_tables(path, tables):  # noqa: ANN001, ANN202
        return None

    p.set(system.backup, "check_tables", check_tables)


@defect(
    "halt-taken-for-trading",
    "The market data system takes an exchange halt (a status or a snapshot) for continuous trading.",
    "P4-EMERGENCY",
)
def _halt_ignored(p: Planter) -> None:
    # A halt reaches the market data system as a status message or in a snapshot; both are misread.
    def trading_anyway(original, system_, message, now):  # noqa: ANN001, ANN202
        if message.phase is Phase.HALTED:
            message = dataclasses.replace(message, phase=Phase.CONTINUOUS)
        original(system_, message, now)

    p.wrap(MarketDataSystem, "_on_status", trading_anyway)
    p.wrap(MarketDataSystem, "_on_snapshot", trading_anyway)


@defect(
    "restart-ignores-venue-replay",
    "A system started on a restored database does not rebuild its orders from the venue's replay: "
    "the orders it cannot match are lost to it and its first new ids collide with old ones.",
    "P4-BACKUP-RECOVERY",
    "P3-ROLLBACK-DR",
)
def _restart_no_replay(p: Planter) -> None:
    def recover_from_venue(_original, engine):  # noqa: ANN001, ANN202
        return None

    p.wrap(TradingExecutionEngine, "recover_from_venue", recover_from_venue)


@defect(
    "restore-skips-audit-table",
    "The restore copies every table but the audit events: the operators' history is lost.",
    "P4-BACKUP-RECOVERY",
)
def _restore_skips_table(p: Planter) -> None:
    def restore(original, path, target):  # noqa: ANN001, ANN202
        original(path, target)
        with sqlite3.connect(target) as db:
            db.execute("DELETE FROM audit_events")
        db.close()

    p.wrap(system.backup, "restore", restore)


@defect(
    "rollback-leaves-canary-routing",
    "A failed canary is reported rolled back, but it keeps taking its share of the orders.",
    "P3-ROLLBACK-DR",
    "RISK-FALLBACK",
    "RISK-PERF-ROLLBACK",
)
def _rollback_leaves_canary(p: Planter) -> None:
    # The rollback event is written (the system's history claims it), but the canary is not removed.
    def roll_back(_original, deployment, canary, reason):  # noqa: ANN001, ANN202
        return deployment._event("rolled back", canary.version, reason, canary)

    p.wrap(DeploymentSystem, "_roll_back", roll_back)


@defect(
    "deployment-doubles-orders",
    "When a version takes over, the orders it inherits are sent to the exchange again under new ids.",
    "P3-DEPLOY-AUTOMATION",
    "RISK-STAGED-DEPLOY",
    "RISK-FALLBACK",
)
def _deployment_doubles(p: Planter) -> None:
    # A hand-over that "re-arms" each open order by sending its NewOrder again, untracked.
    engines: dict[int, Any] = {}

    def attributing(original, deployment, engine):  # noqa: ANN001, ANN202
        engines[id(deployment)] = engine
        return original(deployment, engine)

    def event(original, deployment, kind, *args, **kwargs):  # noqa: ANN001, ANN202
        if kind in ("promoted", "switched"):
            engine = engines[id(deployment)]
            for record in list(engine.orders().values()):
                if record.live and not record.pending:
                    typ = OrdType.MARKET if record.price is None else OrdType.LIMIT
                    r = record
                    engine._send(NewOrder(f"{r.cl_ord_id}R", r.symbol, r.side, r.leaves_qty, typ, r.price))
        return original(deployment, kind, *args, **kwargs)

    p.wrap(DeploymentSystem, "attributing", attributing)
    p.wrap(DeploymentSystem, "_event", event)


@defect(
    "engine-keeps-every-order",
    "The execution engine never lets a finished order go, so its memory grows with every order of the day.",
    "P4-RELIABILITY",
)
def _engine_keeps_every_order(p: Planter) -> None:
    p.set(system.orders, "FINISHED_KEPT", 10**12)


@defect(
    "market-data-copies-books",
    "The market data system copies the book into a history on every update, which a busy open outruns.",
    "P4-LOAD-PRODUCTION",
)
def _market_data_copies_books(p: Planter) -> None:
    history: list[Any] = []

    def on_market_data(original, md, message):  # noqa: ANN001, ANN202
        original(md, message)
        book = md.state(message.symbol)
        if book is not None:
            history[:] = [copy.deepcopy(book)]  # kept for a replay nobody reads: 35 us an update

    p.wrap(MarketDataSystem, "on_market_data", on_market_data)

"""The Advanced Monitoring Framework: the system's metrics, sampled on an interval of clock time and
exported in the Prometheus text exposition format and as a JSON snapshot.

Nothing here runs on the market data path. Every ``interval`` seconds of the injected timer the
framework reads what the components already keep (each one's ``metrics()`` and ``health()``, the
books, the ledger, the engine's orders, the decision log and the latency histograms of the
Performance Analyzer) and turns it into labelled counters, gauges and histograms:

- per component: every figure of its ``metrics()`` and its health state;
- per symbol: the top of book and every depth level, the last trade, the feed's sequence number and
  age, market data messages and their rate, position, average cost, exposure and P&L, decisions and
  the requests they sent, rejects, live orders, slippage against the arrival mid, and a histogram
  of the spread; per symbol and side: orders, orders filled, fills, filled quantity and notional;
- per latency path of the Performance Analyzer (and any path recorded with :meth:`record_latency`):
  a latency histogram;
- for the session: total P&L, its peak and the largest drawdown so far.

The values are kept as plain numbers; a collector of the framework's own
:class:`prometheus_client.CollectorRegistry` (never the process's global one) hands them to
``prometheus_client`` as metric families, so the exposition is the library's and a scrape always
shows the last collection, consistent with the JSON snapshot. Families are built without creation
timestamps, so the library never reads the wall clock for them.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate, islice
from operator import attrgetter
from typing import Any, NamedTuple

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from system.component import Component, Health, HealthState, Periodic
from system.errors import InvalidInput
from system.orders import EXPIRED
from system.perf import PerformanceAnalyzer
from venue.clock import Clock, Timer, TimerHandle
from venue.messages import Side

PREFIX = "allu"
DEFAULT_INTERVAL = 1.0  # seconds of clock time between collections
ALL_SYMBOLS = "all"  # the symbol label of a latency path the Performance Analyzer keeps for all symbols
# Upper bounds (seconds) of the latency histograms' buckets; +Inf is added by the exposition.
LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
LATENCY_LES = (*(repr(float(b)) for b in LATENCY_BUCKETS), "+Inf")  # their ``le`` labels
# Upper bounds (price units) of the sampled spread histograms' buckets.
SPREAD_BUCKETS = (50, 100, 200, 300, 500, 1_000, 2_000, 5_000, 10_000, 50_000)
SPREAD_LES = (*(repr(float(b)) for b in SPREAD_BUCKETS), "+Inf")
HEALTH_CODES = {
    HealthState.HEALTHY: 0.0,
    HealthState.DEGRADED: 1.0,
    HealthState.UNHEALTHY: 2.0,
    HealthState.STOPPED: 3.0,
}
# A collection later than this many intervals means the timer stopped calling: degraded.
LATE_INTERVALS = 3.0

# Gauges and counters: (family, kind, help), by their label names. Counters are exported with
# ``_total``; a family with no value in a collection (no source for it) is left out.
SYMBOL_FAMILIES = (
    ("book_bid_price", "gauge", "best bid price (price units)"),
    ("book_ask_price", "gauge", "best ask price (price units)"),
    ("book_bid_size", "gauge", "quantity at the best bid"),
    ("book_ask_size", "gauge", "quantity at the best ask"),
    ("book_mid_price", "gauge", "mid of the best bid and ask (price units)"),
    ("book_spread", "gauge", "best ask minus best bid (price units)"),
    ("book_version", "gauge", "the market data system's version of the book (top price or phase changes)"),
    ("feed_sequence", "gauge", "last sequence number of the symbol's feed consumed"),
    ("feed_age_seconds", "gauge", "clock seconds since the book last changed"),
    ("last_trade_price", "gauge", "price of the last trade print (price units)"),
    ("last_trade_size", "gauge", "quantity of the last trade print"),
    ("market_data_messages", "counter", "market data messages published on the symbol's bus topic"),
    ("market_data_rate", "gauge", "market data messages per clock second over the last interval"),
    ("position", "gauge", "position held (quantity, signed)"),
    ("average_cost", "gauge", "average cost of the position (price units)"),
    ("realized_pnl", "gauge", "realized P&L (price units x quantity)"),
    ("unrealized_pnl", "gauge", "open P&L at the book's mid (price units x quantity)"),
    ("orders_rejected", "counter", "orders the venue refused"),
    ("orders_live", "gauge", "orders live or in flight"),
    ("slippage_bps", "gauge", "quantity-weighted slippage of fills against the arrival mid, basis points"),
    ("decisions", "counter", "decisions the strategy took (from the decision log)"),
    ("decision_requests", "counter", "order requests (new, amend, cancel) those decisions sent"),
    ("exposure", "gauge", "absolute position valued at the book's mid (price units x quantity)"),
)
SIDE_FAMILIES = (
    ("orders", "counter", "new orders placed"),
    ("orders_filled", "counter", "orders with at least one fill"),
    ("fills", "counter", "fills (executions) received"),
    ("filled_quantity", "counter", "quantity filled"),
    ("traded_notional", "counter", "price times quantity of the fills (price units x quantity)"),
)
DEPTH_FAMILIES = (
    ("depth_price", "gauge", "price of a book level (price units)"),
    ("depth_size", "gauge", "quantity at a book level"),
)
SESSION_FAMILIES = (
    ("session_pnl", "gauge", "realized plus open P&L of all symbols (price units x quantity)"),
    ("session_pnl_peak", "gauge", "highest session P&L collected so far"),
    ("session_max_drawdown", "gauge", "largest fall of the session P&L from an earlier peak"),
    ("collections", "counter", "collections taken by the monitoring framework"),
)
COMPONENT_FAMILIES = (
    (
        "component_metric",
        "gauge",
        "every figure a component reports in its metrics()",
        ("component", "metric"),
    ),
    (
        "component_health",
        "gauge",
        "component health: 0 healthy, 1 degraded, 2 unhealthy, 3 stopped",
        ("component",),
    ),
)
HISTOGRAMS = (
    (
        "latency_seconds",
        "latency per path and symbol ('all': the Performance Analyzer's path over every symbol)",
        ("path", "symbol"),
    ),
    ("spread_sampled", "the best spread (price units), sampled once per collection", ("symbol",)),
)
FAMILIES = (
    *COMPONENT_FAMILIES,
    *((f, k, h, ("symbol",)) for f, k, h in SYMBOL_FAMILIES),
    *((f, k, h, ("symbol", "side")) for f, k, h in SIDE_FAMILIES),
    *((f, k, h, ("symbol", "side", "level")) for f, k, h in DEPTH_FAMILIES),
    *((f, k, h, ()) for f, k, h in SESSION_FAMILIES),
)
COUNTER_FAMILIES = frozenset(f for f, k, _, _ in FAMILIES if k == "counter")
# Every sample name the exposition holds -> (family, its label names, the histogram part or None).
SAMPLE_NAMES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    **{
        f"{PREFIX}_{f}_total" if k == "counter" else f"{PREFIX}_{f}": (f, labels, None)
        for f, k, _, labels in FAMILIES
    },
    **{
        f"{PREFIX}_{f}_{part}": (f, labels, part)
        for f, _, labels in HISTOGRAMS
        for part in ("bucket", "count", "sum")
    },
}


class Series(NamedTuple):
    """One exported series: a sample name (with suffix) and its labels, sorted by name."""

    name: str
    labels: tuple[tuple[str, str], ...]


class _Collector:
    """Hands the families of the last collection to the registry."""

    def __init__(self, families: Callable[[], list[Metric]]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families()


class AdvancedMonitoringFramework(Periodic):
    """Samples the system's figures on the timer and exports them; see the module docstring."""

    name = "advanced_monitoring_framework"

    def __init__(
        self,
        clock: Clock,
        timer: Timer,
        *,
        interval: float = DEFAULT_INTERVAL,
        symbols: Sequence[str] = (),
        components: Callable[[], list[Component]] = list,
        market_data: Any = None,
        ledger: Any = None,
        engine: Any = None,
        bus: Any = None,
        perf: PerformanceAnalyzer | None = None,
        decision_log: Any = None,
    ) -> None:
        """The sources are optional so that the framework can also monitor only what is recorded
        into it (:meth:`record_latency`); the trading system hands it all of them."""
        super().__init__()
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or not 0.01 <= interval <= 3_600
        ):
            raise InvalidInput(self.name, "interval", f"must be 0.01 to 3,600 seconds, got {interval!r}")
        self._clock = clock
        self._timer = timer
        self.interval = float(interval)
        self.symbols = list(symbols)
        self._components = components
        self._md = market_data
        self._ledger = ledger
        self._engine = engine
        self._bus = bus
        self._perf = perf
        self._decision_log = decision_log
        self._recorded = PerformanceAnalyzer()  # latencies handed in by record_latency
        self._recorded_keys: dict[str, tuple[str, str]] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(self._build_families))
        self._hists: dict[str, dict[tuple[str, ...], tuple[list[tuple[str, float]], float]]] = {}
        self._series_count = 0  # series in the last collection
        # Label tuples made once and reused by every collection, which would otherwise build some
        # hundreds of them a second only to look them up.
        self._figure_labels: dict[str, tuple[str, str]] = {}  # per metric key: (component, metric)
        self._one_labels: dict[str, tuple[str]] = {}  # per symbol or component: (its name,)
        self._depth_labels: dict[tuple[str, str], list[tuple[str, str, str]]] = {}  # per book side
        # Per latency path and symbol: its sample count and its row at the last collection.
        self._latency_rows: dict[tuple[str, str], tuple[int, tuple[list[tuple[str, float]], float]]] = {}
        self._values: dict[str, dict[tuple[str, ...], float]] = {}
        self._handle: TimerHandle | None = None
        self._server: Any = None  # the HTTP server of serve(), if asked for
        self.collections = 0
        self.collected_at: float | None = None
        self._last_messages: dict[str, tuple[float, int]] = {}
        self._arrival: dict[str, float] = {}  # client order id -> mid when it was decided
        self._decisions_seen = 0
        self._orders_seen = 0  # orders the engine had created at the last collection
        self._open_orders: list[Any] = []  # visited records still live or with a request in flight
        # Sums of the finished orders: per (symbol, side) orders, filled, fills, quantity, notional;
        # per symbol rejected, live (always 0 once finished), slippage sum and its quantity.
        self._done_sides: dict[tuple[str, str], list] = {
            (symbol, side.value): [0, 0, 0, 0, 0.0] for symbol in self.symbols for side in Side
        }
        self._done_per: dict[str, list] = {symbol: [0, 0, 0.0, 0] for symbol in self.symbols}
        self._decisions: dict[str, int] = dict.fromkeys(self.symbols, 0)
        self._requests: dict[str, int] = dict.fromkeys(self.symbols, 0)
        self._spreads: dict[str, list[int]] = {s: [0] * (len(SPREAD_BUCKETS) + 1) for s in self.symbols}
        self._spread_sums: dict[str, float] = dict.fromkeys(self.symbols, 0.0)
        self._pnl_peak = -math.inf
        self._max_drawdown = 0.0
        self.counter_decreases = 0  # a counter found lower than at the previous collection

    # --- recording and collection ----------------------------------------------------------------

    def record_latency(self, path: str, seconds: float, symbol: str = ALL_SYMBOLS) -> None:
        """Record one latency of ``path`` for ``symbol``; exported from the next collection on."""
        if not isinstance(path, str) or not path:
            raise InvalidInput(self.name, "path", f"must be a non-empty string, got {path!r}")
        if not isinstance(symbol, str) or not symbol:
            raise InvalidInput(self.name, "symbol", f"must be a non-empty string, got {symbol!r}")
        key = f"{path}\x1f{symbol}"
        self._recorded_keys[key] = (path, symbol)
        self._recorded.record(key, seconds)

    def _on_stop(self) -> None:
        super()._on_stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def tick(self) -> None:
        self.collect()

    def collect(self) -> None:
        """Take one collection now: read every source and keep the values the export shows.

        The prometheus_client families are built from these values only when someone scrapes, so a
        collection costs no more than reading the sources and checking the counters."""
        now = self._clock.now()
        values: dict[str, dict[tuple[str, ...], float]] = {}
        self._collect_components(values)
        if self.symbols:
            self._collect_symbols(now, values)
        self._collect_session(values)
        hists = self._histogram_rows()
        self._check_counters(values)
        self._values = values
        self._hists = hists
        self.collected_at = now
        plain = sum(len(rows) for rows in values.values())
        self._series_count = plain + sum(len(b) + 2 for rows in hists.values() for b, _ in rows.values())

    def _collect_components(self, values: dict[str, dict[tuple[str, ...], float]]) -> None:
        figures = values["component_metric"] = {}
        health = values["component_health"] = {}
        for component in self._components():
            name = component.name
            for key, value in component.metrics().items():
                labels = self._figure_labels.get(key)
                if labels is None:
                    labels = self._figure_labels[key] = (name, key.removeprefix(f"{name}."))
                figures[labels] = float(value)
            health[self._label(name)] = HEALTH_CODES[component.health().state]

    def _collect_symbols(self, now: float, values: dict[str, dict[tuple[str, ...], float]]) -> None:
        rows: dict[str, dict[tuple[str, ...], float]] = {family: {} for family, _, _ in SYMBOL_FAMILIES}
        depth_price: dict[tuple[str, ...], float] = {}
        depth_size: dict[tuple[str, ...], float] = {}
        marks: dict[str, float] = {}
        for symbol in self.symbols:
            key = self._label(symbol)
            book = None if self._md is None else self._md.state(symbol)
            if book is not None:
                rows["book_bid_price"][key] = float(book.bid)
                rows["book_ask_price"][key] = float(book.ask)
                rows["book_bid_size"][key] = float(book.bid_qty)
                rows["book_ask_size"][key] = float(book.ask_qty)
                rows["book_version"][key] = float(book.version)
                rows["feed_sequence"][key] = float(book.seq)
                rows["feed_age_seconds"][key] = max(0.0, now - book.updated_at)
                rows["last_trade_price"][key] = float(book.last_price)
                rows["last_trade_size"][key] = float(book.last_qty)
                if book.bid and book.ask:
                    marks[symbol] = (book.bid + book.ask) / 2
                    rows["book_mid_price"][key] = marks[symbol]
                    rows["book_spread"][key] = float(book.ask - book.bid)
                    self._sample_spread(symbol, book.ask - book.bid)
                for side, levels in (("bid", book.bids), ("ask", book.asks)):
                    labels = self._level_labels(symbol, side, len(levels))
                    for at, (price, qty) in zip(labels, levels, strict=False):
                        depth_price[at] = float(price)
                        depth_size[at] = float(qty)
            if self._bus is not None:
                messages = self._bus.published_on(f"md.{symbol}")
                rows["market_data_messages"][key] = float(messages)
                since, before = self._last_messages.get(symbol, (now, messages))
                rows["market_data_rate"][key] = (messages - before) / (now - since) if now > since else 0.0
                self._last_messages[symbol] = (now, messages)
            if self._ledger is not None:
                position = self._ledger.position(symbol)
                rows["position"][key] = float(position)
                rows["average_cost"][key] = float(self._ledger.avg_cost(symbol))
                rows["realized_pnl"][key] = float(self._ledger.realized_pnl(symbol))
                rows["unrealized_pnl"][key] = float(self._ledger.unrealized_pnl(marks, symbol))
                if symbol in marks:
                    rows["exposure"][key] = abs(position) * marks[symbol]
        if depth_price:
            values["depth_price"] = depth_price
            values["depth_size"] = depth_size
        if self._engine is not None:
            self._collect_orders(rows)
        values.update((family, found) for family, found in rows.items() if found)

    def _label(self, value: str) -> tuple[str]:
        """The one-label tuple of ``value``, made once."""
        labels = self._one_labels.get(value)
        if labels is None:
            labels = self._one_labels[value] = (value,)
        return labels

    def _level_labels(self, symbol: str, side: str, levels: int) -> list[tuple[str, str, str]]:
        """The labels of a book side's first ``levels`` levels (or more), each made once."""
        labels = self._depth_labels.setdefault((symbol, side), [])
        labels.extend((symbol, side, str(level)) for level in range(len(labels) + 1, levels + 1))
        return labels

    def _sample_spread(self, symbol: str, spread: int) -> None:
        buckets = self._spreads.setdefault(symbol, [0] * (len(SPREAD_BUCKETS) + 1))
        for i, bound in enumerate(SPREAD_BUCKETS):
            if spread <= bound:
                buckets[i] += 1
                break
        else:
            buckets[-1] += 1
        self._spread_sums[symbol] = self._spread_sums.get(symbol, 0.0) + spread

    def _learn_arrivals(self) -> None:
        """Note the mid each new order was decided on, from the decision log's newest entries."""
        log = self._decision_log
        if log is None:
            return
        total = len(log) + log.dropped
        # At the plan's rate there are tens of thousands of decisions a second, nearly all of them
        # holding: they are counted in C, and only those that sent requests are visited one by one.
        fresh = list(islice(reversed(log), min(total - self._decisions_seen, len(log))))
        for symbol, n in Counter(map(attrgetter("symbol"), fresh)).items():
            if symbol in self._decisions:
                self._decisions[symbol] += n
        for decision in filter(attrgetter("requests"), fresh):
            mid = (decision.bid + decision.ask) / 2
            for request in decision.requests:
                # Amendments and cancels are requests too; only a new order's own id is kept.
                record = self._engine.order(request) if self._engine is not None else None
                if record is not None and record.first_cl_ord_id == request:
                    self._arrival[request] = mid
            if decision.symbol in self._requests:
                self._requests[decision.symbol] += len(decision.requests)
        self._decisions_seen = total

    def _tally(self, record: Any, sides: dict[tuple[str, str], list], per: dict[str, list]) -> None:
        """Add one order's figures to the per-(symbol, side) and per-symbol sums."""
        split = sides[(record.symbol, record.side.value)]
        row = per[record.symbol]
        split[0] += 1
        split[1] += record.cum_qty > 0
        split[2] += len(record.fills)
        split[3] += record.cum_qty
        row[0] += record.reject_reason is not None
        row[1] += record.live or record.pending is not None
        mid = self._arrival.get(record.first_cl_ord_id)
        sign = 1.0 if record.side is Side.BUY else -1.0
        for _, qty, price in record.fills:
            split[4] += price * qty
            if mid:
                row[2] += sign * (price - mid) / mid * qty
                row[3] += qty

    def _collect_orders(self, values: dict[str, dict[tuple[str, ...], float]]) -> None:
        """Orders, fills and slippage per symbol (and side), from the engine's records. Each
        collection visits the orders created since the last and those still open; a finished order
        (neither live nor with a request in flight) is added to the sums for good."""
        self._learn_arrivals()
        mine = set(self.symbols)
        fresh = [r for r in self._engine.created_since(self._orders_seen) if r.symbol in mine]
        self._orders_seen = self._engine.created
        still_open = []
        for record in (*self._open_orders, *fresh):
            if record.live or record.pending is not None:
                still_open.append(record)
                continue
            if record.status != EXPIRED:  # one never sent is no order of the venue's
                self._tally(record, self._done_sides, self._done_per)
            self._arrival.pop(record.first_cl_ord_id, None)
        self._open_orders = still_open
        sides = {key: list(sums) for key, sums in self._done_sides.items()}
        per = {symbol: list(sums) for symbol, sums in self._done_per.items()}
        for record in still_open:
            self._tally(record, sides, per)
        for key, split in sides.items():
            for (family, _, _), value in zip(SIDE_FAMILIES, split, strict=True):
                values.setdefault(family, {})[key] = float(value)
        for symbol, (rejected, live, slipped, quantity) in per.items():
            values.setdefault("orders_rejected", {})[(symbol,)] = float(rejected)
            values.setdefault("orders_live", {})[(symbol,)] = float(live)
            values.setdefault("slippage_bps", {})[(symbol,)] = 1e4 * slipped / quantity if quantity else 0.0
            values.setdefault("decisions", {})[(symbol,)] = float(self._decisions[symbol])
            values.setdefault("decision_requests", {})[(symbol,)] = float(self._requests[symbol])

    def _collect_session(self, values: dict[str, dict[tuple[str, ...], float]]) -> None:
        self.collections += 1
        values["collections"] = {(): float(self.collections)}
        if self._ledger is None or not self.symbols:
            return
        realized = values.get("realized_pnl", {})
        unrealized = values.get("unrealized_pnl", {})
        pnl = sum(realized.values()) + sum(unrealized.values())
        self._pnl_peak = max(self._pnl_peak, pnl)
        self._max_drawdown = max(self._max_drawdown, self._pnl_peak - pnl)
        values["session_pnl"] = {(): pnl}
        values["session_pnl_peak"] = {(): self._pnl_peak}
        values["session_max_drawdown"] = {(): self._max_drawdown}

    def _histogram_rows(self) -> dict[str, dict[tuple[str, ...], tuple[list[tuple[str, float]], float]]]:
        """Per histogram family, per label values: the cumulative buckets (``le``, count) and the sum."""
        latency: dict[tuple[str, ...], tuple[list[tuple[str, float]], float]] = {}
        sources: list[tuple[PerformanceAnalyzer, str, str, str]] = []
        if self._perf is not None:
            sources += [(self._perf, p, p, ALL_SYMBOLS) for p in self._perf.paths()]
        sources += [(self._recorded, k, *self._recorded_keys[k]) for k in self._recorded.paths()]
        for analyzer, key, path, symbol in sources:
            count = analyzer.count(key)
            kept = self._latency_rows.get((path, symbol))
            if kept is None or kept[0] != count:  # a path's histogram changes only with its count
                total = analyzer.mean(key) * count if count else 0.0
                counts = analyzer.cumulative(key, LATENCY_BUCKETS)
                kept = (count, (list(zip(LATENCY_LES, map(float, counts), strict=True)), total))
                self._latency_rows[(path, symbol)] = kept
            latency[(path, symbol)] = kept[1]
        spread: dict[tuple[str, ...], tuple[list[tuple[str, float]], float]] = {}
        for symbol, counts in self._spreads.items():
            buckets = list(zip(SPREAD_LES, map(float, accumulate(counts)), strict=True))
            spread[(symbol,)] = (buckets, self._spread_sums.get(symbol, 0.0))
        return {"latency_seconds": latency, "spread_sampled": spread}

    def _build_families(self) -> list[Metric]:
        """The last collection as prometheus_client metric families (called by the registry)."""
        families: list[Metric] = []
        for family, kind, doc, labels in FAMILIES:
            rows = self._values.get(family)
            if rows is None:
                continue
            kind_of = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            metric: Metric = kind_of(f"{PREFIX}_{family}", doc, labels=list(labels))
            for key, value in rows.items():
                metric.add_metric(list(key), value)
            families.append(metric)
        for family, doc, labels in HISTOGRAMS:
            rows_h = self._hists.get(family)
            if not rows_h:
                continue
            histogram = HistogramMetricFamily(f"{PREFIX}_{family}", doc, labels=list(labels))
            for key, (buckets, total) in rows_h.items():
                histogram.add_metric(list(key), buckets, total)
            families.append(histogram)
        return families

    def _samples(self) -> Iterator[tuple[Series, float]]:
        """Every sample the exposition of the last collection holds, as prometheus_client names it."""
        for family, kind, _, labels in FAMILIES:
            rows = self._values.get(family)
            if rows is None:
                continue
            name = f"{PREFIX}_{family}_total" if kind == "counter" else f"{PREFIX}_{family}"
            order = sorted(range(len(labels)), key=labels.__getitem__)
            for key, value in rows.items():
                yield (name, tuple([(labels[i], key[i]) for i in order])), value  # type: ignore[misc]
        for family, _, labels in HISTOGRAMS:
            base = f"{PREFIX}_{family}"
            for key, (buckets, total) in self._hists.get(family, {}).items():
                pairs = list(zip(labels, key, strict=True))
                for le, count in buckets:
                    yield (f"{base}_bucket", tuple(sorted([*pairs, ("le", le)]))), count  # type: ignore[misc]
                labelled = tuple(sorted(pairs))
                yield (f"{base}_count", labelled), buckets[-1][1]  # type: ignore[misc]
                yield (f"{base}_sum", labelled), total  # type: ignore[misc]

    def _check_counters(self, values: dict[str, dict[tuple[str, ...], float]]) -> None:
        """Count the counters of this collection that are lower than at the last one.

        Which series move is judged from outside, by scraping the export (harness.monitoring)."""
        for family in COUNTER_FAMILIES:
            rows, before = values.get(family), self._values.get(family)
            if not rows or not before or rows == before:
                continue
            for key, value in rows.items():
                was = before.get(key)
                if was is not None and value < was:
                    self.counter_decreases += 1

    # --- export ----------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The last collection in the Prometheus text exposition format (prometheus_client's)."""
        return generate_latest(self.registry)

    def serve(self, port: int = 0) -> int:
        """Serve the exposition at ``/metrics`` on the loopback interface, from a thread of
        prometheus_client, until the framework stops; ``port`` 0 takes a free one. Returns the port."""
        if self._server is None:
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65_535:
                raise InvalidInput(self.name, "port", f"must be an integer 0 to 65,535, got {port!r}")
            self._server, _thread = start_http_server(port, addr="127.0.0.1", registry=self.registry)
        return int(self._server.server_port)

    def snapshot(self) -> dict[str, Any]:
        """The last collection as plain data: its clock time and every series with its value."""
        return {
            "time": self.collected_at,
            "collections": self.collections,
            "series": [
                {"name": name, "labels": dict(labels), "value": value}
                for (name, labels), value in self._samples()
            ],
        }

    def snapshot_json(self) -> str:
        return json.dumps(self.snapshot(), sort_keys=True, allow_nan=False)

    def value(self, name: str, **labels: str) -> float | None:
        """The value of one series in the last collection (the sample name, with any suffix), or None."""
        spec = SAMPLE_NAMES.get(name)
        if spec is None:
            return None
        family, names, part = spec
        le = labels.pop("le", None) if part == "bucket" else None
        if len(labels) != len(names) or (part == "bucket" and le is None):
            return None
        try:
            key = tuple([labels[n] for n in names])
        except KeyError:
            return None
        if part is None:
            return self._values.get(family, {}).get(key)
        row = self._hists.get(family, {}).get(key)
        if row is None:
            return None
        buckets, total = row
        if part == "sum":
            return total
        if part == "count":
            return buckets[-1][1]
        return next((n for bound, n in buckets if bound == le), None)

    def buckets(self, name: str, **labels: str) -> list[tuple[str, float]] | None:
        """The cumulative buckets, ``(le, count)``, of one histogram series of the last collection
        (``name`` is the histogram's, without the ``_bucket`` suffix), or None."""
        spec = SAMPLE_NAMES.get(f"{name}_bucket")
        if spec is None or len(labels) != len(spec[1]):
            return None
        try:
            key = tuple([labels[n] for n in spec[1]])
        except KeyError:
            return None
        row = self._hists.get(spec[0], {}).get(key)
        return None if row is None else list(row[0])

    def total(self, name: str, **labels: str) -> float:
        """The sum of the values of ``name``'s series whose labels include ``labels`` (0 if none)."""
        spec = SAMPLE_NAMES.get(name)
        if spec is None:
            return 0.0
        family, names, part = spec
        if part is not None:
            wanted = set(labels.items())
            return sum(v for (n, have), v in self._samples() if n == name and wanted <= set(have))
        if any(n not in names for n in labels):
            return 0.0
        at = [(names.index(n), v) for n, v in labels.items()]
        rows = self._values.get(family, {})
        return sum(v for key, v in rows.items() if all(key[i] == want for i, want in at))

    def series(self) -> list[Series]:
        return [Series(*key) for key, _ in self._samples()]

    # --- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.counter_decreases:
            return Health(HealthState.UNHEALTHY, f"{self.counter_decreases} counters went down")
        last = self.collected_at
        if last is not None and self._clock.now() - last > LATE_INTERVALS * self.interval:
            return Health(HealthState.DEGRADED, f"no collection since {last:g} s")
        return Health(HealthState.HEALTHY, f"{self._series_count} series")

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.collections": float(self.collections),
            f"{n}.series": float(self._series_count),
        }

    def validate(self) -> list[str]:
        problems = []
        if self.counter_decreases:
            problems.append(f"{self.counter_decreases} counters went down between collections")
        bad = [name for (name, _), v in self._samples() if not math.isfinite(v)]
        if bad:
            problems.append(f"{len(bad)} series are not finite numbers, e.g. {bad[0]}")
        return problems

"""The Performance Dashboard: seven charts of one session's measured data, as PNG files (matplotlib,
Agg backend) and one self-contained HTML page with the images inlined.

Every chart is drawn from what was measured, never from constants:

- the monitoring framework's export, read through its JSON snapshot once per collection by a
  recorder riding the session's simulated clock (P&L and positions, orders and fills, market data
  processed, the cache's hits and misses, every component's health);
- the harness's outside observations: the venue tap (decision-to-acknowledgement latency, orders
  sent, market data delivered) and the faults the simulator injected;
- the Alerting System's events, beside those faults on the alert timeline.

:func:`check` sets each chart beside the sources it claims to show, read again at the end, so a
chart whose data came from anywhere else is caught.
"""

from __future__ import annotations

import base64
import bisect
import html
import math
import shutil
import subprocess
import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from harness.session import TradingSession
from system.monitoring import HEALTH_CODES

OFFSET = 0.5  # the recorder samples half an interval after each collection, never at the same instant
LATENCY_WINDOW = 10.0  # seconds of simulated time per p99 point of the latency chart
STATES = {code: state.value for state, code in HEALTH_CODES.items()}
HEALTH_COLOURS = ("#2ca02c", "#ffcc00", "#d62728", "#7f7f7f")  # healthy, degraded, unhealthy, stopped
CHARTS = (
    "order latency over time",
    "throughput over time",
    "orders and fills",
    "profit and loss, and position",
    "alerts over time",
    "market data rate and cache hit rate",
    "component health",
)
# The fewest measurements a chart must be drawn from to show anything: answered orders for the
# latency, collections for the series over time, episodes for the timeline, market data messages.
LEAST = dict(zip(CHARTS, (20, 60, 60, 60, 1, 1_000, 60), strict=True))
LEAST_COLOURED = 0.01  # share of a screenshot in colour below which the charts did not render


@dataclass(frozen=True)
class Line:
    label: str
    xs: list[float]
    ys: list[float]


@dataclass(frozen=True)
class Chart:
    title: str
    ylabel: str
    lines: list[Line]
    source: str  # where its data came from, in words
    samples: int  # how many measurements it was drawn from
    right: list[Line] = field(default_factory=list)  # lines on a second y axis
    right_label: str = ""
    rows: list[str] = field(default_factory=list)  # the rows of a timeline or a health map
    grid: list[list[float]] = field(default_factory=list)  # health map: a row per component


@dataclass(frozen=True)
class Dashboard:
    charts: list[Chart]
    start: float
    end: float
    collections: int


class Recorder:
    """Reads the monitoring framework's JSON snapshot once per collection while the session runs."""

    def __init__(self, session: TradingSession) -> None:
        self.session = session
        self.monitoring = session.system.monitoring
        self.start = session.now
        self.samples: list[dict] = []
        env = session.market.env
        env.process(self._sample(env))

    def _sample(self, env) -> Generator:  # noqa: ANN001 - a simpy Environment
        interval = self.monitoring.interval
        yield env.timeout(OFFSET * interval)
        while True:
            yield env.timeout(interval)
            snap = self.monitoring.snapshot()
            if snap["time"] is None or (self.samples and self.samples[-1]["time"] == snap["time"]):
                continue
            self.samples.append(_sample_of(snap))


def _sample_of(snap: dict) -> dict:
    """The figures the charts need from one snapshot of the monitoring framework."""
    out: dict = {"time": snap["time"], "position": {}, "health": {}}
    sums = {"orders": 0.0, "filled": 0.0, "fills": 0.0, "rejected": 0.0}
    names = {
        "allu_orders_total": "orders",
        "allu_orders_filled_total": "filled",
        "allu_fills_total": "fills",
        "allu_orders_rejected_total": "rejected",
    }
    for s in snap["series"]:
        name, labels, value = s["name"], s["labels"], s["value"]
        if name in names:
            sums[names[name]] += value
        elif name == "allu_session_pnl":
            out["pnl"] = value
        elif name == "allu_position":
            out["position"][labels["symbol"]] = value
        elif name == "allu_component_health":
            out["health"][labels["component"]] = value
        elif name == "allu_component_metric":
            key = (labels["component"], labels["metric"])
            if key == ("market_data_system", "updates"):
                out["md_processed"] = value
            elif key == ("market_data_enhancer", "hits"):
                out["hits"] = value
            elif key == ("market_data_enhancer", "misses"):
                out["misses"] = value
    out.update(sums)
    return out


# --- the charts -------------------------------------------------------------------------------------


def _per_second(times: list[float], start: float, end: float) -> Line:
    """Events per second of simulated time, one point per whole second of [start, end)."""
    edges = range(math.floor(start), math.ceil(end))
    ordered = sorted(times)
    counts = [float(bisect.bisect_left(ordered, t + 1) - bisect.bisect_left(ordered, t)) for t in edges]
    return Line("", [t + 0.5 for t in edges], counts)


def _deltas(samples: list[dict], key: str) -> tuple[list[float], list[float]]:
    """Per-second change of a counter between consecutive collections."""
    xs, ys = [], []
    for before, after in zip(samples, samples[1:], strict=False):
        span = after["time"] - before["time"]
        xs.append(after["time"])
        ys.append((after.get(key, 0.0) - before.get(key, 0.0)) / span)
    return xs, ys


def build(recorder: Recorder) -> Dashboard:
    """The seven charts of what the recorder and the harness measured up to now."""
    session, samples = recorder.session, recorder.samples
    start, end = recorder.start, session.now
    tap = session.tap
    times = [s["time"] for s in samples]
    answered = sorted((o.answered, o.answered - o.trigger) for o in tap.orders.values() if o.answered)
    sent = [o.trigger for o in tap.orders.values()]
    md = [t for t in tap.md_times if start <= t < end]
    charts = [
        _latency_chart(answered),
        _throughput_chart(samples, sent, start, end),
        _flow_chart(samples, sent),
        _pnl_chart(samples),
        _alert_chart(session, start, end),
        _md_chart(samples, md, start, end),
        _health_chart(samples, times),
    ]
    return Dashboard(charts, start, end, len(samples))


def _latency_chart(answered: list[tuple[float, float]]) -> Chart:
    xs = [t for t, _ in answered]
    ys = [1000.0 * s for _, s in answered]
    windows: dict[int, list[float]] = {}
    for t, ms in zip(xs, ys, strict=True):
        windows.setdefault(int(t // LATENCY_WINDOW), []).append(ms)
    p99 = Line(
        f"p99 per {LATENCY_WINDOW:g} s",
        [(w + 0.5) * LATENCY_WINDOW for w in sorted(windows)],
        [_p99(windows[w]) for w in sorted(windows)],
    )
    return Chart(
        CHARTS[0],
        "decision to acknowledgement (ms)",
        [Line("each order", xs, ys), p99],
        "venue tap: decision to the venue's first answer, per new order",
        len(ys),
    )


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _throughput_chart(samples: list[dict], sent: list[float], start: float, end: float) -> Chart:
    xs, ys = _deltas(samples, "md_processed")
    orders = _per_second(sent, start, end)
    return Chart(
        CHARTS[1],
        "market data updates processed per s",
        [Line("market data processed (monitoring)", xs, ys)],
        "monitoring: the market data system's updates per collection; venue tap: new orders sent per second",
        len(samples),
        right=[Line("new orders sent per s (venue tap)", orders.xs, orders.ys)],
        right_label="orders per s",
    )


def _flow_chart(samples: list[dict], sent: list[float]) -> Chart:
    times = [s["time"] for s in samples]
    ordered = sorted(sent)
    lines = [Line("orders sent (venue tap)", times, [float(bisect.bisect_right(ordered, t)) for t in times])]
    for key, label in (
        ("orders", "orders (monitoring)"),
        ("filled", "orders filled"),
        ("fills", "fills"),
        ("rejected", "orders refused"),
    ):
        lines.append(Line(label, times, [s.get(key, 0.0) for s in samples]))
    return Chart(
        CHARTS[2],
        "cumulative count",
        lines,
        "venue tap: new orders sent; monitoring: orders, orders filled, fills and refusals per collection",
        len(samples),
    )


def _pnl_chart(samples: list[dict]) -> Chart:
    times = [s["time"] for s in samples]
    symbols = sorted({symbol for s in samples for symbol in s["position"]})
    return Chart(
        CHARTS[3],
        "session P&L (price units x quantity)",
        [Line("session P&L", times, [s.get("pnl", 0.0) for s in samples])],
        "monitoring: session P&L and the position of each symbol per collection",
        len(samples),
        right=[
            Line(f"position {sym}", times, [s["position"].get(sym, 0.0) for s in samples]) for sym in symbols
        ],
        right_label="position (quantity)",
    )


def _alert_chart(session: TradingSession, start: float, end: float) -> Chart:
    """One row per alert rule and state (pending, firing) and per injected fault kind: a mark where
    it began, a bar while it lasted (to the alert's next event, or the fault's end)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    opened: dict[str, tuple[str, float]] = {}  # rule -> (state, since)
    for event in session.system.alerting.history():
        if not start <= event.time <= end:
            continue
        if event.rule in opened:
            state, since = opened.pop(event.rule)
            spans.setdefault(f"{event.rule}: {state}", []).append((since, event.time))
        if event.state in ("pending", "firing"):
            opened[event.rule] = (event.state, event.time)
    for rule, (state, since) in opened.items():
        spans.setdefault(f"{rule}: {state}", []).append((since, end))
    for fault in session.market.injector.injected:
        if start <= fault.start <= end:
            spans.setdefault(f"fault: {fault.kind}", []).append((fault.start, max(fault.end, fault.start)))
    rows = sorted(spans)
    lines = [Line(row, [a for a, _ in spans[row]], [b for _, b in spans[row]]) for row in rows]
    return Chart(
        CHARTS[4],
        "",
        lines,
        "the Alerting System's events (pending and firing until the next event) and the simulator's "
        "injected faults",
        sum(len(v) for v in spans.values()),
        rows=rows,
    )


def _md_chart(samples: list[dict], md: list[float], start: float, end: float) -> Chart:
    rate = _per_second(md, start, end)
    xs, rates = [], []
    if samples:
        first = samples[0]
        for s in samples[1:]:
            hits = s.get("hits", 0.0) - first.get("hits", 0.0)
            reads = hits + s.get("misses", 0.0) - first.get("misses", 0.0)
            if reads:
                xs.append(s["time"])
                rates.append(100.0 * hits / reads)
    return Chart(
        CHARTS[5],
        "market data messages delivered per s",
        [Line("market data delivered (venue tap)", rate.xs, rate.ys)],
        "venue tap: market data messages delivered per second; monitoring: the cache's hits over reads "
        "since the recording began",
        len(md),
        right=[Line("cache hit rate % (monitoring)", xs, rates)],
        right_label="cache hit rate (%)",
    )


def _health_chart(samples: list[dict], times: list[float]) -> Chart:
    components = sorted({c for s in samples for c in s["health"]})
    grid = [[s["health"].get(c, math.nan) for s in samples] for c in components]
    return Chart(
        CHARTS[6],
        "",
        [Line(c, times, row) for c, row in zip(components, grid, strict=True)],
        "monitoring: every component's health per collection (0 healthy, 1 degraded, 2 unhealthy, 3 stopped)",
        len(samples),
        rows=components,
        grid=grid,
    )


# --- drawing ----------------------------------------------------------------------------------------


def _draw(chart: Chart, path: Path, start: float, end: float) -> None:
    # matplotlib only where charts are drawn: a third of a second of import that every behave run
    # would otherwise pay, campaign tasks included, for the few scenarios that draw.
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=90)
    try:
        if chart.title == CHARTS[4]:
            for i, line in enumerate(chart.lines):
                for a, b in zip(line.xs, line.ys, strict=True):
                    colour = "tab:orange" if line.label.endswith("pending") else "tab:red"
                    if line.label.startswith("fault:"):
                        colour = "tab:purple"
                    ax.plot([a, b], [i, i], linewidth=6, solid_capstyle="butt", color=colour)
                    ax.plot([a], [i], marker="v", color="black")
            ax.set_yticks(range(len(chart.rows)), chart.rows)
            ax.set_ylim(-1, max(1, len(chart.rows)))
            if not chart.rows:
                ax.text(
                    0.5,
                    0.5,
                    "no alert and no fault",
                    ha="center",
                    transform=ax.transAxes,
                )
        elif chart.grid:
            image = ax.imshow(
                chart.grid,
                aspect="auto",
                interpolation="nearest",
                cmap=ListedColormap(HEALTH_COLOURS),
                vmin=-0.5,
                vmax=3.5,
                extent=(chart.lines[0].xs[0], chart.lines[0].xs[-1], len(chart.rows) - 0.5, -0.5),
            )
            ax.set_yticks(range(len(chart.rows)), chart.rows, fontsize=7)
            bar = fig.colorbar(image, ax=ax, ticks=list(STATES))
            bar.ax.set_yticklabels(list(STATES.values()))
        else:
            for i, line in enumerate(chart.lines):
                style = (
                    {"marker": ".", "linestyle": "none", "markersize": 3}
                    if i == 0 and "latency" in chart.title
                    else {}
                )
                ax.plot(line.xs, line.ys, label=line.label, **style)
            if chart.right:
                twin = ax.twinx()
                for j, line in enumerate(chart.right, start=len(chart.lines)):
                    twin.plot(line.xs, line.ys, label=line.label, linestyle="--", color=f"C{j}")
                twin.set_ylabel(chart.right_label)
                twin.legend(loc="upper right", fontsize=7)
            ax.legend(loc="upper left", fontsize=7)
            ax.set_ylabel(chart.ylabel)
        ax.set_xlim(start, end)
        ax.set_xlabel("simulated time (s)")
        ax.set_title(f"{chart.title}  ({chart.samples} samples)")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def render(dashboard: Dashboard, out: Path, heading: str) -> tuple[list[Path], Path]:
    """Draw every chart to ``out/<n>.png`` and the page ``out/dashboard.html`` with them inlined."""
    out.mkdir(parents=True, exist_ok=True)
    pngs = []
    for n, chart in enumerate(dashboard.charts, start=1):
        path = out / f"chart-{n}.png"
        _draw(chart, path, dashboard.start, dashboard.end)
        pngs.append(path)
    sections = []
    for chart, path in zip(dashboard.charts, pngs, strict=True):
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        sections.append(
            f"<section><h2>{html.escape(chart.title)}</h2>"
            f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{data}">'
            f"<p>{html.escape(chart.source)}; {chart.samples} samples.</p></section>"
        )
    page = out / "dashboard.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(heading)}</title><style>"
        "body{font-family:sans-serif;margin:1em;background:#fff}img{width:100%}"
        "main{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
        "h2{font-size:1.1em;margin:.3em 0}p{color:#444;font-size:.85em}"
        f"</style></head><body><h1>{html.escape(heading)}</h1>"
        f"<p>Simulated seconds {dashboard.start:g} to {dashboard.end:g}; "
        f"{dashboard.collections} monitoring collections.</p><main>{''.join(sections)}</main></body></html>",
        encoding="utf-8",
    )
    return pngs, page


# --- in a browser -----------------------------------------------------------------------------------


def browser() -> str | None:
    """Debian's headless Chromium, if it is installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 2400) -> Path:
    """Open ``page`` in headless Chromium and save what it rendered to ``png``."""
    chromium = browser()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={width},{height}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(
            f"chromium took no screenshot of {page} (exit {done.returncode}): {done.stderr[-500:]}"
        )
    return png


def coloured_share(png: Path) -> float:
    """The share of a screenshot's pixels in colour (not white, grey or black): the charts' lines,
    areas and health map. The page's own text and a broken image's icon are grey."""
    import matplotlib.image

    pixels = matplotlib.image.imread(png)[:, :, :3]
    return float((pixels.max(axis=2) - pixels.min(axis=2) > 0.25).mean())


# --- set beside the sources -------------------------------------------------------------------------


def check(dashboard: Dashboard, recorder: Recorder) -> list[dict]:
    """Each chart beside the sources it claims to show, read again now: one row per chart."""
    session, charts = recorder.session, {c.title: c for c in dashboard.charts}
    tap, monitoring = session.tap, session.system.monitoring
    start, end = dashboard.start, dashboard.end
    first = recorder.samples[0] if recorder.samples else {}
    last_time = recorder.samples[-1]["time"] if recorder.samples else -1.0
    rows = []

    def row(title: str, what: str, shown: object, measured: object) -> None:
        rows.append(
            {
                "chart": title,
                "samples": charts[title].samples,
                "checked": what,
                "chart shows": shown,
                "source holds": measured,
                "agree": shown == measured,
            }
        )

    def tail(line: Line) -> float | None:
        return line.ys[-1] if line.ys else None

    lat = charts[CHARTS[0]]
    row(
        CHARTS[0],
        "every answered order's latency (ms), sorted",
        sorted(lat.lines[0].ys),
        sorted(1000.0 * x for x in tap.ack_latencies()),
    )
    thr = charts[CHARTS[1]]
    spans = [b["time"] - a["time"] for a, b in zip(recorder.samples, recorder.samples[1:], strict=False)]
    row(
        CHARTS[1],
        "market data updates processed and new orders sent over the recording",
        (round(sum(y * s for y, s in zip(thr.lines[0].ys, spans, strict=True))), round(sum(thr.right[0].ys))),
        (
            round(_metric(monitoring, "market_data_system", "updates") - first.get("md_processed", 0.0)),
            sum(1 for o in tap.orders.values() if start <= o.trigger < end),
        ),
    )
    flow = charts[CHARTS[2]]
    row(
        CHARTS[2],
        "orders sent and fills at the last collection",
        (tail(flow.lines[0]), tail(flow.lines[3])),
        (
            float(sum(1 for o in tap.orders.values() if o.trigger <= last_time)),
            monitoring.total("allu_fills_total"),
        ),
    )
    pnl = charts[CHARTS[3]]
    row(
        CHARTS[3],
        "session P&L and positions at the last collection",
        (tail(pnl.lines[0]), {line.label: tail(line) for line in pnl.right}),
        (
            monitoring.value("allu_session_pnl"),
            {f"position {s}": monitoring.value("allu_position", symbol=s) for s in monitoring.symbols},
        ),
    )
    row(
        CHARTS[4],
        "alerts gone pending or firing, and injected faults",
        charts[CHARTS[4]].samples,
        sum(
            1
            for e in session.system.alerting.history()
            if start <= e.time <= end and e.state in ("pending", "firing")
        )
        + sum(1 for f in session.market.injector.injected if start <= f.start <= end),
    )
    md = charts[CHARTS[5]]
    hits = _metric(monitoring, "market_data_enhancer", "hits") - first.get("hits", 0.0)
    reads = hits + _metric(monitoring, "market_data_enhancer", "misses") - first.get("misses", 0.0)
    row(
        CHARTS[5],
        "market data delivered over the recording, and the hit rate since it began (%)",
        (round(sum(md.lines[0].ys)), tail(md.right[0])),
        (sum(1 for t in tap.md_times if start <= t < end), 100.0 * hits / reads if reads else None),
    )
    health = charts[CHARTS[6]]
    row(
        CHARTS[6],
        "every component's health at the last collection",
        {c: r[-1] for c, r in zip(health.rows, health.grid, strict=True)},
        {
            dict(s.labels)["component"]: monitoring.value(s.name, **dict(s.labels))
            for s in monitoring.series()
            if s.name == "allu_component_health"
        },
    )
    return rows


def _metric(monitoring, component: str, metric: str) -> float:  # noqa: ANN001 - the framework
    value = monitoring.value("allu_component_metric", component=component, metric=metric)
    return 0.0 if value is None else value

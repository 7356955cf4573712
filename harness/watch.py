"""The manual monitoring command: prints a session's metrics for a person to read when the
automation fails (RISK-MANUAL-MONITORING).

    python -m harness.watch http://127.0.0.1:PORT/metrics    # a running session's /metrics page
    python -m harness.watch --snapshot monitoring.json       # a finished session's saved JSON snapshot

It reads only what the Advanced Monitoring Framework exports (the Prometheus text page, parsed by
prometheus_client's parser, or the JSON snapshot) and prints: per symbol the orders, fills, refusals,
market data messages and rate, position and P&L; per latency path the count and the bucket bound
under which half and 99% of the latencies fall; every component's health; and the alerts pending
or firing, from the Alerting System's rule states in the export. A page that cannot be fetched or a
file that is not a snapshot stops it with exit 2 and a message naming the source and the reason.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from harness.monitoring import Samples, parse, snapshot_samples
from harness.session import TradingSession
from system.alerting import STATE_CODES, AlertingSystem, AlertState
from system.monitoring import HEALTH_CODES, PREFIX, AdvancedMonitoringFramework

ROOT = Path(__file__).resolve().parent.parent

STATES = {code: state.value for state, code in HEALTH_CODES.items()}
ALERT_STATES = {code: state.value for state, code in STATE_CODES.items()}
# Columns of the per-symbol table: heading, sample name.
COLUMNS = (
    ("orders", f"{PREFIX}_orders_total"),
    ("fills", f"{PREFIX}_fills_total"),
    ("refused", f"{PREFIX}_orders_rejected_total"),
    ("md_messages", f"{PREFIX}_market_data_messages_total"),
    ("md_per_s", f"{PREFIX}_market_data_rate"),
    ("position", f"{PREFIX}_position"),
    ("pnl", None),  # realized plus unrealized
)


class SourceError(Exception):
    """A source that cannot be read, with its name and the reason."""


def fetch(url: str) -> Samples:
    if not url.startswith(("http://", "https://")):
        raise SourceError(f"{url}: not an http:// address of a /metrics page")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8")
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{url}: cannot fetch the metrics page ({exc})") from exc
    try:
        return parse(text)
    except ValueError as exc:
        raise SourceError(f"{url}: not the Prometheus text format ({exc})") from exc


def load(path: Path) -> tuple[Samples, float | None]:
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: cannot read a JSON snapshot ({exc})") from exc
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("series"), list):
        raise SourceError(f"{path}: not a monitoring snapshot (no 'series' list)")
    try:
        return snapshot_samples(snapshot), snapshot.get("time")
    except (KeyError, TypeError, AttributeError) as exc:
        raise SourceError(
            f"{path}: a series of the snapshot lacks its name, labels or value ({exc})"
        ) from exc


def _sum(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= set(have))


def _symbols(samples: Samples) -> list[str]:
    return sorted({dict(labels)["symbol"] for name, labels in samples if name == f"{PREFIX}_position"})


def _bound(buckets: list[tuple[float, float]], share: float) -> str:
    """The smallest bucket bound under which ``share`` of the observations fall."""
    total = buckets[-1][1] if buckets else 0.0
    for le, count in buckets:
        if total and count >= share * total:
            return "+Inf" if le == float("inf") else f"{1000 * le:g} ms"
    return "-"


def render(samples: Samples, source: str, time: float | None = None) -> str:
    """The metrics of one collection as text for a person."""
    collections = _sum(samples, f"{PREFIX}_collections_total")
    when = "" if time is None else f" at {time:g} s of its clock"
    lines = [f"session metrics from {source}{when}: {collections:g} collections", ""]
    lines.append("symbol  " + "  ".join(f"{heading:>12}" for heading, _ in COLUMNS))
    for symbol in _symbols(samples):
        cells = []
        for _, name in COLUMNS:
            if name is None:
                value = _sum(samples, f"{PREFIX}_realized_pnl", symbol=symbol) + _sum(
                    samples, f"{PREFIX}_unrealized_pnl", symbol=symbol
                )
            else:
                value = _sum(samples, name, symbol=symbol)
            cells.append(f"{value:>12g}")
        lines.append(f"{symbol:<8}" + "  ".join(cells))
    lines += ["", "latency path       count     p50 at most   p99 at most"]
    paths = sorted(
        {dict(labels)["path"] for name, labels in samples if name == f"{PREFIX}_latency_seconds_count"}
    )
    for path in paths:
        rows = sorted(
            (float(dict(labels)["le"]), value)
            for (name, labels), value in samples.items()
            if name == f"{PREFIX}_latency_seconds_bucket"
            and dict(labels)["path"] == path
            and dict(labels)["symbol"] == "all"
        )
        count = _sum(samples, f"{PREFIX}_latency_seconds_count", path=path, symbol="all")
        lines.append(f"{path:<18}{count:>6g}  {_bound(rows, 0.5):>14}  {_bound(rows, 0.99):>12}")
    lines += ["", "component health"]
    for (name, labels), value in sorted(samples.items()):
        if name == f"{PREFIX}_component_health":
            lines.append(f"  {dict(labels)['component']:<32}{STATES.get(value, value)}")
    lines += ["", "alerts"]
    rules = {
        dict(labels)["metric"].removesuffix(".state"): ALERT_STATES.get(value, f"{value:g}")
        for (name, labels), value in samples.items()
        if name == f"{PREFIX}_component_metric"
        and dict(labels)["component"] == AlertingSystem.name
        and dict(labels)["metric"].endswith(".state")
    }
    if not rules:
        lines.append("  (the export holds no alerting system)")
    active = {rule: state for rule, state in sorted(rules.items()) if state != "inactive"}
    for rule, state in active.items():
        lines.append(f"  {rule:<32}{state}")
    if rules and not active:
        lines.append(f"  none active of {len(rules)} rules")
    return "\n".join(lines) + "\n"


def printed_table(text: str) -> dict[str, dict[str, float]]:
    """The per-symbol table of :func:`render`'s text, read back: symbol -> heading -> value."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("symbol  "))
    headings = lines[start].split()[1:]
    table = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        symbol, *cells = line.split()
        table[symbol] = dict(zip(headings, map(float, cells), strict=True))
    return table


def printed_alerts(text: str) -> dict[str, str]:
    """The active alerts of :func:`render`'s text, read back: rule -> state."""
    lines = text.splitlines()
    start = lines.index("alerts")
    out = {}
    for line in lines[start + 1 :]:
        if line.startswith("  ") and not line.startswith("  (") and not line.startswith("  none"):
            rule, state = line.split()
            out[rule] = state
    return out


def until_exported_firing(session: TradingSession, rule: str, limit: float) -> bool:
    """Trade until the monitoring export shows ``rule`` firing, at most ``limit`` simulated seconds."""
    monitoring = session.system.monitoring
    firing = STATE_CODES[AlertState.FIRING]

    def exported() -> bool:
        state = monitoring.value(
            f"{PREFIX}_component_metric", component=AlertingSystem.name, metric=f"{rule}.state"
        )
        return state == firing

    return session.run_until(exported, limit, step=0.05)


def active_at(alerting: AlertingSystem, t: float, *, inclusive: bool) -> dict[str, str]:
    """The rules pending or firing at time ``t`` by the alerting system's own history of events (those
    at ``t`` itself counted when ``inclusive``: a collection at ``t`` may come before or after them)."""
    states: dict[str, str] = {}
    for event in alerting.history():
        if event.time < t or (inclusive and event.time == t):
            states[event.rule] = event.state
    return {rule: state for rule, state in states.items() if state in ("pending", "firing")}


def run(*args: str) -> subprocess.CompletedProcess:
    """The command as an operator runs it: a separate process, from the project's directory."""
    return subprocess.run(
        [sys.executable, "-m", "harness.watch", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def against_export(table: dict[str, dict[str, float]], monitoring: AdvancedMonitoringFramework) -> list[dict]:
    """Each printed figure beside the framework's own answer for the same collection."""
    rows = []
    symbols = sorted(set(table) | set(monitoring.symbols))
    for symbol in symbols:
        printed = table.get(symbol, {})
        for heading, name in COLUMNS:
            if name is None:
                held = (monitoring.value(f"{PREFIX}_realized_pnl", symbol=symbol) or 0.0) + (
                    monitoring.value(f"{PREFIX}_unrealized_pnl", symbol=symbol) or 0.0
                )
            else:
                held = monitoring.total(name, symbol=symbol)
            shown = printed.get(heading)
            # The command prints %g: six significant digits.
            agree = shown is not None and float(f"{held:g}") == shown
            rows.append(
                {"symbol": symbol, "figure": heading, "printed": shown, "exported": held, "agree": agree}
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.watch", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="a running session's /metrics address")
    parser.add_argument("--snapshot", type=Path, help="a finished session's saved JSON snapshot")
    args = parser.parse_args(argv)
    if (args.url is None) == (args.snapshot is None):
        parser.error("give either a /metrics address or --snapshot FILE")
    try:
        if args.url is not None:
            text = render(fetch(args.url), args.url)
        else:
            samples, time = load(args.snapshot)
            text = render(samples, str(args.snapshot), time)
    except SourceError as exc:
        print(f"harness.watch: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the full simulated market with its background traders, and its memory over a day.

Throughput counts exchange messages per second of wall time: order-entry messages the matching
engine took in, execution reports it sent, and market data messages it published (a normal market
in 5 symbols, 1,800 simulated seconds, median of three runs, no journal). The journal's own event
count per second is printed beside it. Memory: one trading day (23,400 simulated seconds) of the
same market, resident set size sampled every 1,170 simulated seconds. Target: >= 100,000 exchange
events per second; memory flat over the day.
"""

from __future__ import annotations

import gc
import statistics
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.world import Market, MarketConfig  # noqa: E402
from system.memory import read_rss  # noqa: E402

DAY = 23_400.0


def _run(seconds: float, journal: Path | None = None) -> tuple[float, float, float]:
    market = Market(MarketConfig(seed=20261125, symbols=5, profile="normal", journal=journal))
    started = perf_counter()
    market.run(seconds)
    wall = perf_counter() - started
    market.close()
    ex = market.exchange
    return wall, ex.handled + ex.reports + ex.feed.published, market.events


def throughput() -> None:
    runs = [_run(1800.0) for _ in range(3)]
    rates = [m / w for w, m, _ in runs]
    journal_rates = [e / w for w, _, e in runs]
    wall, messages, events = runs[0]
    print(
        f"simulation: normal market, 5 symbols, 1,800 s simulated: {messages:,} exchange messages, "
        f"{events:,} journal events"
    )
    print(f"  exchange messages per wall second  median {statistics.median(rates):>9,.0f}  (target 100,000)")
    print(f"  journal events per wall second     median {statistics.median(journal_rates):>9,.0f}")
    path = Path("reports/bench-journal.jsonl")
    wall, messages, events = _run(1800.0, journal=path)
    print(
        f"  with the journal written: {messages / wall:,.0f} messages/s, "
        f"{path.stat().st_size / 1e6:.1f} MB of journal"
    )
    path.unlink()


def memory() -> None:
    market = Market(MarketConfig(seed=20261125, symbols=5, profile="normal"))
    samples = []
    started = perf_counter()
    step = DAY / 20
    while market.env.now < DAY:
        market.run(market.env.now + step)
        gc.collect()
        samples.append((market.env.now, read_rss()))
    wall = perf_counter() - started
    first_quarter = samples[len(samples) // 4][1]
    print(
        f"memory over a trading day ({DAY:,.0f} s simulated, {wall:.0f} s wall, "
        f"{market.exchange.handled:,} orders and amendments):"
    )
    print("  " + "  ".join(f"{t / 3600:.1f}h:{rss / 2**20:.0f}MB" for t, rss in samples[::4]))
    print(
        f"  resident set {samples[0][1] / 2**20:.1f} MB after {samples[0][0]:,.0f} s, "
        f"{samples[-1][1] / 2**20:.1f} MB at the close; growth over the last three quarters "
        f"{(samples[-1][1] - first_quarter) / 2**20:+.1f} MB"
    )


if __name__ == "__main__":
    throughput()
    memory()

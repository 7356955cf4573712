"""Benchmark: the market data system on a stream recorded from the simulated exchange.

Throughput: the whole stream through a fresh market data system (publishing every update on its
bus to one consumer), wall clock, median of five runs. Latency: each update timed alone with
perf_counter_ns into 1% histogram buckets. Targets: >= 335,000 updates/s and p99 < 30 us.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import mdstream  # noqa: E402

UPDATES = 200_000


def main() -> int:
    stream = mdstream.record(20261125, UPDATES, "normal", 5)
    print(
        f"market data: {len(stream.messages):,} updates in {len(stream.symbols)} symbols, "
        f"recorded from {stream.simulated_seconds:g} simulated seconds of a normal market"
    )
    rates = [mdstream.throughput(stream)[0] for _ in range(5)]
    timings = mdstream.latency(stream)
    p = {q: timings.percentile("update", q) * 1e6 for q in (50, 99, 99.9)}
    print(
        f"  throughput  median {statistics.median(rates):>10,.0f} updates/s  (runs: "
        f"{', '.join(f'{r:,.0f}' for r in rates)}; target 335,000; plan 33,481)"
    )
    print(
        f"  latency     p50 {p[50]:.1f} us  p99 {p[99]:.1f} us  p99.9 {p[99.9]:.1f} us  (target p99 < 30 us)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

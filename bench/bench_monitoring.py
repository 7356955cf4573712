"""Benchmark: what monitoring costs the market data path, measured side by side.

Two sessions of the whole system trading 120 simulated seconds of the production profile in 5
symbols, compute charged: one as it runs in production, one with the Advanced Monitoring Framework,
the Real-time Analytics Engine and the Alerting System stopped once the system is up (everything
they collect on their interval of simulated time stops with them). Throughput is market data updates
the venue delivered (the tap) per second of the system's compute (the CPU time its callbacks took,
as charged). Five runs of each, alternating; medians and their ratio. Target: with monitoring on,
at least 95% of the throughput with it off.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.session import SessionSpec, TradingSession  # noqa: E402

SECONDS = 120.0
RUNS = 5


def throughput(monitoring: bool) -> float:
    session = TradingSession(
        SessionSpec(seed=20261125, symbols=5, profile="production", charge_compute=True, audits=False)
    )
    if not monitoring:
        for component in (session.system.alerting, session.system.analytics, session.system.monitoring):
            component.stop()
    session.run(SECONDS)
    assert session.charger is not None
    rate = len(session.tap.md_times) / session.charger.seconds
    session.close()
    return rate


def main() -> int:
    on, off = [], []
    for _ in range(RUNS):
        on.append(throughput(True))
        off.append(throughput(False))
    ratio = statistics.median(on) / statistics.median(off)
    print(
        f"monitoring overhead: {SECONDS:g} simulated s of the production profile, 5 symbols, {RUNS} runs each"
    )
    print(
        f"  monitoring on   median {statistics.median(on):>9,.0f} updates per compute second  (runs: "
        f"{', '.join(f'{r:,.0f}' for r in on)})"
    )
    print(
        f"  monitoring off  median {statistics.median(off):>9,.0f} updates per compute second  (runs: "
        f"{', '.join(f'{r:,.0f}' for r in off)})"
    )
    print(f"  ratio on/off    {ratio:.3f}  (target >= 0.95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

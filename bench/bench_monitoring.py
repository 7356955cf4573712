"""Benchmark: what monitoring costs the market data path, measured side by side.

Sessions of the whole system trading with its compute charged, in pairs: one as it runs in
production, one with the Advanced Monitoring Framework, the Real-time Analytics Engine and the
Alerting System stopped once the system is up (everything they collect on their interval of
simulated time stops with them). Throughput is market data updates the venue delivered (the tap) per
second of the system's compute (the CPU time its callbacks took, as charged). Runs alternate, on then
off, and each pair gives a ratio: the machine's speed drifts from minute to minute, and a pair's two
runs share the minute. The figure is the median of the pairs' ratios (beside the ratio of the
medians). Target: with monitoring on, at least 95% of the throughput with it off.

Two markets. The production profile (5 symbols, about 700 updates per simulated second) is the harsh
case: monitoring's cost is per collection, once a simulated second whatever the rate, so it weighs
most where the system has least else to do. The plan's rate (the normal market in 3 symbols at the
stress load, about 36,000 updates per simulated second) is the market data path at full stretch.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.session import SessionSpec, TradingSession  # noqa: E402

SEED = 20261125
# (what, the session, simulated seconds, runs of each)
MARKETS = (
    (
        "production profile, 5 symbols",
        SessionSpec(seed=SEED, symbols=5, profile="production", charge_compute=True, audits=False),
        240.0,
        7,
    ),
    (
        "the plan's rate: normal market, 3 symbols, stress load",
        SessionSpec(seed=SEED, symbols=3, profile="normal", load=2500.0, charge_compute=True, audits=False),
        6.0,
        5,
    ),
)


def throughput(spec: SessionSpec, seconds: float, monitoring: bool) -> float:
    session = TradingSession(spec)
    if not monitoring:
        for component in (session.system.alerting, session.system.analytics, session.system.monitoring):
            component.stop()
    session.run(seconds)
    assert session.charger is not None
    rate = len(session.tap.md_times) / session.charger.seconds
    session.close()
    return rate


def main() -> int:
    for what, spec, seconds, runs in MARKETS:
        on, off = [], []
        for _ in range(runs):
            on.append(throughput(spec, seconds, True))
            off.append(throughput(spec, seconds, False))
        pairs = sorted(a / b for a, b in zip(on, off, strict=True))
        print(f"monitoring overhead: {what}, {seconds:g} simulated s, {runs} runs each")
        for label, rates in (("on ", on), ("off", off)):
            print(
                f"  monitoring {label}  median {statistics.median(rates):>9,.0f} updates per compute second"
                f"  (runs: {', '.join(f'{r:,.0f}' for r in rates)})"
            )
        print(
            f"  ratio on/off    {statistics.median(pairs):.3f}, median of {runs} pairs (target >= 0.95; "
            f"pairs {pairs[0]:.3f} to {pairs[-1]:.3f}; ratio of the medians "
            f"{statistics.median(on) / statistics.median(off):.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

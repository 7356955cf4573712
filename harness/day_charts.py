"""The production day's charts (PNG, matplotlib's Agg backend), drawn from the day's record only:
market data and order rates, memory, order latency and the market data queue through the day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen before pyplot is imported


def _hours(seconds: list[float]) -> list[float]:
    return [s / 3_600 for s in seconds]


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _ten_minutes(
    tens: list[dict],
    mids: list[float],
    keys: dict[str, str],
    unit: str,
    title: str,
    path: Path,
    log: bool = False,
) -> Path:
    """Figures of each ten minutes (key: label) against the hour of the day."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for key, label in keys.items():
        ax.plot(mids, [t[key] for t in tens], marker=".", label=label)
    if log:
        ax.set_yscale("symlog", linthresh=1.0)  # a p99 of a few messages beside a maximum of thousands
    ax.set(xlabel="hours into the day (end of each ten minutes)", ylabel=unit, title=title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def draw(record: dict[str, Any], out: Path) -> list[Path]:
    """Write the four charts into ``out``; their paths."""
    minutes = record["per_minute"]
    samples = record["samples"]
    tens = record["per_ten_minutes"]
    paths = []

    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(
        _hours([60 * n + 30 for n in range(len(minutes))]),
        [m / 60 for m in minutes],
        lw=1,
        label="market data",
    )
    times = [s["time"] for s in samples]
    orders = [
        (b["orders"] - a["orders"]) / (b["time"] - a["time"])
        for a, b in zip(samples, samples[1:], strict=False)
    ]
    ax.plot(_hours(times[1:]), orders, lw=1, label="new orders")
    ax.axhline(
        record["burst_rate"], color="grey", ls="--", lw=0.8, label=f"plan's {record['burst_rate']:,}/s"
    )
    ax.set_yscale("log")
    ax.set(xlabel="hours into the day", ylabel="per simulated second", title="Message rates (per minute)")
    ax.legend(loc="upper center", fontsize=8)
    paths.append(_save(fig, out / "day-rates.png"))

    fig, ax = plt.subplots(figsize=(9, 3.6))
    snaps = record["snapshots"]
    ax.plot(
        _hours([s["time"] for s in snaps]),
        [s["retained_bytes"] / 1e6 for s in snaps],
        marker="o",
        ms=3,
        label="retained by the system",
    )
    ax.plot(
        _hours(times),
        [s["rss"] / 1e6 for s in samples],
        lw=1,
        label="process resident (simulator and harness too)",
    )
    ax.set(xlabel="hours into the day", ylabel="MB", title="Memory")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "day-memory.png"))

    mids = _hours([t["time"] for t in tens])
    paths.append(
        _ten_minutes(
            tens,
            mids,
            {"p50_ms": "p50", "p99_ms": "p99"},
            "ms",
            "Decision-to-acknowledgement latency",
            out / "day-latency.png",
        )
    )
    paths.append(
        _ten_minutes(
            tens,
            mids,
            {"queue_p99": "p99", "queue_max": "max"},
            "messages ahead",
            "Market data queue: messages waiting as each arrival reached the system",
            out / "day-queue.png",
            log=True,
        )
    )
    return paths

"""A full trading day at production rates (P4-LOAD-PRODUCTION, P4-RELIABILITY): one session of 23,400
simulated seconds, sampled as it runs, and its first hour set against its last.

The day is the production market profile in 5 symbols, the system trading through it with its compute
charged to simulated time. The market's activity follows an intraday U (:data:`HALF_HOURS`: busier at
the open and the close) and bursts to :data:`BURST_LEVEL` times its load for :data:`BURST_SECONDS` at
the open and at the close, which the profile turns into more than the plan's 33,481 updates a second.

Everything is observed from outside the system:

- market data rates: the arrival time of every update the venue delivered (the tap), counted per
  simulated second at the end;
- order latency: from the callback that sent a new order to the venue's first answer (the tap), per
  hour of the order's decision;
- the market data queue: how many messages waited for the system when each arrival of market data
  (the updates the exchange published at one instant) reached it (the gateway's record), read every
  :data:`SNAPSHOT` seconds;
- memory: the bytes of every Python object reachable from the system (:mod:`harness.footprint`) every
  :data:`SNAPSHOT` seconds, and the process's resident size every :data:`SAMPLE` seconds;
- loss: at the close the system's orders, fills, positions and cash are reconciled with the exchange,
  every order must have been answered, and the feed must have shown no gap.

The day runs once per run seed and code version: ``python -m harness.day`` (``make certify`` starts it
beside the scenarios) writes ``reports/day/day.json`` and the charts; the scenarios read that file
when its key (the day's seed, its length and a digest of the sources) matches, wait for it while the
background run holds its lock, and run the day themselves otherwise.
"""

from __future__ import annotations

import argparse
import configparser
import gc
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.footprint import retained_bytes
from harness.session import SessionSpec, TradingSession
from simulator.rng import derive_seed
from system.memory import read_rss

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "day"
DAY = 23_400.0  # 6.5 hours: 09:30 to 16:00
HOUR = 3_600.0
SYMBOLS = 5
PROFILE = "production"
BURST_RATE = 33_481  # the plan's operations per second
BURST_SECONDS = 65.0  # at least a minute at the rate, with room for the traders to reach it
# Load 115 makes about 36,500 updates a second in 5 production symbols (measured with no system
# trading: 35,000 at 110, 38,335 at 120), 9% above the plan's rate, so each second of the burst clears it.
BURST_LEVEL = 115.0
# Activity of each half hour after the opening burst: a U, higher at both ends. Its mean, 1.15, gives
# about 560 updates a second with the system trading (the profile gives 481 at 1.0 with none).
HALF_HOURS = (1.8, 1.4, 1.15, 1.0, 0.9, 0.85, 0.85, 0.85, 0.9, 1.0, 1.15, 1.4, 1.9)
SAMPLE = 60.0  # seconds between samples of counts and resident size
SNAPSHOT = 600.0  # seconds between the costlier samples: the system's retained memory and the queue record
BURST_WINDOW = 600.0  # the burst is looked for in the first and in the last ten minutes
BURST_LEAST = 60  # seconds at the rate that make a burst: "at least a minute"
STOP_GROWTH = 0.25  # retained memory this far beyond the first hour's stops the day (see lost())


def day_shape(seconds: float = DAY) -> tuple[tuple[float, float], ...]:
    """The market's activity steps: the opening burst, the U by half hours, the closing burst."""
    steps = [(0.0, BURST_LEVEL), (BURST_SECONDS, HALF_HOURS[0])]
    steps += [(n * 1_800.0, level) for n, level in enumerate(HALF_HOURS[1:], 1) if n * 1_800.0 < seconds]
    steps.append((seconds - BURST_SECONDS, BURST_LEVEL))
    return tuple(steps)


def day_seed(run_seed: int) -> int:
    return derive_seed(run_seed, "production day") % 2**31


def configured_run_seed() -> int:
    """behave.ini's run seed, so the background day is the one the scenarios ask for."""
    config = configparser.ConfigParser()
    config.read(ROOT / "behave.ini")
    return int(config.get("behave.userdata", "seed", fallback="20261125"))


def sources_digest() -> str:
    """What the day's outcome depends on: the system, simulator, venue and harness sources, and config."""
    digest = hashlib.sha256()
    for package in ("system", "simulator", "venue", "harness", "config"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".yaml", ".yml") and path.is_file():
                digest.update(f"{path.relative_to(ROOT)}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def key(seed: int, seconds: float) -> dict[str, Any]:
    return {"seed": seed, "seconds": seconds, "sources": sources_digest()}


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    time: float
    retained_bytes: int
    retained_objects: int
    queue: list[int]  # the gateway's record of the receive queue so far (cumulative counts by depth)


class DaySampler:
    """Samples the day from outside the system: counts and resident size every SAMPLE seconds of
    the simulated clock; :meth:`snapshot`, which :func:`run` calls between stretches of the day, the
    costlier retained memory and the gateway's queue record."""

    def __init__(self, session: TradingSession) -> None:
        self.session = session
        self.samples: list[dict[str, float]] = []
        self.snapshots: list[Snapshot] = []
        self.walk_seconds = 0.0
        self.collect_seconds = 0.0
        session.market.env.process(self._run(session.market.env))

    def _run(self, env) -> Generator:  # noqa: ANN001 - a simpy Environment
        while True:
            now = env.now
            tap = self.session.tap
            self.samples.append(
                {
                    "time": now,
                    "md": float(len(tap.md_times)),
                    "orders": float(len(tap.orders)),
                    "rss": float(read_rss()),
                }
            )
            yield env.timeout(SAMPLE)

    def snapshot(self) -> None:
        started = time.perf_counter()
        gc.collect()  # between callbacks, so the system is not billed for it (see run())
        collected = time.perf_counter()
        size, objects = retained_bytes(self.session.system)
        self.collect_seconds += collected - started
        self.walk_seconds += time.perf_counter() - collected
        queue = list(self.session.market.gateway.md_queue_ahead)
        self.snapshots.append(Snapshot(self.session.now, size, objects, queue))


def run(
    seed: int,
    seconds: float = DAY,
    progress: Callable[[str], None] | None = None,
    shape: tuple[tuple[float, float], ...] | None = None,
) -> dict[str, Any]:
    """Run the day (in :func:`day_shape`, or ``shape``) and return its record (see :func:`summarise`)."""
    started = time.perf_counter()
    ran = key(seed, seconds)  # the sources as they are now, before anything can edit them
    # Python's full garbage collection scans every object of the process, the simulator's and the
    # harness's (a gigabyte by the close) with the system's, and runs inside whatever callback
    # happens to allocate: charged compute would bill the system for pauses of the whole process.
    # The day turns the automatic full collection off and runs it itself between stretches of the
    # day; the young generations are still collected automatically, and charged.
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 2**31 - 1)
    try:
        record = _run(seed, seconds, progress, shape, started)
    finally:
        gc.set_threshold(*thresholds)
    record["key"] = ran
    return record


def _run(
    seed: int,
    seconds: float,
    progress: Callable[[str], None] | None,
    shape: tuple[tuple[float, float], ...] | None,
    started: float,
) -> dict[str, Any]:
    session = TradingSession(
        SessionSpec(
            seed=seed,
            symbols=SYMBOLS,
            profile=PROFILE,
            charge_compute=True,
            audits=False,
            shape=day_shape(seconds) if shape is None else shape,
        )
    )
    sampler = DaySampler(session)
    sampler.snapshot()
    stopped = None
    while session.now < seconds and stopped is None:
        session.run(min(SNAPSHOT, seconds - session.now))
        sampler.snapshot()  # every SNAPSHOT seconds, and at the close before the system settles
        stopped = lost(session, sampler)
        if progress is not None and (session.now % (HOUR / 2) < 1e-6 or stopped or session.now >= seconds):
            progress(
                f"day: {session.now:,.0f} of {seconds:,.0f} s in {time.perf_counter() - started:,.0f} s wall"
            )
    end = session.now
    session.close_market()
    reconciliation = session.reconcile()
    record = summarise(session, sampler, end, reconciliation)
    record["planned_seconds"] = seconds
    record["stopped"] = stopped
    record["wall_seconds"] = round(time.perf_counter() - started, 1)
    session.close()
    return record


def lost(session: TradingSession, sampler: DaySampler) -> dict[str, Any] | None:
    """Why the day cannot end well already, or None: it stops there (a broken system need not be
    watched for hours). Generous bounds, beyond any tolerance a scenario grants: the opening burst
    held its rate for less than BURST_LEAST seconds, or the system's retained memory has grown
    STOP_GROWTH beyond the first hour's."""
    now = session.now
    if now - SNAPSHOT < BURST_WINDOW <= now:
        md = np.frombuffer(session.tap.md_times, dtype=np.float64)
        opening = np.bincount(md[md < BURST_WINDOW].astype(np.int64), minlength=int(BURST_WINDOW))
        held = longest_run(opening, BURST_RATE, 0, int(BURST_WINDOW))
        if held < BURST_LEAST:
            why = f"the opening burst held {BURST_RATE:,} updates/s for {held} s, not {BURST_LEAST}"
            return {"at": now, "why": why}
    first_end = compared_hours(DAY)[0][1]
    if now > first_end:
        first, last = _at(sampler.snapshots, first_end), sampler.snapshots[-1]
        if last.retained_bytes > first.retained_bytes * (1 + STOP_GROWTH):
            grown = last.retained_bytes / first.retained_bytes - 1
            why = f"the system's retained memory grew {grown:.0%} beyond the first hour's by {now:,.0f} s"
            return {"at": now, "why": why}
    return None


def compared_hours(seconds: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The first and the last hour of the day set against each other: the hour after the opening
    burst's ten minutes and the hour before the closing burst's, equally busy (the U is symmetric),
    with the bursts and the opening burst's aftermath (the expiry of the orders it left resting)
    judged by the load scenario instead. A shorter day (a test's) compares its halves."""
    if seconds >= 2 * (HOUR + BURST_WINDOW):
        return (BURST_WINDOW, BURST_WINDOW + HOUR), (seconds - BURST_WINDOW - HOUR, seconds - BURST_WINDOW)
    return (0.0, seconds / 2), (seconds / 2, seconds)


def _p(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def queue_p99(counts: list[int]) -> int | None:
    """The 99th percentile of a queue record (counts by depth); None for an empty one."""
    total = sum(counts)
    if not total:
        return None
    seen = 0
    for depth, count in enumerate(counts):
        seen += count
        if seen >= 0.99 * total:
            return depth
    return len(counts) - 1


def _between(first: Snapshot, last: Snapshot) -> list[int]:
    return [b - a for a, b in zip(first.queue, last.queue, strict=True)]


def _at(snapshots: list[Snapshot], when: float) -> Snapshot:
    """The last snapshot taken at or before ``when``."""
    return [s for s in snapshots if s.time <= when + 1e-9][-1]


def longest_run(per_second: np.ndarray, rate: float, start: int, end: int) -> int:
    """The most consecutive seconds in [start, end) with at least ``rate`` updates each."""
    best = run = 0
    for count in per_second[start:end]:
        run = run + 1 if count >= rate else 0
        best = max(best, run)
    return best


def summarise(session: TradingSession, sampler: DaySampler, seconds: float, reconciliation) -> dict[str, Any]:  # noqa: ANN001
    tap = session.tap
    md = np.frombuffer(tap.md_times, dtype=np.float64)
    md = md[md < seconds]
    per_second = np.bincount(md.astype(np.int64), minlength=int(seconds))[: int(seconds)]
    bursts = np.zeros(int(seconds), dtype=bool)
    bursts[: int(BURST_SECONDS)] = True
    bursts[int(seconds - BURST_SECONDS) :] = True
    window = int(BURST_WINDOW)
    orders = [(o.trigger, o.answered) for o in tap.orders.values()]
    latency = np.array([(t, a - t) for t, a in orders if a is not None and t < seconds]).reshape(-1, 2)
    unanswered = sum(1 for _, a in orders if a is None)

    def hour_latency(start: float, end: float) -> dict[str, Any]:
        chosen = latency[(latency[:, 0] >= start) & (latency[:, 0] < end), 1] * 1_000
        return {"p50_ms": _p(chosen, 50), "p99_ms": _p(chosen, 99), "orders": int(len(chosen))}

    snaps = sampler.snapshots
    (a, b), (c, d) = compared_hours(seconds)
    close = snaps[-1]
    queue_first = _between(_at(snaps, a), _at(snaps, b))
    queue_last = _between(_at(snaps, c), _at(snaps, d))
    first_hour = _at(snaps, b)
    tens = [
        {
            "time": b.time,
            "retained_mb": b.retained_bytes / 1e6,
            "queue_p99": queue_p99(_between(a, b)),
            "queue_max": max((d for d, c in enumerate(_between(a, b)) if c), default=None),
            **hour_latency(a.time, b.time),
        }
        for a, b in zip(snaps, snaps[1:], strict=False)
    ]
    probe_gaps = sum(row["gaps"] for row in session.probe.table())
    return {
        "seed": session.spec.seed,
        "seconds": seconds,
        "symbols": SYMBOLS,
        "profile": PROFILE,
        "shape": [list(s) for s in session.spec.shape],
        "md_updates": int(len(md)),
        "rate_average": len(md) / seconds,
        "rate_average_outside_bursts": float(per_second[~bursts].sum()) / max(1, int((~bursts).sum())),
        "burst_rate": BURST_RATE,
        "burst_open_seconds": longest_run(per_second, BURST_RATE, 0, window),
        "burst_close_seconds": longest_run(per_second, BURST_RATE, int(seconds) - window, int(seconds)),
        "per_minute": per_second[: int(seconds) // 60 * 60].reshape(-1, 60).sum(axis=1).tolist(),
        "peak_second": int(per_second.max()) if len(per_second) else 0,
        "samples": sampler.samples,
        "snapshots": [
            {"time": s.time, "retained_bytes": s.retained_bytes, "objects": s.retained_objects} for s in snaps
        ],
        "per_ten_minutes": tens,
        "first_hour": {
            "retained_bytes": first_hour.retained_bytes,
            "retained_at": first_hour.time,
            "window": [a, b],
            "latency": hour_latency(a, b),
            "queue_p99": queue_p99(queue_first),
            "queue_arrivals": sum(queue_first),
        },
        "last_hour": {
            "retained_bytes": close.retained_bytes,
            "retained_at": close.time,
            "window": [c, d],
            "latency": hour_latency(c, d),
            "queue_p99": queue_p99(queue_last),
            "queue_arrivals": sum(queue_last),
        },
        "orders_sent": len(orders),
        "orders_unanswered": unanswered,
        "feed_gaps_shown": len(tap.gaps),
        "bus_gaps": probe_gaps,
        "reconciliation": {
            "ok": reconciliation.ok,
            "orders": reconciliation.orders,
            "fills": reconciliation.fills,
            "archived": reconciliation.archived,
            "summary": reconciliation.summary(),
        },
        "compute_charged_seconds": round(session.charger.seconds, 3) if session.charger else 0.0,
        "memory_walk_seconds": round(sampler.walk_seconds, 2),
        "full_collection_seconds": round(sampler.collect_seconds, 2),
    }


# -- shared among the scenarios ---------------------------------------------------------------------


def record_path(out: Path = OUT) -> Path:
    return out / "day.json"


def lock_path(out: Path = OUT) -> Path:
    return out / "day.lock"


def _running(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def stored(seed: int, seconds: float, out: Path = OUT) -> dict[str, Any] | None:
    path = record_path(out)
    if not path.exists():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    return record if record.get("key") == key(seed, seconds) else None


def shared(
    seed: int,
    seconds: float = DAY,
    out: Path = OUT,
    wait: float = 3_600.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The day's record: the stored one if its key matches, after the background run if one holds
    the lock (waiting at most ``wait`` wall seconds), else a run now, stored for the next reader."""
    deadline = time.monotonic() + wait
    while _running(lock_path(out)) and time.monotonic() < deadline:
        time.sleep(2.0)
    record = stored(seed, seconds, out)
    if record is None:
        record = produce(seed, seconds, out, progress)
    return record


def produce(
    seed: int, seconds: float, out: Path = OUT, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run the day under the lock and store its record and charts."""
    from harness.day_charts import draw  # matplotlib only where charts are drawn

    out.mkdir(parents=True, exist_ok=True)
    lock = lock_path(out)
    lock.write_text(str(os.getpid()))
    try:
        record = run(seed, seconds, progress)
        record["charts"] = [str(p.relative_to(out)) for p in draw(record, out)]
        tmp = record_path(out).with_suffix(".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(record_path(out))
    finally:
        lock.unlink(missing_ok=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-seed", type=int, default=None, help="the run seed (default: behave.ini's)")
    parser.add_argument("--seconds", type=float, default=DAY, help="simulated seconds (default: a full day)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    seed = day_seed(configured_run_seed() if args.run_seed is None else args.run_seed)
    if stored(seed, args.seconds, args.out) is not None:
        print(f"day: {record_path(args.out)} is current for seed {seed}")
        return 0
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    record = produce(seed, args.seconds, args.out, say)
    print(f"day: seed {seed}, {record['md_updates']:,} updates in {record['wall_seconds']:,} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

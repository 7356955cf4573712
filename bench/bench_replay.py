"""Benchmark of the ``replay`` command: orders per second, CSV parsing and writing included.

Generates a realistic stream of 1,000,000 orders for one symbol (seeded, so every run replays the same
stream) into a temporary directory, replays it in-process three times and prints the median rate,
then through ``python -m simulator replay`` three times on the compiled modules and three times on the
pure-Python sources (``SIMULATOR_PURE=1``), alternated, and prints both medians and their ratio.
``make bench`` runs it; :func:`run` is the importable entry.

The stream: ~60% GTC limit orders a few ticks around a drifting mid (some priced through it, so they
trade), ~15% cancels of orders still resting, and IOC, FOK and market orders that take liquidity,
plus a sprinkle of business rejects (off-tick prices, cancels of finished orders).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from simulator import native, replay  # noqa: E402
from simulator.book import Order, OrderBook  # noqa: E402
from venue.messages import format_price  # noqa: E402

TICK = 100  # 0.01 in price units
TARGET = 200_000  # orders per second the replay must sustain


def generate(path: Path, n: int = 1_000_000, seed: int = 7) -> None:
    """Write ``n`` order rows to ``path``. A shadow book tells which orders are still resting."""
    rng = random.Random(seed)
    book = OrderBook()
    live: list[str] = []  # ids that may still rest; filled ones are dropped when picked
    finished: list[str] = []
    mid = 10_000 * 100  # 100.00
    rows = []
    for i in range(n):
        oid = f"O{i}"
        if rng.random() < 0.05:
            mid += TICK if rng.random() < 0.5 else -TICK
        r = rng.random()
        if r < 0.15:
            target = None
            while live and target is None:
                j = rng.randrange(len(live))
                live[j], live[-1] = live[-1], live[j]
                candidate = live.pop()
                if book.cancel(candidate) is not None:
                    target = candidate
                else:
                    finished.append(candidate)
            if target is None or rng.random() < 0.02:  # now and then a cancel that is too late
                target = rng.choice(finished) if finished else "NOPE"
            rows.append((target, "cancel", "", "", "", "", ""))
            continue
        is_buy = rng.random() < 0.5
        sign = -1 if is_buy else 1
        qty = rng.choice((1, 5, 10, 25, 50, 100, 100, 200, 500))
        if r < 0.75:
            # Mostly passive, a few ticks from the mid; a tenth priced through it.
            offset = -rng.randint(1, 3) if rng.random() < 0.1 else int(rng.expovariate(0.3)) + 1
            price = mid + sign * offset * TICK
            if rng.random() < 0.002:
                price += 50  # half a tick: a business reject
            tif, typ = "gtc", "limit"
        elif r < 0.87:
            price, tif, typ = mid - sign * rng.randint(0, 2) * TICK, "ioc", "limit"
        elif r < 0.93:
            price, tif, typ = mid - sign * rng.randint(0, 3) * TICK, "fok", "limit"
        else:
            price, tif, typ = None, rng.choice(("", "ioc")), "market"
        order = Order(oid, is_buy, price, qty)
        if price is None or price % TICK == 0:
            book.submit(order, tif or "gtc")
        if order.qty and tif == "gtc":
            live.append(oid)
        price_text = "" if price is None else format_price(price)
        rows.append((oid, "new", "buy" if is_buy else "sell", typ, price_text, qty, tif))
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(replay.HEADER)
        writer.writerows(rows)


def _fills(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


def _command(orders: Path, fills: Path, pure: bool) -> float:
    """Seconds one ``python -m simulator replay`` takes, on the compiled modules or the sources."""
    env = dict(os.environ)
    env.pop("SIMULATOR_PURE", None)
    if pure:
        env["SIMULATOR_PURE"] = "1"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "replay", str(orders), "--out", str(fills)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"python -m simulator replay failed ({result.returncode}): {result.stderr}")
    return time.perf_counter() - started


def run(n: int = 1_000_000, repeats: int = 3) -> dict[str, float]:
    """Generate, replay ``repeats`` times in-process and as commands (compiled and pure); print figures."""
    form, why = native.status()
    with tempfile.TemporaryDirectory(prefix="bench_replay_") as tmp:
        orders, fills = Path(tmp, "orders.csv"), Path(tmp, "fills.csv")
        started = time.perf_counter()
        generate(orders, n)
        print(f"generated {n} orders in {time.perf_counter() - started:.1f} s")
        rates = []
        for _ in range(repeats):
            summary = io.StringIO()  # the command's one-line summary, printed once below
            started = time.perf_counter()
            with contextlib.redirect_stderr(summary):
                code = replay.main([str(orders), "--out", str(fills)])
            elapsed = time.perf_counter() - started
            if code != 0:
                raise SystemExit(f"replay failed with exit code {code}: {summary.getvalue()}")
            rates.append(n / elapsed)
        figures = {"orders": n, "fills": _fills(fills), "in_process_orders_per_s": statistics.median(rates)}
        # Alternated, so that both forms see the same spells of host noise.
        walls: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(repeats):
            for pure in (False, True):
                walls[pure].append(_command(orders, fills, pure))
        figures["command_orders_per_s"] = n / statistics.median(walls[False])
        figures["pure_command_orders_per_s"] = n / statistics.median(walls[True])
    print(summary.getvalue().strip())
    print(
        f"replay in-process ({form}: {why}): {figures['in_process_orders_per_s']:,.0f} orders/s "
        f"(median of {repeats}, target {TARGET:,})"
    )
    print(
        f"replay via python -m simulator, median of {repeats}: "
        f"{figures['command_orders_per_s']:,.0f} orders/s as built, "
        f"{figures['pure_command_orders_per_s']:,.0f} orders/s with SIMULATOR_PURE=1 (ratio "
        f"{figures['command_orders_per_s'] / figures['pure_command_orders_per_s']:.2f})"
    )
    return figures


if __name__ == "__main__":
    run()

"""The simulator's command line: ``run`` a simulated market session, or ``replay`` an order stream.

    python -m simulator run --seed S --duration SECONDS --symbols N [--profile NAME] [--faults FILE]
                            [--journal PATH] [--load X]
    python -m simulator replay ORDERS.csv --out FILLS.csv

``run`` prints a summary table (orders, trades and volume per symbol; events, wall time and events
per second) and the stylized facts of the simulated returns. Bad arguments, an unknown profile or a
bad fault plan stop it with exit code 2 and a message that names the problem.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter

from simulator import replay

_SCALES = (("1 s", 1), ("1 min", 60))  # (label, seconds between the sampled mid prices)


def _positive(kind: type):  # noqa: ANN202 - an argparse type
    def parse(text: str):  # noqa: ANN202
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0 or (kind is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    from simulator.profiles import names  # here, with the rest of run's imports (see run)

    parser = argparse.ArgumentParser(prog="python -m simulator run", description="Run a simulated market.")
    parser.add_argument("--seed", type=int, required=True, help="run seed: same seed, same run")
    parser.add_argument("--duration", type=_positive(float), required=True, help="simulated seconds")
    parser.add_argument("--symbols", type=_positive(int), default=3, help="how many symbols (default 3)")
    parser.add_argument(
        "--profile", default="normal", help=f"market profile: {', '.join(names())} or a YAML file"
    )
    parser.add_argument("--faults", type=Path, help="fault plan (YAML)")
    parser.add_argument("--journal", type=Path, help="write the event journal (JSON Lines) here")
    parser.add_argument("--load", type=_positive(float), default=1.0, help="background activity factor")
    return parser


def run(argv: Sequence[str]) -> int:
    # The market is imported here, not at the top, so that ``replay`` starts without it (0.2 s).
    from tabulate import tabulate
    from tqdm import tqdm

    from simulator.faults import FaultPlan
    from simulator.profiles import load_profile
    from simulator.stylized import measure
    from simulator.world import Market, MarketConfig

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        profile = load_profile(args.profile)
        plan = FaultPlan.load(args.faults) if args.faults is not None else None
        market = Market(
            MarketConfig(
                seed=args.seed,
                symbols=args.symbols,
                profile=profile,
                load=args.load,
                faults=plan,
                journal=args.journal,
                sample_prices=1.0,
            )
        )
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    started = perf_counter()
    chunk = 60.0
    with tqdm(total=args.duration, unit="s", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        while market.env.now < args.duration:
            before = market.env.now
            market.run(min(args.duration, before + chunk))
            bar.update(market.env.now - before)
    wall = perf_counter() - started
    market.close()
    ex = market.exchange
    rows = [
        [
            s,
            market.instruments_by_symbol[s].name,
            ex.orders_by_symbol[s],
            ex.trades_by_symbol[s],
            ex.volume[s],
            f"{ex.last_price(s) / 10_000:.2f}",
            ex.phase(s).value,
        ]
        for s in market.symbols
    ]
    print(tabulate(rows, headers=["symbol", "name", "orders", "trades", "volume", "last", "phase"]))
    print()
    totals = [
        ["seed", args.seed],
        ["profile", profile.name],
        ["simulated seconds", f"{args.duration:g}"],
        ["events", market.events],
        ["orders", ex.orders_accepted],
        ["trades", ex.trades],
        ["faults injected", len(market.injector.injected)],
        ["wall time (s)", f"{wall:.2f}"],
        ["events per second (wall)", f"{market.events / wall:,.0f}" if wall > 0 else "-"],
    ]
    if args.journal is not None:
        totals.append(["journal", str(args.journal)])
    print(tabulate(totals, tablefmt="plain"))
    # Returns over 1 s carry the book's microstructure noise (a small negative lag-1 autocorrelation,
    # as real mid quotes do); over 1 min they should show none. A scale with too few returns is left out.
    scales = [
        (label, measure({s: p[::step] for s, p in market.prices.items()}, lags=5)) for label, step in _SCALES
    ]
    shown = [(label, facts.table()) for label, facts in scales if facts.returns > 30]
    if shown:
        print()
        print("stylized facts of mid returns")
        rows = [(name, *(table[i][1] for _, table in shown)) for i, (name, _) in enumerate(shown[0][1])]
        print(tabulate(rows, headers=["", *(f"over {label}" for label, _ in shown)], tablefmt="plain"))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m simulator {run,replay} ...  (see --help of each)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        try:
            return run(rest)
        except SystemExit as exc:
            return int(exc.code or 0)
    if command == "replay":
        return replay.main(rest)
    print(f"{usage}\nunknown command {command!r}", file=sys.stderr)
    return 2

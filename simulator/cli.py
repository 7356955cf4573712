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
from typing import TYPE_CHECKING

from simulator import replay

if TYPE_CHECKING:
    from simulator.faults import FaultPlan
    from simulator.world import Market

_SCALES = (("1 s", 1), ("1 min", 60))  # (label, seconds between the sampled mid prices)


def _bounded(kind: type, high: float, why: str):  # noqa: ANN202 - an argparse type
    """Parse a positive, finite number of ``kind`` no larger than ``high`` (``why`` says why not)."""

    def parse(text: str):  # noqa: ANN202
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}") from None
        if not value > 0 or (kind is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive: {text[:40]!r}")
        if value > high:
            raise argparse.ArgumentTypeError(f"at most {high:,g}, got {text[:40]!r}: {why}")
        return value

    return parse


def _seed(text: str) -> int:
    if not 0 < len(text) <= 20 or not text.lstrip("-").isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError(f"not an integer of at most 20 digits: {text[:40]!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    from simulator.faults import MAX_AT
    from simulator.profiles import names  # here, with the rest of run's imports (see run)
    from simulator.world import MAX_LOAD, MAX_SYMBOLS

    parser = argparse.ArgumentParser(prog="python -m simulator run", description="Run a simulated market.")
    parser.add_argument("--seed", type=_seed, required=True, help="run seed: same seed, same run")
    parser.add_argument(
        "--duration",
        type=_bounded(float, MAX_AT, "a week of simulated time is the longest run"),
        required=True,
        help=f"simulated seconds (at most {MAX_AT:,g}, a week)",
    )
    parser.add_argument(
        "--symbols",
        type=_bounded(
            int, MAX_SYMBOLS, "each symbol costs about 55 KB and 1 ms of wall time a simulated second"
        ),
        default=3,
        help=f"how many symbols (default 3, at most {MAX_SYMBOLS:,})",
    )
    parser.add_argument(
        "--profile", default="normal", help=f"market profile: {', '.join(names())} or a YAML file"
    )
    parser.add_argument("--faults", type=Path, help="fault plan (YAML)")
    parser.add_argument("--journal", type=Path, help="write the event journal (JSON Lines) here")
    parser.add_argument(
        "--load",
        type=_bounded(float, MAX_LOAD, "at 10,000 one symbol sends 30,000 orders a simulated second"),
        default=1.0,
        help=f"background activity factor (default 1, at most {MAX_LOAD:,g})",
    )
    return parser


def _never_fires(plan: FaultPlan, duration: float) -> str | None:
    """The first fault of ``plan`` that starts after the run ends, said as an error message."""
    for fault in plan.faults:
        if fault.at >= duration:
            return f"{fault.where}: at: {fault.at:g} s is not before the run ends (--duration {duration:g})"
    return None


def run(argv: Sequence[str]) -> int:
    # The market is imported here, not at the top, so that ``replay`` starts without it (0.2 s).
    from simulator.world import Market, MarketConfig
    from userfiles.writing import OutputError

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        market = Market(
            MarketConfig(
                seed=args.seed,
                symbols=args.symbols,
                profile=args.profile,
                load=args.load,
                faults=args.faults,
                journal=args.journal,
                sample_prices=1.0,
            )
        )
    except (ValueError, OutputError) as exc:  # InputError is a ValueError
        parser.error(str(exc))
    try:
        problem = _never_fires(market.plan, args.duration)
        if problem is not None:
            parser.error(problem)
        wall = _advance(market, args.duration)
        market.close()
    except OutputError as exc:
        market.discard()
        print(f"python -m simulator run: {exc}", file=sys.stderr)
        return 2
    except BaseException:  # an error, Ctrl-C or SIGTERM: remove the unfinished journal, keep any old one
        market.discard()
        raise
    _report(market, args, wall)
    return 0


def _advance(market: Market, duration: float) -> float:
    """Run ``market`` to ``duration`` simulated seconds with a progress bar on a terminal; the wall time."""
    from tqdm import tqdm

    started = perf_counter()
    chunk = 60.0
    with tqdm(total=duration, unit="s", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        while market.env.now < duration:
            before = market.env.now
            market.run(min(duration, before + chunk))
            bar.update(market.env.now - before)
    return perf_counter() - started


def _report(market: Market, args: argparse.Namespace, wall: float) -> None:
    from tabulate import tabulate

    from simulator.stylized import measure

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
        ["profile", market.profile.name],
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

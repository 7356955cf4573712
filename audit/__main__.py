"""``python -m audit``: plant every defect of the catalogue, one per process, and show which the
scenarios caught; exits non-zero when a defect survives or the baseline is not green.

    python -m audit                       # the whole catalogue (make audit)
    python -m audit --defect NAME ...     # only these defects (and the baseline of their criteria)
    python -m audit --list                # the catalogue: each defect and the criteria it must turn red
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
import time
from pathlib import Path

from tabulate import tabulate

from audit.defects import CATALOGUE, Defect, by_name
from audit.report import build, passed, previous_seconds, summary, table, write
from audit.runner import (
    ROOT,
    Outcome,
    baseline_problems,
    jobs_for,
    judge,
    red_baseline_parts,
    run_all,
    sources_fingerprint,
)

REPORT = ROOT / "reports" / "audit.json"
WORKDIR = ROOT / "reports" / "audit"  # each run's evidence, behave report and log
TIMEOUT = 240.0  # wall seconds one run may take before it counts as "timed out"


def configured_seed() -> int:
    """The run seed of behave.ini, so the audit judges the same scenarios ``make test`` runs."""
    config = configparser.ConfigParser()
    config.read(ROOT / "behave.ini")
    return int(config.get("behave.userdata", "seed", fallback="20261125"))


def show_progress(outcome: Outcome) -> None:
    job = outcome.job
    judgement = judge(job.criteria, outcome.records, outcome.timed_out, outcome.broken)
    verdict = judgement.verdict
    if job.is_baseline:
        verdict = "NOT GREEN" if baseline_problems(judgement) else "green"
    print(f"  {verdict:>9}  {job.name}  ({outcome.seconds:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--defect", action="append", metavar="NAME", help="run only this defect (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the catalogue and exit")
    parser.add_argument("--seed", type=int, default=None, help="the run seed (default: behave.ini's)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="wall seconds per run")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the JSON result (default: reports/audit.json for the whole "
        "catalogue, reports/audit/partial.json for a selection)",
    )
    args = parser.parse_args(argv)

    if args.list:
        print(
            tabulate(
                [(d.name, ", ".join(d.criteria), d.description) for d in CATALOGUE],
                headers=("defect", "must turn red", "the bug"),
                tablefmt="simple",
            )
        )
        return 0
    defects: list[Defect] = [by_name(n) for n in args.defect] if args.defect else list(CATALOGUE)
    out = args.out or (WORKDIR / "partial.json" if args.defect else REPORT)
    seed = configured_seed() if args.seed is None else args.seed
    jobs = jobs_for(defects, previous_seconds(REPORT))
    print(
        f"audit: {len(defects)} planted defects and a baseline, seed {seed}, {args.workers} workers",
        flush=True,
    )
    started, before = time.perf_counter(), sources_fingerprint()
    outcomes = run_all(jobs, WORKDIR, seed, args.workers, args.timeout, show_progress)
    # A baseline part red with no defect is run again alone, with the machine otherwise idle: timed
    # figures (wall-clock latency) can miss their bound while every worker competes for the cores.
    # Red again, it voids the audit; green alone, the report says it needed the second run.
    alone = red_baseline_parts(outcomes)
    if alone:
        outcomes.update(run_all(alone, WORKDIR, seed, 1, args.timeout, show_progress))
    changed = sources_fingerprint() != before
    result = build(
        defects, outcomes, seed, args.workers, time.perf_counter() - started, changed, [j.name for j in alone]
    )
    write(result, out)
    print(table(result))
    print(summary(result))
    print(f"written: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())

"""One audited behave run in this process: plant a defect (or none, for the baseline), then run only
the scenarios tagged with the given criteria.

``python -m audit.run_one --defect NAME --criteria A,B --evidence PATH --details PATH --seed N
[--filter EXPR] [--allure DIR] [FEATURE ...]``

The filter is the tag expression of the suite the gate runs (``make test``): scenarios it leaves
out (``@slow``, ``@pending`` components not built yet, ``@verdict`` steps that judge a whole run)
are left out here too, so the audit judges exactly the scenarios that guard every change.

The run's verdicts are read afterwards from the evidence file (``-D evidence=PATH``: one JSON line
per scenario with its criteria and status, written by environment.py), and why each red scenario
went red from ``--details`` (written by :class:`audit.failures.FailureFormatter`).

behave.ini's formatters (progress on stdout and Allure into reports/allure-results) are replaced
rather than added to: a ``-f`` on behave's command line is appended to the configured ones, so the
audit would otherwise fill the certification's Allure results with a deliberately broken system's.
``--allure DIR`` (the campaign's tasks) adds Allure's formatter writing into DIR instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from behave.__main__ import run_behave
from behave.configuration import Configuration
from behave.formatter.base import StreamOpener

from audit.defects import by_name, planted

BROKEN_STATUS = 3  # exit status of a run in which the planted defect's own code failed


def tag_expression(criteria: list[str], suite_filter: str = "") -> str:
    """The behave tag expression selecting every scenario of any of ``criteria`` that the suite's
    filter (a tag expression; empty: none) lets through."""
    if not criteria:
        raise ValueError("no criteria given: a selection of nothing checks nothing")
    chosen = " or ".join(f"@criterion:{criterion}" for criterion in criteria)
    return f"({chosen}) and ({suite_filter})" if suite_filter else chosen


def behave_config(
    criteria: list[str],
    evidence: Path,
    details: Path,
    seed: int,
    suite_filter: str = "",
    paths: tuple[str, ...] = (),
    allure: Path | None = None,
) -> Configuration:
    config = Configuration(
        [
            f"--tags={tag_expression(criteria, suite_filter)}",
            "-D",
            f"evidence={evidence}",
            "-D",
            f"seed={seed}",
            "-D",  # a production day of this run's own, never another run's (see harness.day)
            f"day_out={evidence.parent / (evidence.name.split('.')[0] + '-day')}",
            *paths,
        ]
    )
    config.format = ["audit.failures:FailureFormatter"]
    config.outputs = [StreamOpener(str(details))]
    if allure is not None:
        config.format.append("allure_behave.formatter:AllureFormatter")
        config.outputs.append(StreamOpener(str(allure)))
    # run_behave adds its default formatter when the formatters number as many as the configured ones.
    config.defaults.pop("format", None)
    return config


def run(
    defect: str | None,
    criteria: list[str],
    evidence: Path,
    details: Path,
    seed: int,
    suite_filter: str = "",
    paths: tuple[str, ...] = (),
    allure: Path | None = None,
) -> int:
    """Run the selection with ``defect`` planted (None: the system as it is); behave's exit status."""
    evidence.parent.mkdir(parents=True, exist_ok=True)
    config = behave_config(criteria, evidence, details, seed, suite_filter, paths, allure)
    if defect is None:
        return run_behave(config)
    with planted(by_name(defect)) as planter:
        print(f"planted {defect}: {', '.join(planter.targets)}", flush=True)
        status = run_behave(config)
        if planter.broken:
            print(f"the defect's own code failed {len(planter.broken)} times, first: {planter.broken[0]}")
            return BROKEN_STATUS
        return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.run_one", description=__doc__.split("\n\n")[0])
    parser.add_argument("--defect", help="the defect to plant; none runs the system as it is")
    parser.add_argument("--criteria", required=True, help="comma-separated criterion ids")
    parser.add_argument("--evidence", required=True, type=Path)
    parser.add_argument("--details", required=True, type=Path)
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--filter", default="", help="the suite's tag expression (empty: every scenario)")
    parser.add_argument("--allure", type=Path, help="also write Allure results into this folder")
    parser.add_argument("paths", nargs="*", help="feature files to run (default: behave.ini's paths)")
    args = parser.parse_args(argv)
    criteria = [c for c in args.criteria.split(",") if c]
    paths = tuple(args.paths)
    return run(args.defect, criteria, args.evidence, args.details, args.seed, args.filter, paths, args.allure)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # behave has closed its files by now; tearing the interpreter down would only free, one by one,
    # every object the run left behind (seconds after a long selection), so the process ends here.
    os._exit(status)

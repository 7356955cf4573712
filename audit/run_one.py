"""One audited behave run in this process: plant a defect (or none, for the baseline), then run only
the scenarios tagged with the given criteria.

``python -m audit.run_one --defect NAME --criteria A,B --evidence PATH --details PATH --seed N``

The run's verdicts are read afterwards from the evidence file (``-D evidence=PATH``: one JSON line
per scenario with its criteria and status, written by environment.py) and from behave's JSON report
(``--details``, for the message of each failure). behave.ini's formatters (progress on stdout and
Allure into reports/allure-results) are replaced rather than added to: a ``-f`` on behave's command
line is appended to the configured ones, so the audit would otherwise fill the certification's
Allure results with the results of a deliberately broken system.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from behave.__main__ import run_behave
from behave.configuration import Configuration
from behave.formatter.base import StreamOpener

from audit.defects import by_name, planted

BROKEN_STATUS = 3  # exit status of a run in which the planted defect's own code failed


def tag_expression(criteria: list[str]) -> str:
    """The behave tag expression selecting every scenario of any of ``criteria``."""
    if not criteria:
        raise ValueError("no criteria given: a selection of nothing checks nothing")
    return " or ".join(f"@criterion:{criterion}" for criterion in criteria)


def behave_config(criteria: list[str], evidence: Path, details: Path, seed: int) -> Configuration:
    config = Configuration(
        [f"--tags={tag_expression(criteria)}", "-D", f"evidence={evidence}", "-D", f"seed={seed}"]
    )
    config.format = ["json"]
    config.outputs = [StreamOpener(str(details))]
    # run_behave adds its default formatter when the formatters number as many as the configured ones.
    config.defaults.pop("format", None)
    return config


def run(defect: str | None, criteria: list[str], evidence: Path, details: Path, seed: int) -> int:
    """Run the selection with ``defect`` planted (None: the system as it is); behave's exit status."""
    evidence.parent.mkdir(parents=True, exist_ok=True)
    config = behave_config(criteria, evidence, details, seed)
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
    args = parser.parse_args(argv)
    criteria = [c for c in args.criteria.split(",") if c]
    return run(args.defect, criteria, args.evidence, args.details, args.seed)


if __name__ == "__main__":
    sys.exit(main())

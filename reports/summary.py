"""Summary of an acceptance run: scenarios by status, and each criterion with its measured figures.

Usage: ``python -m reports.summary EVIDENCE_JSONL [--behave-status N]``; the evidence file is what
the behave hooks in ``environment.py`` write, one record per scenario. Exits non-zero
when behave failed or any scenario did not pass, so CI can gate on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tabulate import tabulate


def load_evidence(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def criterion_rows(records: list[dict]) -> list[list[str]]:
    by_criterion: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        for criterion in record["criteria"]:
            by_criterion[criterion].append(record)
    rows = []
    for criterion in sorted(by_criterion):
        recs = by_criterion[criterion]
        status = "passed" if all(r["status"] == "passed" for r in recs) else "FAILED"
        figures = "; ".join(
            f"{f['name']} = {f['value']:.6g} {f['unit']} ({f['target']})" for r in recs for f in r["figures"]
        )
        rows.append([criterion, status, len(recs), figures[:160]])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.summary")
    parser.add_argument("evidence", type=Path)
    parser.add_argument("--behave-status", type=int, default=0)
    args = parser.parse_args(argv)
    records = load_evidence(args.evidence)
    if not records:
        print(f"no scenarios recorded in {args.evidence}: did behave run?", file=sys.stderr)
        return 2
    statuses = Counter(r["status"] for r in records)
    print(tabulate(sorted(statuses.items()), headers=["scenarios", "count"], tablefmt="github"))
    print()
    print(
        tabulate(
            criterion_rows(records),
            headers=["criterion", "status", "scenarios", "measured"],
            tablefmt="github",
        )
    )
    failed = [r for r in records if r["status"] not in ("passed", "skipped")]
    for r in failed:
        print(f"FAILED {r['location']}  {r['scenario']}  (seed {r['seed']})", file=sys.stderr)
    return 1 if failed or args.behave_status else 0


if __name__ == "__main__":
    sys.exit(main())

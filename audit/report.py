"""The audit's result: a table for the console and ``reports/audit.json`` for the certification
report, which quotes it as the suite's sensitivity (planted defects, how many were caught)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tabulate import tabulate

from audit.defects import Defect
from audit.runner import CAUGHT, ROOT, Outcome, baseline_problems, judge


def commit() -> tuple[str, bool]:
    """The checked-out commit and whether the working tree is clean ("unknown" outside git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return head, not status.strip()


def build(
    defects: list[Defect],
    outcomes: dict[str, Outcome],
    seed: int,
    workers: int,
    wall_seconds: float,
    sources_changed: bool = False,
    rerun_alone: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    parts = [o for o in outcomes.values() if o.job.is_baseline]
    union = sorted({c for o in parts for c in o.job.criteria})
    records = [r for o in parts for r in o.records]
    base_judgement = judge(union, records, any(o.timed_out for o in parts))
    void = baseline_problems(base_judgement)
    if sources_changed:
        void.append("the sources changed while the audit ran: its runs judged different systems")
    base_failures = {c: m for o in parts for c, m in o.failures.items()}
    rows = []
    for d in defects:
        outcome = outcomes[d.name]
        judgement = judge(d.criteria, outcome.records, outcome.timed_out, outcome.broken)
        rows.append(
            {
                "name": d.name,
                "description": d.description,
                "criteria": list(d.criteria),
                "red": list(judgement.red),
                "verdict": judgement.verdict,
                "seconds": round(outcome.seconds, 1),
                "scenarios": len(outcome.records),
                "not_run": list(judgement.not_run),
                "why_red": {c: outcome.failures.get(c, "") for c in judgement.red},
                "log": outcome.log,
            }
        )
    head, clean = commit()
    return {
        "planted": len(rows),
        "caught": sum(r["verdict"] == CAUGHT for r in rows),
        "seed": seed,
        "commit": head,
        "tree_clean": clean,
        "workers": workers,
        "wall_seconds": round(wall_seconds, 1),
        "void": bool(void),
        "baseline": {
            "rerun_alone": list(rerun_alone),
            "criteria": union,
            "red": list(base_judgement.red),
            "not_run": list(base_judgement.not_run),
            "problems": void,
            "why_red": {c: base_failures.get(c, "") for c in base_judgement.red},
            "scenarios": len(records),
            "seconds": round(sum(o.seconds for o in parts), 1),
            "runs": [
                {"name": o.job.name, "paths": list(o.job.paths), "seconds": round(o.seconds, 1), "log": o.log}
                for o in sorted(parts, key=lambda o: o.job.name)
            ],
        },
        "defects": rows,
    }


def passed(result: dict[str, Any]) -> bool:
    return not result["void"] and result["caught"] == result["planted"]


def table(result: dict[str, Any]) -> str:
    rows = [
        (
            r["name"],
            "\n".join(r["criteria"]),
            "\n".join(r["red"]) or "-",
            r["verdict"],
            f"{r['seconds']:.1f}",
        )
        for r in result["defects"]
    ]
    headers = ("defect", "criteria expected red", "went red", "verdict", "s")
    return tabulate(rows, headers=headers, tablefmt="simple_grid")


def summary(result: dict[str, Any]) -> str:
    base = result["baseline"]
    lines = [
        f"baseline (no defect, {len(base['criteria'])} criteria, {base['scenarios']} scenarios in "
        f"{len(base['runs'])} runs, {base['seconds']:.1f} s): "
        + ("; ".join(base["problems"]) or "all green"),
    ]
    if base.get("rerun_alone"):
        lines.append(
            "  red under parallel load, so run again alone: "
            + ", ".join(base["rerun_alone"])
            + (" (red again)" if base["problems"] else " (green alone)")
        )
    for r in result["defects"]:
        if r["verdict"] != CAUGHT:
            missed = [c for c in r["criteria"] if c not in r["red"]]
            lines.append(
                f"{r['verdict']}: {r['name']} ({r['description']}) stayed green on {', '.join(missed)}"
            )
    verdict = (
        "VOID (" + "; ".join(base["problems"]) + ")"
        if result["void"]
        else f"{result['caught']} of {result['planted']} caught"
    )
    lines.append(
        f"audit: {verdict}; seed {result['seed']}, {result['workers']} workers, "
        f"{result['wall_seconds']:.1f} s"
    )
    return "\n".join(lines)


def write(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


def previous_seconds(path: Path) -> dict[str, float]:
    """Each run's wall time in the last audit written at ``path`` (to start the slowest first)."""
    try:
        last = json.loads(path.read_text())
        runs = [*last["defects"], *last["baseline"]["runs"]]
        return {r["name"]: float(r["seconds"]) for r in runs}
    except (OSError, ValueError, KeyError, TypeError):
        return {}

"""Judging a finished run: the driver behind the certification scenarios (features/phase4/certification).

A run cannot judge itself while it is still being recorded, so these scenarios read the evidence
file of a finished suite run (``-D judge=reports/evidence.jsonl``, as ``make certify``'s second stage
passes it) and drive the certification code over it: the same ``reports`` functions, and the real
``python -m reports certify`` command in a subprocess, so that what they check is what a reviewer
reads. Every check here compares the certification's output with the raw evidence, not with itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reports.attestations import Verdict, judge
from reports.certification import Certification, certify
from reports.register import Register, load_register
from reports.render import SECURITY_CRITERIA, human
from reports.results import Planned, load_evidence, outcome, planned_scenarios

ROOT = Path(__file__).resolve().parent.parent
VERDICT_TAG = "verdict"


@dataclass(frozen=True)
class JudgedRun:
    evidence: Path
    records: list[dict]
    planned: list[Planned]
    register: Register
    attestations: dict[str, Verdict]


@dataclass(frozen=True)
class WrittenReport:
    exit_code: int
    data: dict  # certification.json
    markdown: str  # certification.md


def load_run(evidence: Path, features: Path = ROOT / "features") -> JudgedRun:
    records = load_evidence(evidence)
    if not records:
        raise ValueError(f"{evidence} holds no result: the suite has not run")
    register = load_register()
    attestation_ids = [c.id for c in register.criteria if c.kind == "attestation"]
    return JudgedRun(
        evidence,
        records,
        planned_scenarios(features, ROOT),
        register,
        judge(attestation_ids, ROOT / "attestations"),
    )


def suite_scenarios(run: JudgedRun) -> list[Planned]:
    """The scenarios the suite should have run: all but these judgements of it."""
    return [p for p in run.planned if VERDICT_TAG not in p.tags]


def without_result(run: JudgedRun) -> list[Planned]:
    recorded = {r["location"] for r in run.records}
    return [p for p in suite_scenarios(run) if p.location not in recorded]


def certification(run: JudgedRun) -> Certification:
    return certify(run.register, run.planned, run.records, run.attestations)


def unmet_performance(cert: Certification) -> list[str]:
    """Each scored performance criterion that did not pass, or has a figure that was not measured."""
    problems = []
    for r in cert.results:
        if not (r.criterion.performance and r.criterion.scored):
            continue
        unmeasured = [f["name"] for f in r.measured if f.get("value") is None]
        if r.status != "passed":
            problems.append(f"{r.criterion.id} {r.status}: {r.reason}")
        elif not r.measured:
            problems.append(f"{r.criterion.id} passed without a measured figure")
        elif unmeasured:
            problems.append(f"{r.criterion.id}: not measured: {', '.join(unmeasured)}")
    return problems


def write_report(run: JudgedRun, out: Path) -> WrittenReport:
    """Run the certification command itself on the judged evidence, into ``out``."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reports",
            "certify",
            "--evidence",
            str(run.evidence),
            "--out",
            str(out),
            "--quiet",
            "--features",
            str(ROOT / "features"),
            "--attestations",
            str(ROOT / "attestations"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"python -m reports certify failed ({done.returncode}): {done.stderr.strip()}")
    data = json.loads((out / "certification.json").read_text(encoding="utf-8"))
    return WrittenReport(done.returncode, data, (out / "certification.md").read_text(encoding="utf-8"))


def report_mismatches(run: JudgedRun, report: WrittenReport) -> list[str]:
    """Where the written report disagrees with the evidence: ids, scenario statuses, figures."""
    problems = []
    listed = {c["id"]: c for c in report.data["criteria"]}
    problems += [f"{cid} missing from certification.json" for cid in run.register.ids if cid not in listed]
    problems += [
        f"{cid} has no row in certification.md"
        for cid in run.register.ids
        if f"| {cid} |" not in report.markdown
    ]
    by_location = {r["location"]: r for r in run.records}
    for cid, entry in listed.items():
        for scenario in entry["scenarios"]:
            record = by_location.get(scenario["location"])
            expected = outcome(record["status"]) if record else "not run"
            if scenario["status"] != expected:
                problems.append(
                    f"{cid}: {scenario['location']} shown {scenario['status']}, evidence says {expected}"
                )
        recorded = [
            (f["name"], f["value"], f.get("samples"))
            for r in run.records
            if cid in r["criteria"]
            for f in r["figures"]
        ]
        shown = [(f["name"], f["value"], f.get("samples")) for f in entry["measured"]]
        if sorted(recorded, key=repr) != sorted(shown, key=repr):
            problems.append(f"{cid}: figures shown {shown} differ from those recorded {recorded}")
    return problems


def performance_rows_missing(run: JudgedRun, report: WrittenReport) -> list[str]:
    """Figures of performance criteria that the performance report does not show with value and method."""
    section = report.markdown.split("(DEL-PERF-REPORT)", 1)[-1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    missing = []
    for criterion in run.register.criteria:
        if not criterion.performance:
            continue
        for record in run.records:
            if criterion.id not in record["criteria"]:
                continue
            for f in record["figures"]:
                value = human(f["value"], f["unit"])
                method = f["method"].replace("|", "\\|")
                if not any(f"| {criterion.id} |" in row and value in row and method in row for row in rows):
                    missing.append(f"{criterion.id}: {f['name']} = {value} (method: {f['method'][:60]}...)")
    return missing


def security_rows_missing(run: JudgedRun, report: WrittenReport) -> list[str]:
    """Security checks (scenarios of the security criteria) that the security compliance report does
    not list with the result the run recorded; also a report that lists no check at all."""
    section = report.markdown.split("(DEL-SECURITY-REPORT)", 1)[-1].split("\n## ", 1)[0]
    rows = [
        line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| criterion")
    ]
    if "(DEL-SECURITY-REPORT)" not in report.markdown or not rows:
        return ["the report has no security compliance report, or it lists no check"]
    listed = {c["id"]: c for c in report.data["criteria"]}
    missing = []
    for cid in SECURITY_CRITERIA:
        for sc in listed[cid]["scenarios"]:
            if not any(
                f"| {cid} |" in row and sc["name"] in row and f"| {sc['status']} |" in row for row in rows
            ):
                missing.append(f"{cid}: {sc['name']} ({sc['status']})")
    return missing


def _blocking(report: WrittenReport) -> list[dict]:
    return [c for c in report.data["criteria"] if c["status"] in ("failed", "not run", "not attested")]


def approval_rule_broken(report: WrittenReport) -> str | None:
    """Why the approval does not follow the rule (GOLD and nothing blocking), or None."""
    data, blocking = report.data, _blocking(report)
    if data["approved"] != (data["grade"] == "GOLD" and not blocking):
        return (
            f"approved is {data['approved']} with grade {data['grade']} and {len(blocking)} blocking criteria"
        )
    return None


def exit_code_wrong(report: WrittenReport) -> str | None:
    if (report.exit_code == 0) != report.data["approved"]:
        return f"exit code {report.exit_code} while approved is {report.data['approved']}"
    return None


def blockers_not_named(report: WrittenReport) -> list[str]:
    approval = report.markdown.split("(DEL-GOLIVE-APPROVAL)", 1)[-1]
    return [f"{c['id']} ({c['status']})" for c in _blocking(report) if c["id"] not in approval]

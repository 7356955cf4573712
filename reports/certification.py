"""The certification of one run: each criterion's status, the readiness score, the grade and approval.

Status of a criterion:
- attestation criteria (P4-TEAM-READINESS) are "attested" or "not attested" by a signed file
  (``reports.attestations``), whatever any scenario did;
- any other criterion is "failed" if one of its scenarios failed, else "not run" if it has no
  scenario or one of its scenarios has no result in this run (left out, skipped, undefined steps),
  else "passed".

Readiness score = 100 x (sum of the weights of the scored criteria that passed or are attested)
/ (sum of the weights of all scored criteria). Weights are in ``plan.yaml`` (3, 2 or 1); criteria
that judge the run itself (``verdict: true``: OBJ-GOLD, BASE-READINESS, P4-CERT-SUITE, ...) are not
terms of the score they are computed from. A failed, not run or not attested criterion earns 0.

Grade = the band the score falls in (``BANDS``), except that a failed criterion caps it at SILVER:
a system with a known failure is not of the GOLD standard, whatever its score.

Approval needs all three: grade GOLD, no automatic criterion failed or not run, every attestation
attested.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reports.attestations import Verdict
from reports.register import Criterion, Register
from reports.results import Planned, outcome

GOLD = 95.0
P5_BASELINE = 85.8
# (lowest score, grade, what it means); the first band whose floor the score reaches is its grade.
BANDS = (
    (
        GOLD,
        "GOLD",
        "the plan's GOLD STANDARD: ready for go-live once nothing is failed, not run or not attested",
    ),
    (P5_BASELINE, "SILVER", "at or above the WS4-P5 readiness of 85.8%, below GOLD: not ready for go-live"),
    (70.0, "BRONZE", "integration incomplete: below the WS4-P5 baseline of 85.8%"),
    (0.0, "NOT CERTIFIED", "less than 70% of the plan's weighted criteria proven"),
)
FORMULA = (
    "score = 100 x (sum of weights of scored criteria passed or attested) / (sum of weights of all "
    "scored criteria); weights 3, 2, 1 from reports/plan.yaml; failed, not run and not attested earn 0; "
    "verdict criteria (computed from the score) are not scored; a failed criterion caps the grade at SILVER"
)
STATUSES = ("passed", "failed", "not run", "attested", "not attested")


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    name: str
    location: str
    status: str  # passed, failed or not run
    behave_status: str  # what behave said, or "no result" when the run holds no record of it


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    status: str
    reason: str
    scenarios: tuple[ScenarioResult, ...]
    measured: tuple[dict, ...]  # the figures its scenarios recorded, each with its scenario

    @property
    def credit(self) -> int:
        return 1 if self.status in ("passed", "attested") else 0

    @property
    def blocks(self) -> bool:
        return self.status in ("failed", "not run", "not attested")


@dataclass(frozen=True)
class Certification:
    results: tuple[CriterionResult, ...]
    score: float
    grade: str
    approved: bool
    blockers: tuple[str, ...]
    seed: int | None = None
    commit: str | None = None
    started: str | None = None
    audit: dict | None = None
    campaign: dict | None = None  # reports/campaign.json, quoted: confidence over many seeds
    scenario_counts: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counted = Counter(r.status for r in self.results)
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def meaning(self) -> str:
        return next(meaning for _, grade, meaning in BANDS if grade == self.grade)

    def as_json(self) -> dict:
        return {
            "score": self.score,
            "grade": self.grade,
            "approved": self.approved,
            "grade_meaning": self.meaning,
            "formula": FORMULA,
            "bands": [{"from": floor, "grade": grade, "meaning": meaning} for floor, grade, meaning in BANDS],
            "seed": self.seed,
            "commit": self.commit,
            "started": self.started,
            "counts": self.counts(),
            "scenarios": self.scenario_counts,
            "blockers": list(self.blockers),
            "audit": self.audit,
            "campaign": self.campaign,
            "criteria": [
                {
                    "id": r.criterion.id,
                    "section": r.criterion.section,
                    "phase": r.criterion.phase,
                    "area": r.criterion.area,
                    "target": r.criterion.target,
                    "weight": r.criterion.weight,
                    "scored": r.criterion.scored,
                    "kind": r.criterion.kind,
                    "status": r.status,
                    "reason": r.reason,
                    "measured": list(r.measured),
                    "scenarios": [asdict(s) for s in r.scenarios],
                }
                for r in self.results
            ],
        }


def grade_of(score: float, failures: int = 0) -> str:
    grade = next(grade for floor, grade, _ in BANDS if score >= floor)
    return "SILVER" if failures and grade == "GOLD" else grade


def _scenarios(cid: str, planned: list[Planned], by_location: dict[str, dict]) -> list[ScenarioResult]:
    found = []
    seen = set()
    for p in planned:
        if cid in p.criteria:
            record = by_location.get(p.location)
            status = record["status"] if record else "no result"
            found.append(ScenarioResult(p.name, p.location, outcome(status), status))
            seen.add(p.location)
    # Records of scenarios no longer in the feature files still count: they are what this run did.
    for location, record in by_location.items():
        if cid in record["criteria"] and location not in seen:
            found.append(
                ScenarioResult(record["scenario"], location, outcome(record["status"]), record["status"])
            )
    return found


def _measured(cid: str, records: list[dict]) -> list[dict]:
    return [
        {"scenario": r["scenario"], **figure}
        for r in records
        if cid in r["criteria"]
        for figure in r.get("figures", [])
    ]


def judge_criterion(
    criterion: Criterion, planned: list[Planned], by_location: dict[str, dict], attestation: Verdict | None
) -> CriterionResult:
    scenarios = tuple(_scenarios(criterion.id, planned, by_location))
    measured = tuple(_measured(criterion.id, list(by_location.values())))
    if criterion.kind == "attestation":
        assert attestation is not None, f"{criterion.id} is an attestation criterion but was not judged"
        status = "attested" if attestation.attested else "not attested"
        return CriterionResult(criterion, status, attestation.reason, scenarios, measured)
    if not scenarios:
        return CriterionResult(criterion, "not run", "no scenario carries it", scenarios, measured)
    failed = [s for s in scenarios if s.status == "failed"]
    missing = [s for s in scenarios if s.status == "not run"]
    if failed:
        reason = "; ".join(f"{s.name} ({s.location}): {s.behave_status}" for s in failed)
        return CriterionResult(criterion, "failed", reason, scenarios, measured)
    if missing:
        reason = "; ".join(f"{s.name} ({s.location}): {s.behave_status}" for s in missing)
        return CriterionResult(criterion, "not run", f"did not run: {reason}", scenarios, measured)
    return CriterionResult(
        criterion, "passed", f"{len(scenarios)} of {len(scenarios)} scenarios passed", scenarios, measured
    )


def score_of(results: list[CriterionResult]) -> float:
    scored = [r for r in results if r.criterion.scored]
    total = sum(r.criterion.weight for r in scored)
    earned = sum(r.criterion.weight * r.credit for r in scored)
    return round(100.0 * earned / total, 1) if total else 0.0


def certify(
    register: Register,
    planned: list[Planned],
    records: list[dict],
    attestations: dict[str, Verdict],
    *,
    audit: dict | None = None,
    campaign: dict | None = None,
    commit: str | None = None,
    started: str | None = None,
) -> Certification:
    by_location = {r["location"]: r for r in records}  # a later record of a scenario replaces an earlier
    results = [judge_criterion(c, planned, by_location, attestations.get(c.id)) for c in register.criteria]
    score = score_of(results)
    failed = [r for r in results if r.status == "failed"]
    grade = grade_of(score, len(failed))
    blockers = []
    if score < GOLD:
        blockers.append(f"readiness score {score:.1f}% is below GOLD ({GOLD:g}%): grade {grade}")
    elif grade != "GOLD":
        blockers.append(f"grade {grade}: {len(failed)} criteria failed, which caps the grade below GOLD")
    blockers += [f"{r.criterion.id} {r.status}: {r.reason}" for r in results if r.blocks]
    seeds = {r["run_seed"] for r in records if "run_seed" in r}
    starts = sorted(r["run_started"] for r in records if r.get("run_started"))
    return Certification(
        results=tuple(results),
        score=score,
        grade=grade,
        approved=not blockers,
        blockers=tuple(blockers),
        seed=seeds.pop() if len(seeds) == 1 else None,
        commit=commit,
        started=started or (starts[0] if starts else None),
        audit=audit,
        campaign=campaign,
        scenario_counts=dict(Counter(outcome(r["status"]) for r in by_location.values())),
    )


def current_commit(root: Path) -> str | None:
    """HEAD's hash, marked when the work tree differs from it; None outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head} (with uncommitted changes)" if dirty else head


def load_campaign(path: Path) -> dict | None:
    """What a certification campaign (``make campaign``) found over many seeds, when one has run:
    quoted beside this run's result, never counted in its score."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not {"seeds", "certified_with_confidence", "criteria"} <= set(data):
        raise ValueError(f"{path}: expected 'seeds', 'certified_with_confidence' and 'criteria'")
    return data


def load_audit(path: Path) -> dict | None:
    """The suite's sensitivity from ``make audit``, when it has run: planted defects caught."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not {"planted", "caught"} <= set(data):
        raise ValueError(f"{path}: expected 'planted' and 'caught' (and 'defects')")
    return data

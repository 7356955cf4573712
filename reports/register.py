"""The register of the plan's criteria: ids, sections, targets and evidence notes, with their place in
the plan (phase, area), their weight in the readiness score and how each is proven.

``criteria.yaml`` is a byte-identical copy of the shared plan's register (a test keeps it so);
``plan.yaml`` adds what the certification needs and the plan does not say. Both are checked against
each other on load: an id missing from one of them, or listed twice, is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CRITERIA = HERE / "criteria.yaml"
PLAN_MAP = HERE / "plan.yaml"
SHARED_CRITERIA = HERE.parent.parent / "shared" / "plan" / "criteria.yaml"  # beside a clone
KINDS = ("automatic", "attestation")
SEVERITY = {3: "critical", 2: "normal", 1: "minor"}  # Allure severity by weight


class RegisterError(ValueError):
    """The register or its plan map is inconsistent; the message names the file and the id."""


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    section: str  # the plan's section the criterion comes from (criteria.yaml's ``source``)
    target: str
    evidence: str  # what honest evidence is, in the register's words
    phase: str
    area: str
    anchor: str  # the phase heading's anchor in the plan
    weight: int
    kind: str = "automatic"
    verdict: bool = False
    performance: bool = False

    @property
    def severity(self) -> str:
        return SEVERITY[self.weight]

    @property
    def scored(self) -> bool:
        """Whether the criterion is a term of the readiness score (verdicts are computed from it)."""
        return not self.verdict


@dataclass(frozen=True, slots=True)
class Register:
    criteria: tuple[Criterion, ...]
    phases: tuple[str, ...]
    plan: str  # where the plan is, relative to the project root

    def __getitem__(self, cid: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == cid:
                return criterion
        raise KeyError(cid)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    def in_phase(self, phase: str) -> list[Criterion]:
        return [c for c in self.criteria if c.phase == phase]


def _entries(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("criteria"), list):
        raise RegisterError(f"{path}: expected a mapping with a 'criteria' list")
    entries: dict[str, dict] = {}
    for n, entry in enumerate(data["criteria"], 1):
        missing = [k for k in ("id", "source", "target", "evidence") if not entry.get(k)]
        if missing:
            raise RegisterError(f"{path}: criterion #{n} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        if entry["id"] in entries:
            raise RegisterError(f"{path}: criterion {entry['id']} is listed twice")
        entries[entry["id"]] = entry
    return entries


def _placements(path: Path) -> tuple[list[dict], str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    placed: list[dict] = []
    for phase in data["phases"]:
        for area in phase["areas"]:
            for item in area["criteria"]:
                unknown = set(item) - {"id", "weight", "kind", "verdict", "performance"}
                if unknown:
                    raise RegisterError(f"{path}: {item.get('id')}: unknown keys {sorted(unknown)}")
                if item.get("weight") not in SEVERITY:
                    raise RegisterError(f"{path}: {item['id']}: weight must be 1, 2 or 3")
                if item.get("kind", "automatic") not in KINDS:
                    raise RegisterError(f"{path}: {item['id']}: kind must be one of {KINDS}")
                placed.append(
                    {**item, "phase": phase["name"], "area": area["name"], "anchor": phase["section"]}
                )
    return placed, data["plan"]


def load_register(criteria: Path = CRITERIA, plan_map: Path = PLAN_MAP) -> Register:
    entries = _entries(criteria)
    placed, plan = _placements(plan_map)
    seen: set[str] = set()
    for item in placed:
        if item["id"] in seen:
            raise RegisterError(f"{plan_map}: {item['id']} is placed twice")
        seen.add(item["id"])
    if unplaced := sorted(set(entries) - seen):
        raise RegisterError(f"{plan_map}: no phase, area or weight for {', '.join(unplaced)}")
    if unknown := sorted(seen - set(entries)):
        raise RegisterError(f"{plan_map}: {', '.join(unknown)} not in {criteria.name}")
    order = {cid: n for n, cid in enumerate(entries)}  # the register's own order within a phase
    phases = tuple(dict.fromkeys(item["phase"] for item in placed))
    criteria_list = sorted(
        (
            Criterion(
                id=item["id"],
                section=entries[item["id"]]["source"],
                target=str(entries[item["id"]]["target"]),
                evidence=entries[item["id"]]["evidence"],
                phase=item["phase"],
                area=item["area"],
                anchor=item["anchor"],
                weight=item["weight"],
                kind=item.get("kind", "automatic"),
                verdict=bool(item.get("verdict", False)),
                performance=bool(item.get("performance", False)),
            )
            for item in placed
        ),
        key=lambda c: (phases.index(c.phase), order[c.id]),
    )
    return Register(tuple(criteria_list), phases, plan)

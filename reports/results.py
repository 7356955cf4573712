"""What a run recorded (the evidence files) and what it should have run (the scenarios in features/).

The evidence is one JSON line per scenario, written by the behave hooks (``environment.py``). The
planned scenarios are read from the feature files with behave's own parser, Scenario Outline rows
expanded, so a scenario that a run left out (by tags, by path, or because the run stopped) is known
to be missing rather than silently absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from behave.parser import parse_file

CRITERION_TAG = "criterion:"
RAN = {
    "passed": "passed",
    "failed": "failed",
    "error": "failed",
    "hook_error": "failed",
    "cleanup_error": "failed",
}
# Any other behave status (skipped, untested, undefined, pending, ...) means the scenario did not run.


class EvidenceError(ValueError):
    """An evidence file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Planned:
    location: str  # path:line, as behave reports it
    feature: str
    name: str
    criteria: tuple[str, ...]
    tags: frozenset[str]


def criteria_of(tags) -> tuple[str, ...]:
    return tuple(sorted(t[len(CRITERION_TAG) :] for t in tags if t.startswith(CRITERION_TAG)))


def outcome(status: str) -> str:
    """passed, failed or "not run", from a behave scenario status name."""
    return RAN.get(status, "not run")


def load_evidence(*paths: Path) -> list[dict]:
    """Every record of the given evidence files, in order. A missing file holds no records."""
    records: list[dict] = []
    for path in paths:
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvidenceError(f"{path}:{n}: not a JSON line ({exc.msg})") from exc
            missing = [k for k in ("scenario", "location", "criteria", "status") if k not in record]
            if missing:
                raise EvidenceError(f"{path}:{n}: record lacks {', '.join(missing)}")
            records.append(record)
    return records


def planned_scenarios(features: Path, root: Path | None = None) -> list[Planned]:
    """Every scenario of every feature file under ``features``, located relative to ``root``."""
    root = (root or features.parent).resolve()
    planned = []
    for path in sorted(features.resolve().rglob("*.feature")):
        feature = parse_file(str(path))
        if feature is None:
            continue
        where = path.relative_to(root) if path.is_relative_to(root) else path
        for scenario in feature.walk_scenarios():
            tags = frozenset(str(t) for t in scenario.effective_tags)
            location = f"{where}:{scenario.line}"
            planned.append(Planned(location, feature.name, scenario.name, criteria_of(tags), tags))
    return planned

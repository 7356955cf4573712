"""The go-live checklist (docs/go-live-checklist.yaml): its items, the criteria each names, and
whether this run's certification proves them.

An item is satisfied when every criterion it names passed in the certification, or is attested by
a signed statement. The checklist may not name a verdict criterion (one computed from the
certification itself, such as the readiness score): that would judge the run by its own judgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reports.certification import Certification
from reports.register import Register
from userfiles.reading import read_yaml

CHECKLIST = Path(__file__).resolve().parent.parent / "docs" / "go-live-checklist.yaml"
PROVEN = ("passed", "attested")


@dataclass(frozen=True)
class Item:
    text: str
    criteria: tuple[str, ...]


def load(path: Path = CHECKLIST) -> list[Item]:
    """The checklist's items; a malformed file is refused naming the file, the item and the key."""
    data = read_yaml(path)
    entries = data.get("items") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: items: must be a non-empty list")
    items = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or set(entry) != {"item", "criteria"}:
            raise ValueError(f"{path}: item {n}: must have exactly the keys item and criteria")
        text, criteria = entry["item"], entry["criteria"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{path}: item {n}: item: must be text")
        if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
            raise ValueError(f"{path}: item {n}: criteria: must be a list of criterion ids")
        items.append(Item(text, tuple(criteria)))
    return items


def naming_problems(items: list[Item], register: Register) -> list[str]:
    """Items that name no criterion, an id not in the register, or a verdict criterion."""
    known = {c.id: c for c in register.criteria}
    problems = []
    for item in items:
        if not item.criteria:
            problems.append(f"{item.text!r} names no criterion")
        for cid in item.criteria:
            if cid not in known:
                problems.append(f"{item.text!r} names {cid}, which is not in the register")
            elif known[cid].verdict:
                problems.append(f"{item.text!r} names {cid}, a verdict on the run itself")
    return problems


def unproven(items: list[Item], certification: Certification) -> list[str]:
    """Each criterion an item names that neither passed nor is attested, with its status and why."""
    status = {r.criterion.id: r for r in certification.results}
    out = []
    for item in items:
        for cid in item.criteria:
            result = status.get(cid)
            if result is None:
                out.append(f"{item.text!r}: {cid} has no result")
            elif result.status not in PROVEN:
                why = result.reason if len(result.reason) <= 120 else result.reason[:117] + "..."
                out.append(f"{item.text!r}: {cid} {result.status} ({why})")
    return out

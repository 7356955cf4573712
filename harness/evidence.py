"""Measured figures a scenario records as evidence for its criteria.

A figure is recorded before it is judged, so the certification report can quote the measured
value of a failing criterion as well as a passing one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str
    passed: bool
    method: str


@dataclass
class Evidence:
    figures: list[Figure] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)

    def figure(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        method: str,
        at_least: float | None = None,
        at_most: float | None = None,
    ) -> Figure:
        """Record a measured value against its bound(s); the caller asserts ``figure.passed``."""
        bounds = []
        if at_least is not None:
            bounds.append(f">= {at_least:g}")
        if at_most is not None:
            bounds.append(f"<= {at_most:g}")
        passed = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
        fig = Figure(name, float(value), unit, " and ".join(bounds) or "recorded", passed, method)
        self.figures.append(fig)
        return fig

    def require(self, fig: Figure) -> None:
        assert fig.passed, f"{fig.name} = {fig.value:g} {fig.unit}, target {fig.target} ({fig.method})"

    def table(self, name: str, rows: list[dict]) -> None:
        self.tables[name] = rows

    def as_dict(self) -> dict:
        return {"figures": [asdict(f) for f in self.figures], "tables": self.tables}


def append_record(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")

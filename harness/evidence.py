"""Measured figures a scenario records as evidence for its criteria.

A figure is recorded before it is judged, so the certification report can quote the measured
value of a failing criterion as well as a passing one. Every figure carries the number of samples
it was computed from and the least number its scenario needs: with fewer, the figure is "not
measured" (its value is None) and it fails, whatever the value would have been.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float | None  # None when too few samples were taken: not measured
    unit: str
    target: str
    passed: bool
    method: str
    samples: int | None = None  # how many observations the value was computed from
    least: int | None = None  # the fewest the scenario accepts

    @property
    def measured(self) -> bool:
        return self.value is not None

    def verdict(self) -> str:
        if self.value is None:
            return (
                f"{self.name} not measured: {self.samples} samples, at least {self.least} needed "
                f"({self.method})"
            )
        count = "" if self.samples is None else f" over {self.samples} samples"
        return f"{self.name} = {self.value:g} {self.unit}{count}, target {self.target} ({self.method})"


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
        samples: int | None = None,
        least: int | None = None,
        at_least: float | None = None,
        at_most: float | None = None,
    ) -> Figure:
        """Record a measured value against its bound(s); the caller asserts ``figure.passed``.

        With ``least`` given, fewer than ``least`` samples make the figure "not measured": it is
        recorded without a value and fails.
        """
        bounds = []
        if at_least is not None:
            bounds.append(f">= {at_least:g}")
        if at_most is not None:
            bounds.append(f"<= {at_most:g}")
        target = " and ".join(bounds) or "recorded"
        if least is not None and (samples is None or samples < least):
            fig = Figure(name, None, unit, target, False, method, samples, least)
        else:
            passed = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
            fig = Figure(name, float(value), unit, target, passed, method, samples, least)
        self.figures.append(fig)
        return fig

    def require(self, fig: Figure) -> None:
        assert fig.passed, fig.verdict()

    def table(self, name: str, rows: list[dict]) -> None:
        self.tables[name] = rows

    def as_dict(self) -> dict:
        return {"figures": [asdict(f) for f in self.figures], "tables": self.tables}


def append_record(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")

"""Targets as stakeholders write them ("85%", "15.5 ms", "33481 updates/s"), as numbers in a unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCALE = {"%": ("%", 1.0), "ms": ("ms", 1.0), "s": ("ms", 1000.0), "us": ("ms", 0.001), "µs": ("ms", 0.001)}
_TARGET = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Target:
    value: float
    unit: str


def parse_target(text: str) -> Target:
    """ "15.5 ms" -> Target(15.5, "ms"); "0.5 s" -> Target(500, "ms"); "85%" -> Target(85, "%")."""
    match = _TARGET.match(text)
    if not match:
        raise ValueError(f"not a target: {text!r} (expected a number and a unit, e.g. '15.5 ms')")
    value = float(match.group(1).replace(",", ""))
    unit = match.group(2)
    if unit in _SCALE:
        unit, factor = _SCALE[unit]
        value *= factor
    return Target(value, unit)

"""The Real-time Analytics Engine's grade thresholds: each KPI at and beyond every bound, the worst
KPI deciding, NaN never graded well, and errors always counted."""

from __future__ import annotations

import math

import pytest

from system.analytics import GRADES, THRESHOLDS, grade_of, overall


@pytest.mark.parametrize(
    ("kpi", "value", "grade"),
    [
        ("latency_p99_ms", 15.5, "A+"),
        ("latency_p99_ms", 15.6, "A"),
        ("latency_p99_ms", 25.0, "A"),
        ("latency_p99_ms", 50.0, "B"),
        ("latency_p99_ms", 100.0, "C"),
        ("latency_p99_ms", 250.0, "D"),
        ("latency_p99_ms", 250.1, "F"),
        ("error_rate_pct", 0.0, "A+"),
        ("error_rate_pct", 0.1, "A+"),
        ("error_rate_pct", 0.11, "A"),
        ("error_rate_pct", 1.0, "B"),
        ("error_rate_pct", 2.0, "C"),
        ("error_rate_pct", 5.0, "D"),
        ("error_rate_pct", 16.2, "F"),
        ("fill_rate_pct", 100.0, "A+"),
        ("fill_rate_pct", 20.0, "A+"),
        ("fill_rate_pct", 19.9, "A"),
        ("fill_rate_pct", 10.0, "B"),
        ("fill_rate_pct", 5.0, "C"),
        ("fill_rate_pct", 2.0, "D"),
        ("fill_rate_pct", 1.9, "F"),
    ],
)
def test_each_bound_is_inclusive_and_the_next_grade_starts_beyond_it(
    kpi: str, value: float, grade: str
) -> None:
    assert grade_of(kpi, value) == grade


@pytest.mark.parametrize("kpi", list(THRESHOLDS))
def test_not_measured_is_an_f(kpi: str) -> None:
    assert grade_of(kpi, math.nan) == "F"


def test_the_worst_kpi_decides() -> None:
    assert overall({"latency_p99_ms": "A+", "error_rate_pct": "F", "fill_rate_pct": "A+"}) == "F"
    assert overall({"latency_p99_ms": "B", "error_rate_pct": "A+", "fill_rate_pct": "A"}) == "B"
    assert overall({"latency_p99_ms": "A+", "error_rate_pct": "A+", "fill_rate_pct": "A+"}) == "A+"


def test_every_kpi_has_a_bound_per_grade_above_f() -> None:
    for kpi, (_, bounds) in THRESHOLDS.items():
        assert len(bounds) == len(GRADES) - 1, kpi
        assert list(bounds) == sorted(bounds, reverse=THRESHOLDS[kpi][0]), f"{kpi} bounds out of order"

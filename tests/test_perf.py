"""Examples of the performance analyzer: percentiles within 1% of exact, clamping, bad input."""

from __future__ import annotations

import math
import random

import pytest

from system.component import HealthState
from system.errors import InvalidInput
from system.perf import PerformanceAnalyzer


def exact_nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def test_percentiles_within_one_percent_of_exact() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(math.log(2e-4), 1.5) for _ in range(20_000)]
    values += [3e-7, 0.9, 250.0]
    pa = PerformanceAnalyzer()
    for v in values:
        pa.record("order.submit", v)
    for q in (1, 10, 25, 50, 75, 90, 95, 99, 99.9):
        exact = exact_nearest_rank(values, q)
        assert pa.percentile("order.submit", q) == pytest.approx(exact, rel=0.01), q
    assert pa.percentile("order.submit", 0) == min(values)
    assert pa.percentile("order.submit", 100) == max(values)
    assert pa.count("order.submit") == len(values)
    assert pa.mean("order.submit") == pytest.approx(sum(values) / len(values))
    assert sum(n for _, n in pa.histogram("order.submit")) == len(values)
    assert pa.validate() == []


def test_small_known_sample_and_histogram() -> None:
    pa = PerformanceAnalyzer()
    for ms in range(1, 101):
        pa.record("fill", ms / 1000)
    assert pa.percentile("fill", 50) == pytest.approx(0.050, rel=0.01)
    assert pa.percentile("fill", 95) == pytest.approx(0.095, rel=0.01)
    assert pa.percentile("fill", 99) == pytest.approx(0.099, rel=0.01)
    hist = pa.histogram("fill")
    assert sum(n for _, n in hist) == 100 and 50 < len(hist) <= 100
    assert all(upper >= 0.001 for upper, _ in hist)
    assert [upper for upper, _ in hist] == sorted(upper for upper, _ in hist)
    m = pa.metrics()
    assert m["performance_analyzer.fill.p50_ms"] == pytest.approx(50.0, rel=0.01)
    assert m["performance_analyzer.fill.p95_ms"] == pytest.approx(95.0, rel=0.01)
    assert m["performance_analyzer.fill.p99_ms"] == pytest.approx(99.0, rel=0.01)
    assert m["performance_analyzer.fill.count"] == 100.0


def test_cumulative_counts_match_the_histogram_under_each_bound() -> None:
    rng = random.Random(11)
    pa = PerformanceAnalyzer()
    for _ in range(5_000):
        pa.record("ack", rng.lognormvariate(math.log(2e-3), 1.2))
    bounds = (1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.1, 1.0)
    # A fine bucket counts under a bound when its upper edge is at or below the bound.
    expected = [sum(n for upper, n in pa.histogram("ack") if upper <= b * (1 + 1e-9)) for b in bounds]
    assert pa.cumulative("ack", bounds) == [*expected, 5_000]
    assert pa.cumulative("nothing", bounds) == [0] * (len(bounds) + 1)


def test_out_of_range_values_are_clamped_and_counted() -> None:
    pa = PerformanceAnalyzer()
    pa.record("p", 0.0)
    pa.record("p", 1e-9)
    pa.record("p", 5e3)
    assert pa.clamped("p") == 3
    assert pa.percentile("p", 0) == 0.0
    assert pa.percentile("p", 50) <= 1e-7 * 1.01
    # The top end bucket answers near 1e3 s: the true value beyond the range is not kept.
    assert 1e3 <= pa.percentile("p", 99) <= 1e3 * 1.03
    assert len(pa.histogram("p")) == 2


def test_unknown_path_bad_values_and_lifecycle() -> None:
    pa = PerformanceAnalyzer()
    # Nothing measured is no figure: NaN meets no bound, where 0.0 would pass every "at most".
    assert math.isnan(pa.percentile("nothing", 50))
    assert pa.count("nothing") == 0 and math.isnan(pa.mean("nothing"))
    assert not pa.percentile("nothing", 99) <= 15.5e-3
    assert pa.histogram("nothing") == [] and pa.paths() == []
    for bad in (-1e-3, float("nan"), float("inf")):
        with pytest.raises(InvalidInput) as err:
            pa.record("risk.check", bad)
        assert err.value.field == "risk.check"
    with pytest.raises(InvalidInput):
        pa.percentile("x", 101)
    assert pa.paths() == []
    assert pa.health().state is HealthState.STOPPED
    pa.start()
    assert pa.health().state is HealthState.HEALTHY

"""Latency histograms per code path, with bounded memory and percentiles within 1% of exact.

Buckets are logarithmic with ratio ``GAMMA = (1 + a) / (1 - a)`` for ``a = 1%``: a value x lands in
the bucket ``(GAMMA**(i-1), GAMMA**i]`` whose representative ``2 * GAMMA**i / (GAMMA + 1)`` is within
``a`` of every value in it. From 1e-7 s to 1e3 s that is about 1150 counters per path, whatever the
number of samples, and recording one is a ``math.log`` and a list increment.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
LOWEST = 1e-7
HIGHEST = 1e3

_INV_LOG_GAMMA = 1.0 / math.log(GAMMA)
# Bucket k of a path's list holds the values in (GAMMA**(k+_OFFSET-1), GAMMA**(k+_OFFSET)].
_OFFSET = math.ceil(math.log(LOWEST) * _INV_LOG_GAMMA)
_BUCKETS = math.ceil(math.log(HIGHEST) * _INV_LOG_GAMMA) - _OFFSET + 1
_LOG_HIGHEST = math.log(HIGHEST)


def _upper_bound(k: int) -> float:
    return GAMMA ** (k + _OFFSET)


def _representative(k: int) -> float:
    return 2.0 * _upper_bound(k) / (GAMMA + 1.0)


_UPPER = [_upper_bound(k) for k in range(_BUCKETS)]


class _PathStats:
    __slots__ = ("buckets", "count", "total", "low", "high", "underflow", "overflow")

    def __init__(self) -> None:
        self.buckets = [0] * _BUCKETS
        self.count = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.underflow = 0
        self.overflow = 0


def _at_ranks(stats: _PathStats, ranks: list[int]) -> list[float]:
    """The values at nearest ranks: the representative of the bucket where the running count
    reaches the rank, kept within the exact extremes. The running counts are summed in C, once."""
    # Only the buckets between the extremes' can hold samples (found by their upper edges, with one
    # more each side for rounding); an extreme beyond the range lands in its end bucket.
    first = max(0, bisect_left(_UPPER, stats.low) - 1)
    running = list(accumulate(stats.buckets[first : bisect_left(_UPPER, stats.high) + 2]))
    out = []
    for rank in ranks:
        k = bisect_left(running, rank)
        out.append(
            stats.high if k == len(running) else min(stats.high, max(stats.low, _representative(first + k)))
        )
    return out


class PerformanceAnalyzer(Lifecycle):
    """Records latencies per path and answers percentiles, means and histograms."""

    name = "performance_analyzer"

    def __init__(self) -> None:
        super().__init__()
        self._paths: dict[str, _PathStats] = {}

    def record(self, path: str, seconds: float) -> None:
        # `not >= 0` also refuses NaN; infinity is refused since it would poison the exact sum.
        if not (seconds >= 0.0) or seconds == math.inf:
            raise InvalidInput(self.name, path, f"latency must be a finite number >= 0, got {seconds!r}")
        stats = self._paths.get(path)
        if stats is None:
            stats = self._paths[path] = _PathStats()
        if seconds <= LOWEST:
            stats.buckets[0] += 1
            if seconds < LOWEST:
                stats.underflow += 1
        else:
            log = math.log(seconds)
            if log > _LOG_HIGHEST:
                stats.buckets[-1] += 1
                stats.overflow += 1
            else:
                stats.buckets[math.ceil(log * _INV_LOG_GAMMA) - _OFFSET] += 1
        stats.count += 1
        stats.total += seconds
        if seconds < stats.low:
            stats.low = seconds
        if seconds > stats.high:
            stats.high = seconds

    # -- queries ---------------------------------------------------------------------------------

    def paths(self) -> list[str]:
        return list(self._paths)

    def count(self, path: str) -> int:
        stats = self._paths.get(path)
        return 0 if stats is None else stats.count

    def mean(self, path: str) -> float:
        stats = self._paths.get(path)
        return math.nan if stats is None or stats.count == 0 else stats.total / stats.count

    def clamped(self, path: str) -> int:
        """How many samples of ``path`` fell outside [1e-7, 1e3] s and were put in an end bucket."""
        stats = self._paths.get(path)
        return 0 if stats is None else stats.underflow + stats.overflow

    def percentile(self, path: str, q: float) -> float:
        """Nearest-rank percentile from the buckets, within 1% of the exact sample percentile."""
        if not 0.0 <= q <= 100.0:
            raise InvalidInput(self.name, "q", f"must be within 0..100, got {q!r}")
        stats = self._paths.get(path)
        if stats is None or stats.count == 0:
            return math.nan  # nothing measured: no figure, and no bound can be met by it
        # The extremes are kept exactly, so there is no reason to answer them approximately.
        if q == 0.0:
            return stats.low
        if q == 100.0:
            return stats.high
        return _at_ranks(stats, [max(1, math.ceil(q / 100.0 * stats.count))])[0]

    def histogram(self, path: str) -> list[tuple[float, int]]:
        stats = self._paths.get(path)
        if stats is None:
            return []
        return [(_UPPER[k], n) for k, n in enumerate(stats.buckets) if n]

    def cumulative(self, path: str, bounds: Sequence[float]) -> list[int]:
        """Samples of ``path`` counted under each of the ascending ``bounds``, then all of them (the
        +Inf bound): a bucket counts under a bound when all of it lies at or below the bound (its
        upper edge), so a count is exact to the bucket's 2%."""
        stats = self._paths.get(path)
        if stats is None:
            return [0] * (len(bounds) + 1)
        out, seen, start = [], 0, 0
        for bound in bounds:
            cut = bisect_right(_UPPER, bound * (1 + 1e-9))
            seen += sum(stats.buckets[start:cut])
            start = max(start, cut)
            out.append(seen)
        out.append(stats.count)
        return out

    # -- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for path, stats in self._paths.items():
            prefix = f"{self.name}.{path}"
            if stats.count:
                # The three percentiles in one pass over the buckets (this runs every collection).
                ranks = [max(1, math.ceil(q / 100.0 * stats.count)) for q in (50.0, 95.0, 99.0)]
                p50, p95, p99 = _at_ranks(stats, ranks)
            else:
                p50 = p95 = p99 = math.nan
            out[f"{prefix}.p50_ms"] = p50 * 1e3
            out[f"{prefix}.p95_ms"] = p95 * 1e3
            out[f"{prefix}.p99_ms"] = p99 * 1e3
            out[f"{prefix}.count"] = float(stats.count)
        return out

    def validate(self) -> list[str]:
        problems: list[str] = []
        for path, stats in self._paths.items():
            if len(stats.buckets) != _BUCKETS:
                problems.append(f"{path}: bucket array has {len(stats.buckets)} entries, not {_BUCKETS}")
            if sum(stats.buckets) != stats.count:
                problems.append(f"{path}: bucket counts sum to {sum(stats.buckets)}, count is {stats.count}")
            if stats.underflow + stats.overflow > stats.count:
                problems.append(f"{path}: more clamped samples than samples")
            if stats.count and not (0.0 <= stats.low <= stats.high):
                problems.append(f"{path}: min {stats.low} / max {stats.high} out of order")
            if stats.count and not (stats.low * stats.count <= stats.total * (1 + 1e-9) + 1e-300):
                problems.append(f"{path}: sum {stats.total} below count * min")
        return problems

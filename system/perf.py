"""Latency histograms per code path, with bounded memory and percentiles within 1% of exact.

Buckets are logarithmic with ratio ``GAMMA = (1 + a) / (1 - a)`` for ``a = 1%``: a value x lands in
the bucket ``(GAMMA**(i-1), GAMMA**i]`` whose representative ``2 * GAMMA**i / (GAMMA + 1)`` is within
``a`` of every value in it. From 1e-7 s to 1e3 s that is about 1150 counters per path, whatever the
number of samples, and recording one is a ``math.log`` and a list increment.
"""

from __future__ import annotations

import math

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
_LOG_LOWEST = math.log(LOWEST)
_LOG_HIGHEST = math.log(HIGHEST)


def _upper_bound(k: int) -> float:
    return GAMMA ** (k + _OFFSET)


def _representative(k: int) -> float:
    return 2.0 * _upper_bound(k) / (GAMMA + 1.0)


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
        rank = max(1, math.ceil(q / 100.0 * stats.count))
        seen = 0
        for k, n in enumerate(stats.buckets):
            if n:
                seen += n
                if seen >= rank:
                    return min(stats.high, max(stats.low, _representative(k)))
        return stats.high

    def histogram(self, path: str) -> list[tuple[float, int]]:
        stats = self._paths.get(path)
        if stats is None:
            return []
        return [(_upper_bound(k), n) for k, n in enumerate(stats.buckets) if n]

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
            out[f"{prefix}.p50_ms"] = self.percentile(path, 50.0) * 1e3
            out[f"{prefix}.p95_ms"] = self.percentile(path, 95.0) * 1e3
            out[f"{prefix}.p99_ms"] = self.percentile(path, 99.0) * 1e3
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

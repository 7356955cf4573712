"""Memory discipline: bounded buffers that count what they drop, and the process's resident size.

Every queue or history a component keeps should be a :class:`BoundedBuffer`, so memory stays flat
over a long session and the loss is visible as ``dropped`` instead of as a slow leak. The process's
resident set size is sampled at times the caller supplies (the system never reads the wall clock).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput

MAX_SAMPLES = 10_000
STATM_PATH = "/proc/self/statm"


def read_rss(statm_path: str = STATM_PATH) -> int:
    """Resident set size in bytes, from ``statm`` where there is a /proc, else the peak from rusage."""
    try:
        with open(statm_path, encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        # Without /proc only the peak is available (Linux reports KiB); an upper bound beats nothing.
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class BoundedBuffer:
    """A deque with a fixed ``maxlen`` that counts the items evicted by appends."""

    __slots__ = ("name", "maxlen", "dropped", "_items")

    def __init__(self, name: str, maxlen: int) -> None:
        if not isinstance(maxlen, int) or maxlen < 1:
            raise InvalidInput(f"buffer {name}", "maxlen", f"must be an int >= 1, got {maxlen!r}")
        self.name = name
        self.maxlen = maxlen
        self.dropped = 0
        self._items: deque[Any] = deque(maxlen=maxlen)

    def append(self, item: Any) -> None:
        if len(self._items) == self.maxlen:
            self.dropped += 1
        self._items.append(item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def clear(self) -> None:
        # Cleared items were consumed on purpose, so they are not counted as dropped.
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __getitem__(self, index: int) -> Any:
        return self._items[index]

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self._items)

    def __repr__(self) -> str:
        return f"BoundedBuffer({self.name!r}, {len(self._items)}/{self.maxlen}, dropped={self.dropped})"


class MemoryManager(Lifecycle):
    """Owns the named bounded buffers and samples the process's resident set size."""

    name = "memory_manager"

    def __init__(self, limit_bytes: int | None = None, *, rss_reader: Callable[[], int] = read_rss) -> None:
        super().__init__()
        if limit_bytes is not None and limit_bytes <= 0:
            raise InvalidInput(self.name, "limit_bytes", f"must be > 0 or None, got {limit_bytes!r}")
        self.limit_bytes = limit_bytes
        self._read_rss = rss_reader
        self._buffers: dict[str, BoundedBuffer] = {}
        self._samples: deque[tuple[float, int]] = deque(maxlen=MAX_SAMPLES)
        # Kept apart from the bounded samples so that growth and peak cover the whole session.
        self._first: tuple[float, int] | None = None
        self._peak = 0
        self.sample_count = 0

    def buffer(self, name: str, maxlen: int) -> BoundedBuffer:
        existing = self._buffers.get(name)
        if existing is not None:
            if existing.maxlen != maxlen:
                raise InvalidInput(
                    self.name, "maxlen", f"buffer {name!r} exists with maxlen {existing.maxlen}, not {maxlen}"
                )
            return existing
        created = BoundedBuffer(name, maxlen)
        self._buffers[name] = created
        return created

    def buffers(self) -> dict[str, BoundedBuffer]:
        return dict(self._buffers)

    def sample(self, now: float) -> int:
        rss = int(self._read_rss())
        self._samples.append((now, rss))
        if self._first is None:
            self._first = (now, rss)
        self._peak = max(self._peak, rss)
        self.sample_count += 1
        return rss

    def samples(self) -> list[tuple[float, int]]:
        return list(self._samples)

    def last(self) -> int:
        return self._samples[-1][1] if self._samples else 0

    def peak(self) -> int:
        return self._peak

    def growth(self) -> int:
        """Last sample minus the session's first sample, in bytes."""
        if self._first is None:
            return 0
        return self._samples[-1][1] - self._first[1]

    def buffered(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def dropped(self) -> int:
        return sum(b.dropped for b in self._buffers.values())

    # -- component API ---------------------------------------------------------------------------

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.limit_bytes is not None and self._samples and self.last() > self.limit_bytes:
            return Health(
                HealthState.DEGRADED, f"resident set {self.last()} bytes exceeds limit {self.limit_bytes}"
            )
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {
            f"{self.name}.rss_bytes": float(self.last()),
            f"{self.name}.peak_bytes": float(self._peak),
            f"{self.name}.buffers": float(len(self._buffers)),
            f"{self.name}.buffered_items": float(self.buffered()),
            f"{self.name}.dropped_items": float(self.dropped()),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        for name, buf in self._buffers.items():
            if len(buf) > buf.maxlen:
                problems.append(f"buffer {name!r} holds {len(buf)} items, more than its maxlen {buf.maxlen}")
            if buf.dropped < 0:
                problems.append(f"buffer {name!r} has a negative drop count")
        if len(self._samples) > MAX_SAMPLES:
            problems.append(f"{len(self._samples)} memory samples kept, more than {MAX_SAMPLES}")
        if self._samples and self._peak < max(rss for _, rss in self._samples):
            problems.append("peak is below a kept sample")
        return problems

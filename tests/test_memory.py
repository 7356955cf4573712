"""Examples of the memory manager: buffer drop counts, RSS sampling, peak, growth and the limit."""

from __future__ import annotations

import pytest

from system.component import HealthState
from system.errors import InvalidInput
from system.memory import MAX_SAMPLES, BoundedBuffer, MemoryManager, read_rss


def test_buffer_counts_drops_and_clear_is_not_a_drop() -> None:
    buf = BoundedBuffer("fills", 3)
    buf.extend(range(5))
    assert list(buf) == [2, 3, 4] and len(buf) == 3
    assert buf.dropped == 2
    buf.append(5)
    assert buf.dropped == 3 and buf[0] == 3 and buf[-1] == 5
    buf.clear()
    assert len(buf) == 0 and buf.dropped == 3
    buf.append(1)
    assert buf.dropped == 3
    with pytest.raises(InvalidInput):
        BoundedBuffer("bad", 0)


def test_manager_registers_buffers_and_reports_them() -> None:
    mm = MemoryManager()
    quotes = mm.buffer("quotes", 2)
    assert mm.buffer("quotes", 2) is quotes
    with pytest.raises(InvalidInput):
        mm.buffer("quotes", 5)
    orders = mm.buffer("orders", 10)
    quotes.extend("abcde")
    orders.extend(range(4))
    assert mm.buffered() == 6 and mm.dropped() == 3
    m = mm.metrics()
    assert m["memory_manager.buffers"] == 2.0
    assert m["memory_manager.buffered_items"] == 6.0
    assert m["memory_manager.dropped_items"] == 3.0
    assert mm.validate() == []


def test_samples_peak_growth_and_limit() -> None:
    readings = iter([100, 300, 250, 400])
    mm = MemoryManager(limit_bytes=350, rss_reader=lambda: next(readings))
    mm.start()
    assert mm.growth() == 0 and mm.peak() == 0
    assert mm.sample(0.0) == 100
    mm.sample(1.0)
    mm.sample(2.0)
    assert mm.peak() == 300 and mm.growth() == 150
    assert mm.health().state is HealthState.HEALTHY
    mm.sample(3.0)
    assert mm.health().state is HealthState.DEGRADED
    assert "400" in mm.health().detail
    assert mm.metrics()["memory_manager.rss_bytes"] == 400.0
    assert mm.metrics()["memory_manager.peak_bytes"] == 400.0
    assert mm.samples()[-1] == (3.0, 400)
    mm.stop()
    assert mm.health().state is HealthState.STOPPED


def test_samples_are_bounded() -> None:
    mm = MemoryManager(rss_reader=lambda: 1)
    for i in range(MAX_SAMPLES + 5):
        mm.sample(float(i))
    assert len(mm.samples()) == MAX_SAMPLES
    assert mm.samples()[0] == (5.0, 1)
    assert mm.validate() == []


def test_reads_real_rss_and_falls_back_without_proc(tmp_path) -> None:
    mm = MemoryManager()
    assert mm.sample(0.0) > 1_000_000
    assert read_rss(str(tmp_path / "missing")) > 1_000_000

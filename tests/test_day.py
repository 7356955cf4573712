"""Tests of the production day's pieces: its shape, its statistics, a short day run for real, sharing
its record, and the memory walk it samples with."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness import day
from harness.footprint import retained_bytes
from simulator.world import MarketConfig


def test_the_day_bursts_at_both_ends_and_is_busier_at_the_open_and_close_than_at_midday():
    shape = day.day_shape()
    assert shape[0] == (0.0, day.BURST_LEVEL) and shape[-1] == (day.DAY - day.BURST_SECONDS, day.BURST_LEVEL)
    levels = [level for _, level in shape[1:-1]]
    middle = levels[len(levels) // 2]
    assert levels[0] > middle and levels[-1] > middle
    assert [t for t, _ in shape] == sorted(t for t, _ in shape)
    MarketConfig(seed=1, symbols=5, profile="production", shape=shape)  # the simulator takes it


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        (((5.0, 1.0),), "must start at second 0"),
        (((0.0, 1.0), (0.0, 2.0)), "does not follow"),
        (((0.0, 0.0),), "above 0"),
        (((0.0, float("nan")),), "finite"),
        (((0.0,),), "expected (from second, level)"),
    ],
)
def test_a_bad_shape_is_refused_naming_its_step(shape, says):
    with pytest.raises(ValueError, match="shape step") as err:
        MarketConfig(seed=1, shape=shape)
    assert says in str(err.value)


def test_queue_percentile_and_burst_runs():
    assert day.queue_p99([]) is None and day.queue_p99([0, 0]) is None
    assert day.queue_p99([99, 1]) == 0 and day.queue_p99([98, 1, 1]) == 1
    per_second = np.array([5, 40, 40, 40, 3, 40, 40])
    assert day.longest_run(per_second, 40, 0, 7) == 3
    assert day.longest_run(per_second, 40, 4, 7) == 2
    assert day.longest_run(per_second, 41, 0, 7) == 0


def test_a_short_day_is_sampled_reconciled_and_charted(tmp_path):
    record = day.run(11, 240.0, shape=((0.0, 1.0), (120.0, 2.0)))
    assert record["md_updates"] > 240 * 300
    assert len(record["samples"]) == 5 and record["samples"][-1]["time"] == 240.0
    assert [s["time"] for s in record["snapshots"]] == [0.0, 240.0]  # the start, the close
    assert record["orders_sent"] > 100 and record["orders_unanswered"] == 0
    assert record["reconciliation"]["ok"], record["reconciliation"]["summary"]
    # The busier second half shows in the rates the tap counted.
    minutes = record["per_minute"]
    assert sum(minutes[2:]) > 1.5 * sum(minutes[:2])
    assert record["first_hour"]["latency"]["orders"] > 0 and record["last_hour"]["queue_arrivals"] > 0
    from harness.day_charts import draw

    paths = draw(record, tmp_path)
    assert len(paths) == 4 and all(p.stat().st_size > 10_000 for p in paths)


def test_a_stored_day_is_read_back_only_for_its_own_key(tmp_path, monkeypatch):
    ran = []

    def fake_run(seed, seconds, progress=None, shape=None):
        ran.append(seed)
        return {"seed": seed, "key": day.key(seed, seconds), "per_minute": [], "samples": []}

    monkeypatch.setattr(day, "run", fake_run)
    monkeypatch.setattr("harness.day_charts.draw", lambda record, out: [])
    first = day.shared(5, 60.0, out=tmp_path)
    assert ran == [5] and json.loads((tmp_path / "day.json").read_text())["seed"] == 5
    assert day.shared(5, 60.0, out=tmp_path) == first and ran == [5]  # read back, not run again
    day.shared(6, 60.0, out=tmp_path)  # another seed: run anew
    assert ran == [5, 6]
    assert not (tmp_path / "day.lock").exists()


class _Holder:
    def __init__(self) -> None:
        self.items: list[bytes] = []


def test_retained_bytes_counts_what_is_held_and_stops_at_the_far_side():
    holder = _Holder()
    empty, _ = retained_bytes(holder, far_side=(_Holder.__module__,))
    assert empty == 0  # the holder's own class is on the far side here
    size, objects = retained_bytes(holder, far_side=("harness",))
    holder.items.extend(bytes(1_000) for _ in range(100))
    grown, more = retained_bytes(holder, far_side=("harness",))
    assert grown - size >= 100_000 and more - objects == 100
    shared = bytes(50_000)
    holder.items = [shared, shared]  # one object reached twice counts once
    twice, _ = retained_bytes(holder, far_side=("harness",))
    assert 50_000 < twice < 100_000

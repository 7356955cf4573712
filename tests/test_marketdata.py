"""Tests of the market data system: sequencing, gap recovery, refusal of bad data, staleness, versions."""

from __future__ import annotations

import math

import pytest

from system.bus import DataFlowManager
from system.component import Component, HealthState
from system.errors import InvalidInput
from system.marketdata import MarketDataSystem, Top
from venue.messages import Depth, Phase, Quote, Side, Snapshot, TradePrint, TradingStatus


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


class FakeRecovery:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def opened(self, kind: str, key: str, detail: str = "") -> None:
        self.events.append(("opened", kind, key))

    def closed(self, kind: str, key: str) -> None:
        self.events.append(("closed", kind, key))


def q(
    seq: int, bid: object = 100, bq: object = 5, ask: object = 101, aq: object = 7, sym: str = "AAA"
) -> Quote:
    return Quote(sym, seq, bid, bq, ask, aq, float(seq))  # type: ignore[arg-type]


def snap(
    seq: int, sym: str = "AAA", bid: int = 200, ask: int = 210, phase: Phase = Phase.CONTINUOUS
) -> Snapshot:
    return Snapshot(sym, seq, phase, ((bid, 3), (bid - 1, 4)), ((ask, 2), (ask + 1, 6)), 205, float(seq))


class Rig:
    def __init__(self, bus: DataFlowManager | None = None, recovery: FakeRecovery | None = None) -> None:
        self.clock = FakeClock()
        self.requested: list[str] = []
        self.md = MarketDataSystem(
            ["AAA", "BBB"], self.clock, self.requested.append, bus=bus, depth_levels=2, recovery=recovery
        )
        self.md.start()

    def feed(self, *messages: object) -> None:
        for m in messages:
            self.md.on_market_data(m)


def test_is_a_component_with_named_metrics() -> None:
    rig = Rig()
    assert isinstance(rig.md, Component)
    m = rig.md.metrics()
    for key in ("updates", "gaps", "recoveries", "refused", "duplicates", "snapshots_requested", "symbols"):
        assert f"market_data_system.{key}" in m
    assert m["market_data_system.symbols"] == 2
    rig.md.stop()
    assert rig.md.health().state is HealthState.STOPPED


def test_in_sequence_updates_apply_and_publish_on_the_bus() -> None:
    bus = DataFlowManager()
    bus.start()
    seen: list[tuple[int, object]] = []
    bus.subscribe("md.AAA", lambda seq, msg: seen.append((seq, msg)), "test")
    rig = Rig(bus=bus)
    assert rig.md.top("AAA") is None
    first = q(1)
    rig.feed(first, TradePrint("AAA", 2, 101, 3, Side.BUY, 2.0))
    top = rig.md.top("AAA")
    assert top == Top("AAA", 100, 5, 101, 7, 101, Phase.CONTINUOUS, 2, 2.0, 1)
    assert rig.md.phase("AAA") is Phase.CONTINUOUS
    assert rig.md.last_trade("AAA") == (101, 3)
    assert rig.md.updates == 2
    assert [s for s, _ in seen] == [1, 2]
    assert seen[0][1] is first
    assert rig.md.health().state is HealthState.HEALTHY
    assert rig.md.validate() == []


def test_channels_are_numbered_per_symbol() -> None:
    rig = Rig()
    rig.feed(q(1), q(1, sym="BBB"), q(2, sym="BBB"), q(2))
    assert rig.md.gaps == 0
    assert rig.md.top("BBB").seq == 2  # type: ignore[union-attr]


def test_duplicate_is_counted_and_ignored() -> None:
    rig = Rig()
    rig.feed(q(1), q(2, bid=99), q(2, bid=98), q(1, bid=97))
    assert rig.md.duplicates == 2
    assert rig.md.top("AAA").bid == 99  # type: ignore[union-attr]
    assert rig.md.gaps == 0


def test_gap_requests_one_snapshot_and_recovers_from_it() -> None:
    bus = DataFlowManager()
    bus.start()
    seen: list[object] = []
    bus.subscribe("md.AAA", lambda seq, msg: seen.append(msg), "test")
    recovery = FakeRecovery()
    rig = Rig(bus=bus, recovery=recovery)
    rig.feed(q(1), q(3), q(4), q(5))
    assert rig.md.gaps == 1
    assert rig.requested == ["AAA"]  # once, not per ignored incremental
    assert rig.md.recovering("AAA")
    assert rig.md.health().state is HealthState.DEGRADED
    assert recovery.events == [("opened", "feed_gap", "AAA")]
    version = rig.md.version("AAA")

    s = snap(4)
    rig.feed(s)
    assert not rig.md.recovering("AAA")
    assert rig.md.recoveries == 1
    assert recovery.events[-1] == ("closed", "feed_gap", "AAA")
    top = rig.md.top("AAA")
    assert top is not None
    assert (top.bid, top.bid_qty, top.ask, top.ask_qty, top.last_price, top.seq) == (200, 3, 210, 2, 205, 4)
    assert rig.md.version("AAA") == version + 1
    assert rig.md.depth("AAA") == (((200, 3), (199, 4)), ((210, 2), (211, 6)))
    assert seen[-1] is s

    # the incremental the snapshot already covers is ignored; the next one applies
    rig.feed(q(4, bid=1), q(5, bid=150, ask=160))
    assert rig.md.top("AAA").bid == 150  # type: ignore[union-attr]
    assert rig.md.health().state is HealthState.HEALTHY
    assert rig.md.validate() == []
    assert rig.md.metrics()["market_data_system.snapshots_requested"] == 1


def test_first_message_with_seq_above_one_is_a_gap() -> None:
    rig = Rig()
    rig.feed(q(5))
    assert rig.md.gaps == 1
    assert rig.requested == ["AAA"]
    assert rig.md.top("AAA") is None
    rig.feed(snap(7))
    rig.feed(q(8))
    assert rig.md.top("AAA").seq == 8  # type: ignore[union-attr]


def test_snapshot_first_then_incrementals() -> None:
    rig = Rig()
    rig.feed(snap(10), q(11))
    assert rig.md.gaps == 0
    assert rig.md.recoveries == 0
    assert rig.md.top("AAA").seq == 11  # type: ignore[union-attr]


def test_stale_snapshot_is_ignored_when_not_recovering() -> None:
    rig = Rig()
    rig.feed(q(1), q(2), q(3, bid=90))
    rig.feed(snap(1))
    assert rig.md.top("AAA").bid == 90  # type: ignore[union-attr]
    assert rig.md.stale_snapshots == 1
    rig.feed(snap(3))  # seq == expected - 1: current, applied
    assert rig.md.top("AAA").bid == 200  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (q(1, bid=math.nan), "bid_price"),
        (q(1, bid=-1), "bid_price"),
        (q(1, bid=100.5), "bid_price"),
        (q(1, bq=-3), "bid_qty"),
        (q(1, ask="x"), "ask_price"),
        (q(1, aq=math.nan), "ask_qty"),
        (q(1, aq=0), "ask_qty"),
        (q(1, bid=101, ask=101), "ask_price"),
        (q(1, sym="ZZZ"), "symbol"),
        (TradePrint("AAA", 1, -5, 1, Side.BUY, 1.0), "price"),
        (TradePrint("AAA", 1, 100, math.nan, Side.SELL, 1.0), "qty"),  # type: ignore[arg-type]
        (Depth("AAA", 1, ((100, -1),), (), 1.0), "bids"),
        (Depth("AAA", 1, ((100, 1),), ((99, 1),), 1.0), "asks"),
        (TradingStatus("AAA", 1, "open", "", 1.0), "phase"),  # type: ignore[arg-type]
    ],
)
def test_malformed_updates_are_refused_naming_the_field(message: object, field: str) -> None:
    rig = Rig()
    rig.feed(message)  # must not raise
    assert rig.md.refused == 1
    error = rig.md.errors[-1]
    assert isinstance(error, InvalidInput)
    assert error.field == field
    assert error.where.startswith("market data ")
    assert rig.md.updates == 0


def test_crossed_quote_problem_text() -> None:
    rig = Rig()
    rig.feed(q(1, bid=105, ask=101))
    error = rig.md.errors[-1]
    assert error.field == "ask_price"
    assert error.problem == "crossed: bid 105 >= ask 101"
    assert error.where == "market data AAA seq 1"


def test_refused_message_consumes_its_seq_and_system_carries_on() -> None:
    rig = Rig()
    rig.feed(q(1), q(2, bid=math.nan), q(3, bid=99))
    assert rig.md.refused == 1
    assert rig.md.gaps == 0
    assert rig.requested == []
    top = rig.md.top("AAA")
    assert top.bid == 99 and top.seq == 3  # type: ignore[union-attr]
    assert rig.md.validate() == []


def test_one_sided_and_empty_quotes_are_valid() -> None:
    rig = Rig()
    rig.feed(q(1, bid=0, bq=0), q(2, bid=0, bq=0, ask=0, aq=0))
    assert rig.md.refused == 0
    top = rig.md.top("AAA")
    assert (top.bid, top.ask) == (0, 0)  # type: ignore[union-attr]


def test_errors_are_bounded() -> None:
    rig = Rig()
    for seq in range(1, 51):
        rig.feed(q(seq, bid=-seq))
    assert rig.md.refused == 50
    assert len(rig.md.errors) == 20
    assert rig.md.errors[-1].where == "market data AAA seq 50"


def test_version_bump_rules() -> None:
    rig = Rig()
    rig.feed(q(1))
    v = rig.md.version("AAA")
    assert v == 1
    rig.feed(q(2))  # same top: no change
    assert rig.md.version("AAA") == v
    rig.feed(TradePrint("AAA", 3, 101, 1, Side.BUY, 3.0))
    assert rig.md.version("AAA") == v
    rig.feed(Depth("AAA", 4, ((100, 5), (99, 1)), ((101, 7),), 4.0))  # top unchanged
    assert rig.md.version("AAA") == v
    assert rig.md.depth("AAA") == (((100, 5), (99, 1)), ((101, 7),))
    rig.feed(Depth("AAA", 5, ((100, 6), (99, 1), (98, 1)), ((101, 7),), 5.0))  # top size only
    assert rig.md.version("AAA") == v  # a size-only change at the touch does not bump
    assert len(rig.md.depth("AAA")[0]) == 2  # trimmed to depth_levels
    top = rig.md.top("AAA")
    assert top is not None and (top.bid, top.bid_qty, top.ask, top.ask_qty) == (100, 6, 101, 7)
    rig.feed(q(6, bq=9))  # size-only quote change: sizes updated, version kept
    assert rig.md.version("AAA") == v
    top = rig.md.top("AAA")
    assert top is not None and (top.bid_qty, top.version) == (9, v)
    assert rig.md.state("AAA").bid_qty == 9  # type: ignore[union-attr]
    rig.feed(Depth("AAA", 7, ((99, 1),), ((101, 7),), 7.0))  # bid price moved
    assert rig.md.version("AAA") == v + 1
    rig.feed(Depth("AAA", 8, (), ((101, 7),), 8.0))  # bid side empties
    assert rig.md.version("AAA") == v + 2
    rig.feed(q(9))  # bid side non-empty again
    assert rig.md.version("AAA") == v + 3
    rig.feed(TradingStatus("AAA", 10, Phase.HALTED, "volatility", 10.0))
    assert rig.md.version("AAA") == v + 4
    assert rig.md.phase("AAA") is Phase.HALTED
    rig.feed(snap(10))
    assert rig.md.version("AAA") == v + 5
    assert rig.md.version("ZZZ") == 0


def test_stale_feed_detection_and_recovery_incident() -> None:
    recovery = FakeRecovery()
    rig = Rig(recovery=recovery)
    assert not rig.md.is_stale()  # nothing received yet
    rig.feed(q(1))
    rig.clock.t = 2.0
    assert not rig.md.is_stale()
    rig.clock.t = 2.5
    assert rig.md.is_stale()
    assert rig.md.is_stale("BBB")  # judged for the whole feed
    health = rig.md.health()
    assert health.state is HealthState.UNHEALTHY
    assert "no market data for 2.5 s" in health.detail
    rig.md.health()
    assert recovery.events == [("opened", "stale_feed", "feed")]  # once, not per health check
    rig.feed(q(1, sym="BBB"))
    assert recovery.events[-1] == ("closed", "stale_feed", "feed")
    assert not rig.md.is_stale()
    assert rig.md.health().state is HealthState.HEALTHY


def test_unknown_message_type_is_refused() -> None:
    rig = Rig()
    rig.feed("hello")
    assert rig.md.refused == 1
    assert rig.md.errors[-1].field == "type"


def test_messages_while_stopped_are_ignored_and_recovered_by_gap() -> None:
    rig = Rig()
    rig.feed(q(1))
    rig.md.stop()
    rig.feed(q(2, bid=50))
    rig.md.start()
    rig.feed(q(3))
    assert rig.md.gaps == 1
    assert rig.requested == ["AAA"]


def test_failing_snapshot_request_does_not_break_the_feed() -> None:
    clock = FakeClock()

    def broken(symbol: str) -> None:
        raise ConnectionError("down")

    md = MarketDataSystem(["AAA"], clock, broken)
    md.start()
    md.on_market_data(q(2))
    assert md.recovering("AAA")
    assert md.errors[-1].field == "snapshot"


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(InvalidInput):
        MarketDataSystem(["AAA"], FakeClock(), lambda s: None, depth_levels=0)

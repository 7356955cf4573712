"""Tests of the internal message bus: numbering, ordered delivery, and accounting of failures."""

from __future__ import annotations

from system.bus import DataFlowManager
from system.component import Component, HealthState


def make_bus() -> DataFlowManager:
    bus = DataFlowManager()
    bus.start()
    return bus


def test_is_a_component_and_stopped_until_started() -> None:
    bus = DataFlowManager()
    assert isinstance(bus, Component)
    assert bus.health().state is HealthState.STOPPED
    bus.start()
    assert bus.health().state is HealthState.HEALTHY


def test_per_topic_sequence_and_subscription_order() -> None:
    bus = make_bus()
    got: list[tuple[str, int, object]] = []
    bus.subscribe("a", lambda seq, msg: got.append(("first", seq, msg)), "first")
    bus.subscribe("a", lambda seq, msg: got.append(("second", seq, msg)), "second")
    assert bus.publish("a", "x") == 1
    assert bus.publish("b", "y") == 1  # another topic has its own numbering
    assert bus.publish("a", "z") == 2
    assert got == [("first", 1, "x"), ("second", 1, "x"), ("first", 2, "z"), ("second", 2, "z")]
    m = bus.metrics()
    assert m["data_flow_manager.published"] == 3
    assert m["data_flow_manager.delivered"] == 4
    assert m["data_flow_manager.topics"] == 2
    assert m["data_flow_manager.reliability"] == 1.0
    assert bus.published_on("a") == 2
    assert bus.published_on("b") == 1
    assert bus.validate() == []


def test_reliability_is_one_when_nothing_expected() -> None:
    bus = make_bus()
    assert bus.reliability() == 1.0
    bus.publish("nobody", 1)
    assert bus.reliability() == 1.0


def test_raising_consumer_is_dropped_and_others_still_served() -> None:
    bus = make_bus()
    got: list[int] = []

    def broken(seq: int, msg: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe("t", broken, "broken")
    bus.subscribe("t", lambda seq, msg: got.append(seq), "good")
    assert bus.publish("t", "m") == 1
    assert bus.publish("t", "m") == 2
    assert got == [1, 2]
    assert bus.dropped == 2
    assert bus.dropped_by_consumer == {"broken": 2}
    assert bus.delivered == 2
    assert bus.reliability() == 0.5
    assert "boom" in bus.errors[-1] and "broken" in bus.errors[-1]
    assert bus.health().state is HealthState.DEGRADED
    assert bus.validate() == []


def test_errors_are_bounded() -> None:
    bus = make_bus()

    def broken(seq: int, msg: object) -> None:
        raise ValueError(f"bad {seq}")

    bus.subscribe("t", broken, "broken")
    for _ in range(50):
        bus.publish("t", None)
    assert len(bus.errors) == 20
    assert "bad 50" in bus.errors[-1]


def test_health_recovers_after_many_clean_publishes() -> None:
    bus = make_bus()
    fail = [True]

    def flaky(seq: int, msg: object) -> None:
        if fail[0]:
            raise RuntimeError("once")

    bus.subscribe("t", flaky, "flaky")
    bus.publish("t", None)
    assert bus.health().state is HealthState.DEGRADED
    fail[0] = False
    for _ in range(1000):
        bus.publish("t", None)
    assert bus.health().state is HealthState.HEALTHY


def test_publish_while_stopped_delivers_nothing_and_counts_drops() -> None:
    bus = DataFlowManager()
    got: list[int] = []
    bus.subscribe("t", lambda seq, msg: got.append(seq), "c")
    assert bus.publish("t", None) == 1
    assert got == []
    assert bus.dropped == 1
    assert bus.published == 1
    bus.start()
    bus.publish("t", None)
    # the drop of seq 1 was counted once; seq 2 is not also counted as a skip
    assert got == [2]
    assert bus.out_of_order == 0
    assert bus.delivered == 1
    assert bus.reliability() == 0.5
    assert bus.validate() == []


def test_late_subscriber_starts_in_order_from_the_next_seq() -> None:
    bus = make_bus()
    bus.publish("t", None)
    bus.publish("t", None)
    got: list[int] = []
    bus.subscribe("t", lambda seq, msg: got.append(seq), "late")
    bus.publish("t", None)
    assert got == [3]
    assert bus.delivered == 1
    assert bus.out_of_order == 0


def test_reentrant_publish_is_counted_out_of_order() -> None:
    bus = make_bus()
    got: list[int] = []

    def echo(seq: int, msg: object) -> None:
        if msg == "outer":
            bus.publish("t", "inner")

    bus.subscribe("t", echo, "echo")
    bus.subscribe("t", lambda seq, msg: got.append(seq), "last")
    bus.publish("t", "outer")
    # the second subscriber sees the inner message (2) before the outer one (1): a skip, then a late one
    assert got == [2, 1]
    assert bus.out_of_order == 2
    assert bus.delivered == 2  # the echo consumer itself got 1 then 2
    assert bus.validate() == []


def test_same_callback_subscribed_twice_under_one_name_sees_duplicates() -> None:
    bus = make_bus()
    got: list[int] = []
    bus.subscribe("t", lambda seq, msg: got.append(seq), "c")
    bus.subscribe("t", lambda seq, msg: got.append(seq), "c")
    bus.publish("t", None)
    assert got == [1, 1]
    assert bus.delivered == 1
    assert bus.duplicated == 1
    assert bus.validate() == []

"""The venue tap's decision-to-acknowledgement latencies: to the first answer's arrival, and to the
moment that answer could be applied in the account's exec_seq order."""

from __future__ import annotations

import pytest

from harness.tap import VenueTap
from venue.messages import (
    CancelReject,
    Envelope,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrdStatus,
    RejectReason,
    Side,
)


class _Connection:
    def send(self, envelope: Envelope) -> None:
        pass

    def close(self) -> None:
        pass


class _Venue:
    def __init__(self) -> None:
        self.receivers = []

    def connect(self, on_receive, on_disconnect):  # noqa: ANN001, ANN201
        self.receivers.append(on_receive)
        return _Connection()


class _Clock:
    t = 0.0

    def now(self) -> float:
        return self.t


def _new(seq: int, clid: str) -> Envelope:
    report = ExecutionReport(
        seq, f"O-{clid}", clid, None, "AAA", Side.BUY, ExecType.NEW, OrdStatus.NEW, 10, 100, leaves_qty=10
    )
    return Envelope(seq, report)


@pytest.fixture
def wired():
    venue, clock = _Venue(), _Clock()
    tap = VenueTap(venue, clock.now, stale_after=1e9)
    a, b = tap.connect(lambda _e: None, lambda _r: None), tap.connect(lambda _e: None, lambda _r: None)
    return tap, clock, venue.receivers, (a, b)


def test_an_answer_waits_for_the_reports_numbered_before_it_on_the_other_session(wired):
    tap, clock, (on_a, on_b), (a, b) = wired
    tap.started()
    for i, (session, clid) in enumerate(((a, "X"), (b, "Y"), (b, "Z"))):
        session.send(Envelope(i + 1, NewOrder(clid, "AAA", Side.BUY, 10, price=100)))
    clock.t = 1.0
    on_b(_new(2, "Y"))  # ahead of exec_seq 1, which the other session carries
    clock.t = 1.5
    on_a(_new(1, "X"))
    clock.t = 2.0
    on_b(_new(4, "Z"))  # exec_seq 3 never arrives: Z's answer cannot be applied
    assert tap.ack_latencies() == [1.5, 1.0, 2.0]
    assert tap.in_order_latencies() == [1.5, 1.5]


def test_a_numbered_cancel_reject_takes_its_place_in_the_order(wired):
    tap, clock, (on_a, on_b), (a, _b) = wired
    tap.started()
    a.send(Envelope(1, NewOrder("X", "AAA", Side.BUY, 10, price=100)))
    clock.t = 0.5
    on_a(_new(2, "X"))
    clock.t = 0.75
    on_b(Envelope(1, CancelReject("Q", "P", "AAA", RejectReason.UNKNOWN_ORDER, exec_seq=1)))
    assert tap.in_order_latencies() == [0.75]

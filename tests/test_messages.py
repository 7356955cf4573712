"""Messages are immutable value objects: the fast constructor keeps the dataclass's behaviour."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from venue.messages import ExecType, ExecutionReport, Heartbeat, OrdStatus, Side, Snapshot


def report(**changes: object) -> ExecutionReport:
    fields = dict(exec_seq=1, order_id="O1", cl_ord_id="c1", orig_cl_ord_id=None, symbol="AAA")
    fields |= dict(side=Side.BUY, exec_type=ExecType.NEW, status=OrdStatus.NEW, order_qty=10, price=100)
    return ExecutionReport(**{**fields, **changes})  # type: ignore[arg-type]


def test_fields_and_defaults_are_those_declared():
    r = report()
    assert (r.exec_seq, r.order_id, r.price, r.last_qty, r.reason, r.text, r.time) == (
        1,
        "O1",
        100,
        0,
        None,
        "",
        0.0,
    )
    assert Snapshot("AAA", 3, None, (), (), 0, 1.0).levels == 10  # type: ignore[arg-type]
    assert list(inspect.signature(ExecutionReport).parameters)[1:4] == [
        "order_id",
        "cl_ord_id",
        "orig_cl_ord_id",
    ]


def test_a_message_cannot_be_changed():
    r = report()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.price = 101  # type: ignore[misc]
    # A new attribute: AttributeError, or TypeError on Python 3.11, whose frozen slots dataclasses
    # call super() with the class as it was before slots were added (fixed in later Pythons).
    with pytest.raises((AttributeError, TypeError)):
        r.extra = 1  # type: ignore[attr-defined]


def test_equal_messages_compare_and_hash_equal():
    assert report() == report() and hash(report()) == hash(report())
    assert report(price=101) != report()
    assert dataclasses.replace(report(), price=101) == report(price=101)
    assert Heartbeat() == Heartbeat()


def test_missing_and_unknown_arguments_are_refused_by_name():
    with pytest.raises(TypeError, match="order_id"):
        ExecutionReport(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        report(colour="red")

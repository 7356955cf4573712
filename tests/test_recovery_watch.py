"""The recovery watch judges recovery from outside the system, so a system that does not recover
is seen not to."""

from __future__ import annotations

from harness.session import SessionSpec, TradingSession
from simulator.faults import FaultPlan

PLAN = FaultPlan.from_entries([{"at": 10, "fault": "disconnect", "account": "ALLUSE"}])


def _session() -> TradingSession:
    return TradingSession(SessionSpec(seed=11, symbols=2, faults=PLAN))


def test_a_system_that_reconnects_recovers():
    session = _session()
    try:
        session.run(30)
        assert [o.recovered for o in session.watch.outcomes] == [True]
        assert session.watch.rate() == (1, 1)
    finally:
        session.close()


def test_a_system_that_stays_disconnected_does_not_recover():
    session = _session()
    try:
        session.run(10.1)  # the disconnect has dropped the system's sessions
        session.system.stop()  # from now on nobody logs on again (no alert response restarts the pool)
        session.run(25)
        assert [o.recovered for o in session.watch.outcomes] == [False]
        assert session.watch.rate() == (0, 1)
    finally:
        session.close()


def test_a_fault_with_no_effect_is_not_judged():
    session = _session()
    try:
        session.run(9)
        session.system.optimizer.stop()  # no session of the account is left for the fault to drop
        session.run(25)
        assert [o.affected for o in session.watch.outcomes] == [False]
        assert session.watch.rate() == (0, 0)
    finally:
        session.close()

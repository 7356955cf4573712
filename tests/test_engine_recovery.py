"""The execution engine rebuilding its orders from the venue's replay after a restart on a restored
database: unknown orders adopted, nothing new sent until the replay is over, ids continued."""

from __future__ import annotations

from fakes import FakeClock

from system.intents import Amend, Place
from system.orders import TradingExecutionEngine
from venue.messages import ExecType, ExecutionReport, NewOrder, OrdStatus, Side


class Ledger:
    def __init__(self) -> None:
        self.fills: dict[str, tuple] = {}

    def position(self, symbol: str) -> int:
        return 0

    def apply_fill(self, fill_id, order_id, symbol, side, qty, price, time) -> bool:  # noqa: ANN001
        if fill_id in self.fills:
            return False
        self.fills[fill_id] = (order_id, symbol, side, qty, price)
        return True


class Risk:
    def check(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        return None


def engine_and_sent() -> tuple[TradingExecutionEngine, list]:
    sent: list = []
    engine = TradingExecutionEngine(FakeClock(), lambda m: sent.append(m) or True, Risk(), Ledger())
    engine.start()
    return engine, sent


B, S = Side.BUY, Side.SELL
REPLAY = [
    ExecutionReport(1, "O1", "ALU-7", None, "AAA", B, ExecType.NEW, OrdStatus.NEW, 200, 100, leaves_qty=200),
    ExecutionReport(
        2, "O1", "ALU-7", None, "AAA", B, ExecType.PARTIAL_FILL, OrdStatus.PARTIALLY_FILLED, 200, 100,
        last_qty=100, last_price=100, cum_qty=100, leaves_qty=100,
    ),
    ExecutionReport(3, "O2", "ALU-12", None, "BBB", S, ExecType.NEW, OrdStatus.NEW, 100, 50, leaves_qty=100),
]  # fmt: skip


def test_the_replay_rebuilds_the_orders_and_new_ids_continue_after_it():
    engine, sent = engine_and_sent()
    engine.recover_from_venue()
    assert engine.execute(Place("AAA", Side.BUY, 100, 100)) is None and not sent  # not before the replay
    for report in REPLAY:
        engine.on_message(report)
    assert engine.execute(Amend("ALU-7", 100, 101)) is None and not sent  # nor an amendment
    engine.on_session_ready()
    assert not engine.recovering and engine.adopted == 2 and engine.unmatched == 0
    first = engine.order("ALU-7")
    assert (first.order_id, first.status, first.cum_qty, first.fills) == (
        "O1",
        "partially_filled",
        100,
        [(2, 100, 100)],
    )
    assert engine.execute(Place("AAA", Side.BUY, 100, 100)) == "ALU-13"
    assert isinstance(sent[-1], NewOrder) and sent[-1].cl_ord_id == "ALU-13"


def test_without_recovery_an_unknown_report_stays_an_error():
    engine, _ = engine_and_sent()
    engine.on_message(REPLAY[0])
    assert engine.adopted == 0 and engine.unmatched == 1


def test_after_the_first_session_is_ready_unknown_reports_are_errors_again():
    engine, _ = engine_and_sent()
    engine.recover_from_venue()
    engine.on_session_ready()
    engine.on_message(REPLAY[0])
    assert engine.adopted == 0 and engine.unmatched == 1

"""The decision loop decides on one symbol at most every ``decision_interval``: a burst of updates
costs one decision on the latest book, taken by a timer when the interval is over."""

from __future__ import annotations

from system.bus import DataFlowManager
from system.cache import MarketDataEnhancer
from system.decisions import DecisionLoop
from system.marketdata import MarketDataSystem
from system.memory import BoundedBuffer
from system.perf import PerformanceAnalyzer
from tests.fakes import FakeClock, FakeTimer
from venue.messages import Quote


class Recorder:
    """A strategy that remembers the quotes it was asked about and never trades."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int]] = []
        self.clock: FakeClock | None = None

    def on_quote(self, symbol, quote, position, open_orders):  # noqa: ANN001, ANN201
        self.seen.append((self.clock.now(), quote.bid))
        return []


class Ledger:
    def positions(self) -> dict:
        return {}

    def position(self, symbol: str) -> int:
        return 0


class Engine:
    def open_orders(self, symbol: str) -> list:
        return []


def _loop(interval: float) -> tuple[DecisionLoop, MarketDataSystem, FakeTimer, Recorder]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    bus = DataFlowManager()
    bus.start()
    md = MarketDataSystem(["AAA"], clock, lambda symbol: None, bus=bus)
    md.start()
    cache = MarketDataEnhancer(md, clock)
    cache.start()
    strategy = Recorder()
    strategy.clock = clock
    loop = DecisionLoop(
        clock,
        md,
        cache,
        strategy,
        Engine(),
        Ledger(),
        None,
        PerformanceAnalyzer(),
        log=BoundedBuffer("decisions", 100),
        timer=timer,
        decision_interval=interval,
    )
    bus.subscribe("md.AAA", loop.on_update, consumer="decision_loop")
    loop.start()
    return loop, md, timer, strategy


def test_a_burst_makes_one_decision_now_and_one_on_the_latest_book_when_due() -> None:
    loop, md, timer, strategy = _loop(0.002)
    for seq, bid in enumerate((100, 101, 102, 103), start=1):
        md.on_market_data(Quote("AAA", seq, bid, 1, 110, 1, 0.0))
        loop.drain()
    assert strategy.seen == [(0.0, 100)]  # the rest is held back
    timer.advance(0.002)
    assert strategy.seen == [(0.0, 100), (0.002, 103)]  # one more decision, on the latest book
    assert timer.live() == 0


def test_without_an_interval_every_update_is_decided() -> None:
    loop, md, timer, strategy = _loop(0.0)
    for seq, bid in enumerate((100, 101, 102), start=1):
        md.on_market_data(Quote("AAA", seq, bid, 1, 110, 1, 0.0))
        loop.drain()
    assert [bid for _, bid in strategy.seen] == [100, 101, 102]


def test_stopping_cancels_the_pending_wake_up() -> None:
    loop, md, timer, strategy = _loop(0.002)
    md.on_market_data(Quote("AAA", 1, 100, 1, 110, 1, 0.0))
    loop.drain()
    md.on_market_data(Quote("AAA", 2, 101, 1, 110, 1, 0.0))
    loop.drain()
    loop.stop()
    timer.advance(1.0)
    assert strategy.seen == [(0.0, 100)]

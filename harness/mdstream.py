"""The market data baseline: a stream recorded from the simulated exchange, replayed into a fresh
market data system and timed on the wall clock.

Throughput is the whole stream through the system, median of three runs. Latency is each update
timed alone with ``perf_counter_ns`` into a histogram (1% buckets). The system publishes every
applied update on its bus to one consumer that counts, as the decision loop would be told.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import lru_cache
from time import perf_counter, perf_counter_ns

from simulator.world import Market, MarketConfig
from system.bus import DataFlowManager
from system.marketdata import MarketDataSystem
from system.perf import PerformanceAnalyzer
from venue.messages import MarketData

RUNS = 3


@dataclass(frozen=True)
class Recording:
    symbols: tuple[str, ...]
    messages: tuple[MarketData, ...]
    tops: dict[str, tuple[int, int, int, int]]  # the exchange's top of book at the end
    depths: dict[str, tuple]
    simulated_seconds: float


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


@lru_cache(maxsize=2)
def record(seed: int, updates: int, profile: str, symbols: int) -> Recording:
    """Run a market until its feed has published at least ``updates`` messages, recording them all.

    The run stops between exchange events, so the exchange's books at the end are the truth the
    recorded stream must rebuild."""
    market = Market(MarketConfig(seed=seed, symbols=symbols, profile=profile))
    seen: list[MarketData] = []
    market.exchange.feed.subscribe(seen.append)
    while len(seen) < updates:
        market.run(market.env.now + 5.0)
    market.close()
    tops: dict[str, tuple[int, int, int, int]] = {}
    depths: dict[str, tuple] = {}
    for symbol in market.symbols:
        book = market.exchange.book(symbol)
        bid, ask = book.best_bid() or (0, 0), book.best_ask() or (0, 0)
        tops[symbol] = (bid[0], bid[1], ask[0], ask[1])
        depths[symbol] = book.depth(market.exchange.feed.levels)
    return Recording(tuple(market.symbols), tuple(seen), tops, depths, market.env.now)


def _consumer(_seq: int, _message: object) -> None:
    """Stands for the decision loop, which only notes which symbol changed."""


def _system(recording: Recording) -> tuple[MarketDataSystem, _Clock, DataFlowManager]:
    clock = _Clock()
    bus = DataFlowManager()
    md = MarketDataSystem(list(recording.symbols), clock, request_snapshot=lambda _s: None, bus=bus)
    for symbol in recording.symbols:
        bus.subscribe(f"md.{symbol}", _consumer, consumer="decision_loop")
    bus.start()
    md.start()
    return md, clock, bus


def throughput(recording: Recording) -> tuple[float, MarketDataSystem]:
    """Median updates per wall second over RUNS runs of the whole stream; and the last run's system."""
    rates = []
    md = None
    for _ in range(RUNS):
        md, clock, bus = _system(recording)
        handle = md.on_market_data
        messages = recording.messages
        started = perf_counter()
        for message in messages:
            clock.t = message.time
            handle(message)
        rates.append(len(messages) / (perf_counter() - started))
        if md.updates != len(messages) or bus.delivered != md.updates:
            raise AssertionError(
                f"of {len(messages)} updates, {md.updates} applied and {bus.delivered} delivered on the bus"
            )
    return statistics.median(rates), md


def latency(recording: Recording) -> PerformanceAnalyzer:
    md, clock, _bus = _system(recording)
    handle = md.on_market_data
    timings = PerformanceAnalyzer()
    record_time = timings.record
    for message in recording.messages:
        clock.t = message.time
        started = perf_counter_ns()
        handle(message)
        record_time("update", (perf_counter_ns() - started) / 1e9)
    return timings


def book_differences(recording: Recording, md: MarketDataSystem) -> list[str]:
    out = []
    for symbol in recording.symbols:
        top = md.top(symbol)
        seen = None if top is None else (top.bid, top.bid_qty, top.ask, top.ask_qty)
        if seen != recording.tops.get(symbol):
            out.append(f"{symbol} top: system {seen}, exchange {recording.tops.get(symbol)}")
        if md.depth(symbol) != recording.depths[symbol]:
            out.append(f"{symbol} depth: system {md.depth(symbol)}, exchange {recording.depths[symbol]}")
    return out

"""Tests of the market data enhancer: exact version-checked hits, misses, and unavailable quotes."""

from __future__ import annotations

import pytest

from system.cache import CachedQuote, MarketDataEnhancer
from system.component import Component, HealthState
from system.errors import InvalidInput
from system.marketdata import MarketDataSystem
from venue.messages import Phase, Quote, Side, Snapshot, TradePrint, TradingStatus


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def q(seq: int, bid: int = 100, bq: int = 1, ask: int = 104, aq: int = 3, sym: str = "AAA") -> Quote:
    return Quote(sym, seq, bid, bq, ask, aq, float(seq))


def make(max_age: float | None = None) -> tuple[MarketDataSystem, MarketDataEnhancer, FakeClock]:
    clock = FakeClock()
    md = MarketDataSystem(["AAA", "BBB"], clock, lambda symbol: None)
    md.start()
    cache = MarketDataEnhancer(md, clock, max_age=max_age)
    cache.start()
    return md, cache, clock


def test_is_a_component() -> None:
    _, cache, _ = make()
    assert isinstance(cache, Component)
    assert cache.health().state is HealthState.HEALTHY
    cache.stop()
    assert cache.health().state is HealthState.STOPPED


def test_derived_figures() -> None:
    md, cache, _ = make()
    md.on_market_data(q(1))
    md.on_market_data(TradePrint("AAA", 2, 102, 1, Side.BUY, 2.0))
    quote = cache.quote("AAA")
    assert quote == CachedQuote("AAA", 100, 104, 102.0, 4, 2.0, 1)
    assert cache.validate() == []


def test_size_only_change_is_a_hit_and_serves_no_sizes() -> None:
    md, cache, _ = make()
    md.on_market_data(q(1))
    first = cache.quote("AAA")
    md.on_market_data(q(2, bq=50, aq=70))  # size-only change at the touch
    assert cache.quote("AAA") is first
    assert (cache.hits, cache.misses) == (1, 1)
    assert not hasattr(first, "bid_qty") and not hasattr(first, "microprice")
    top = md.top("AAA")
    assert top is not None and (top.bid_qty, top.ask_qty) == (50, 70)  # sizes read live
    md.on_market_data(q(3, bid=101, bq=50, aq=70))  # a price change rebuilds
    second = cache.quote("AAA")
    assert second is not None and second.bid == 101 and second is not first
    assert cache.validate() == []


def test_hit_then_miss_after_the_book_moves() -> None:
    md, cache, _ = make()
    md.on_market_data(q(1))
    first = cache.quote("AAA")
    assert (cache.hits, cache.misses) == (0, 1)
    assert cache.quote("AAA") is first
    assert (cache.hits, cache.misses) == (1, 1)
    md.on_market_data(q(2))  # same top: still valid
    assert cache.quote("AAA") is first
    md.on_market_data(q(3, bid=101))
    second = cache.quote("AAA")
    assert second is not None and second.bid == 101  # never the outdated top
    assert (cache.hits, cache.misses) == (2, 2)
    assert cache.hit_rate() == 0.5
    m = cache.metrics()
    assert m["market_data_enhancer.hits"] == 2
    assert m["market_data_enhancer.misses"] == 2
    assert m["market_data_enhancer.hit_rate"] == 0.5


def test_hit_rate_is_zero_without_reads() -> None:
    _, cache, _ = make()
    assert cache.hit_rate() == 0.0
    cache.quote("ZZZ")
    assert cache.hit_rate() == 0.0
    assert cache.unavailable == 1


@pytest.mark.parametrize(
    "setup",
    [
        "unknown",
        "no_data",
        "one_sided",
        "halted",
        "recovering",
        "stale",
    ],
)
def test_unavailable_quotes(setup: str) -> None:
    md, cache, clock = make()
    symbol = "AAA"
    md.on_market_data(q(1))
    assert cache.quote(symbol) is not None  # cached before the condition arises
    if setup == "unknown":
        symbol = "ZZZ"
    elif setup == "no_data":
        symbol = "BBB"
    elif setup == "one_sided":
        md.on_market_data(q(2, bid=0, bq=0))
    elif setup == "halted":
        md.on_market_data(TradingStatus("AAA", 2, Phase.HALTED, "halt", 2.0))
    elif setup == "recovering":
        md.on_market_data(q(5))
        assert md.recovering("AAA")
    elif setup == "stale":
        clock.t = 10.0
    before = (cache.hits, cache.misses)
    assert cache.quote(symbol) is None
    assert cache.unavailable == 1
    assert (cache.hits, cache.misses) == before


def test_available_again_after_recovery_snapshot() -> None:
    md, cache, _ = make()
    md.on_market_data(q(1))
    cache.quote("AAA")
    md.on_market_data(q(3))
    assert cache.quote("AAA") is None
    md.on_market_data(Snapshot("AAA", 3, Phase.CONTINUOUS, ((90, 2),), ((95, 2),), 92, 3.0))
    quote = cache.quote("AAA")
    assert quote is not None and (quote.bid, quote.ask, quote.mid) == (90, 95, 92.5)


def test_max_age_bounds_how_long_an_entry_is_served() -> None:
    md, cache, clock = make(max_age=0.25)
    md.on_market_data(q(1))
    first = cache.quote("AAA")
    clock.t = 1.2
    md.on_market_data(q(2))  # keeps the feed fresh without moving the top
    second = cache.quote("AAA")
    assert second is not first and second is not None and first is not None
    assert (second.bid, second.ask, second.version) == (first.bid, first.ask, first.version)
    assert (cache.hits, cache.misses) == (0, 2)
    assert cache.quote("AAA") is second
    assert cache.hits == 1


def test_bad_max_age_is_refused() -> None:
    md, _, clock = make()
    with pytest.raises(InvalidInput):
        MarketDataEnhancer(md, clock, max_age=0)


def test_health_follows_state_not_a_constant() -> None:
    md, cache, clock = make()
    md.on_market_data(q(1))
    md.on_market_data(q(1, sym="BBB"))
    assert cache.health().state is HealthState.HEALTHY
    clock.t = 10.0  # nothing for longer than the stale bound: no quote can be served
    assert cache.health().state is HealthState.DEGRADED
    clock.t = 1.0
    md.on_market_data(q(5))  # gaps on both symbols: both recovering
    md.on_market_data(q(5, sym="BBB"))
    assert cache.health().state is HealthState.DEGRADED


def test_observers_see_every_quote_served() -> None:
    md, cache, _ = make()
    seen: list[tuple[str, int, int]] = []
    cache.observe(lambda symbol, quote: seen.append((symbol, quote.bid, quote.ask)))
    md.on_market_data(q(1))
    cache.quote("AAA")
    cache.quote("AAA")
    assert seen == [("AAA", 100, 104)] * 2

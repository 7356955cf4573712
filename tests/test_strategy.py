"""Tests of the reference mean-reversion strategy and its factory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

from system.errors import InvalidInput
from system.intents import Amend, Cancel, Place
from system.strategy import CONFIG_PATH, MeanReversion, MeanReversionParams, Strategy, make_strategy
from venue.messages import Side, TimeInForce

B, S = Side.BUY, Side.SELL
BASE = 1_000_000


@dataclass(frozen=True)
class Quote:
    bid: int | None
    ask: int | None
    bid_qty: int = 500
    ask_qty: int = 500
    version: int = 0

    @property
    def mid(self) -> float | None:
        return None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2

    @property
    def spread(self) -> int | None:
        return None if self.bid is None or self.ask is None else self.ask - self.bid


@dataclass(frozen=True)
class Order:
    cl_ord_id: str
    side: Side
    price: int | None
    leaves_qty: int = 100
    pending: bool = False


class Clock:
    def now(self) -> float:
        return 0.0


def q(mid: int, half: int = 100) -> Quote:
    return Quote(mid - half, mid + half)


# The unit tests pin the signal's shape (a slow mean, a wide band, rare taking) rather than
# follow the shipped defaults, so they keep testing the logic when the defaults are tuned.
PINNED = {"alpha": 0.05, "threshold": 1.5, "take_every": 10}


def make(**params) -> MeanReversion:
    strat = make_strategy("mean_reversion", {**PINNED, **params}, ["AAA", "BBB"], Clock())
    assert isinstance(strat, MeanReversion)
    return strat


def warm(strat: MeanReversion, n: int, symbol: str = "AAA") -> None:
    """Feed ``n`` quiet quotes whose mids alternate by one tick, which builds a small variance."""
    for i in range(n):
        assert strat.on_quote(symbol, q(BASE + 100 * (i % 2)), 0, []) == []


# --- factory and config ---------------------------------------------------------------------------


def test_config_file_loads_and_matches_defaults():
    data = yaml.safe_load(CONFIG_PATH.read_text())
    assert MeanReversionParams(**data["mean_reversion"]) == MeanReversionParams()
    assert make_strategy("mean_reversion", {}, ["AAA", "BBB"], Clock()).params == MeanReversionParams()


def test_is_a_strategy():
    assert isinstance(make(), Strategy)


def test_params_override_defaults():
    strat = make(warmup=5, qty=200)
    assert strat.params.warmup == 5 and strat.params.qty == 200 and strat.params.alpha == 0.05


def test_unknown_strategy():
    with pytest.raises(InvalidInput) as info:
        make_strategy("x", {}, ["AAA"], Clock())
    assert info.value.field == "strategy"
    assert "unknown strategy 'x' (known: mean_reversion)" in str(info.value)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"alhpa": 0.1}, "alhpa"),
        ({"warmup": "10"}, "warmup"),
        ({"qty": 150}, "qty"),
        ({"qty": 0}, "qty"),
        ({"qty": 2_000}, "qty"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"threshold": -1}, "threshold"),
        ({"tick": 0}, "tick"),
        ({"take_every": -1}, "take_every"),
        ({"max_position": True}, "max_position"),
    ],
)
def test_bad_params_refused_by_name(params, field):
    with pytest.raises(InvalidInput) as info:
        make(**params)
    assert info.value.field == field


def test_params_must_be_mapping():
    with pytest.raises(InvalidInput) as info:
        make_strategy("mean_reversion", [("warmup", 1)], ["AAA"], Clock())  # type: ignore[arg-type]
    assert info.value.field == "strategy_params"


def test_unknown_symbol_refused_and_state_kept():
    strat = make(warmup=3)
    warm(strat, 2)
    with pytest.raises(InvalidInput) as info:
        strat.on_quote("ZZZ", q(BASE), 0, [])
    assert info.value.field == "symbol"
    assert strat.seen("AAA") == 2


# --- trading --------------------------------------------------------------------------------------


def test_no_trading_during_warmup():
    strat = make(warmup=30, take_every=0)
    warm(strat, 29)
    assert strat.on_quote("AAA", q(BASE + 50_000), 0, []) == []  # 30th quote: still warming up
    strat2 = make(warmup=30, take_every=0)
    warm(strat2, 30)
    assert strat2.on_quote("AAA", q(BASE + 50_000), 0, []) == [
        Place("AAA", S, 100, BASE + 50_100, TimeInForce.GTC)
    ]


def test_quiet_market_no_orders():
    strat = make(warmup=30)
    warm(strat, 500)


def test_entry_sell_when_mid_above_mean():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE + 5_000), 0, []) == [Place("AAA", S, 100, BASE + 5_100)]


def test_entry_buy_when_mid_below_mean():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE - 5_000), 0, []) == [Place("AAA", B, 100, BASE - 5_100)]


def test_symbols_are_independent():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10, "AAA")
    warm(strat, 3, "BBB")
    assert strat.on_quote("BBB", q(BASE - 5_000), 0, []) == []
    assert strat.on_quote("AAA", q(BASE - 5_000), 0, []) != []


def test_take_every_nth_entry_is_ioc_at_far_touch():
    strat = make(warmup=10, take_every=2)
    warm(strat, 10)
    first = strat.on_quote("AAA", q(BASE - 5_000), 0, [])
    assert first == [Place("AAA", B, 100, BASE - 5_100, TimeInForce.GTC)]
    second = strat.on_quote("AAA", q(BASE - 10_000), 100, [])
    assert second == [Place("AAA", B, 100, BASE - 9_900, TimeInForce.IOC)]
    third = strat.on_quote("AAA", q(BASE - 20_000), 200, [])
    assert third[0].tif is TimeInForce.GTC


def test_sell_ioc_takes_at_bid():
    strat = make(warmup=10, take_every=1)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE + 5_000), 0, []) == [
        Place("AAA", S, 100, BASE + 4_900, TimeInForce.IOC)
    ]


def test_position_cap():
    strat = make(warmup=10, take_every=0, max_position=1_000)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE - 5_000), 1_000, []) == []
    assert strat.on_quote("AAA", q(BASE - 8_000), 900, []) == [Place("AAA", B, 100, BASE - 8_100)]
    # but a sell reducing a capped long is fine
    assert strat.on_quote("AAA", q(BASE + 30_000), 1_000, [])[0].side is S


def test_position_cap_short_side():
    strat = make(warmup=10, take_every=0, max_position=1_000)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE + 5_000), -1_000, []) == []
    assert strat.on_quote("AAA", q(BASE + 8_000), -950, []) == []  # would reach -1050


def test_one_order_per_side_no_duplicate():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    resting = Order("c1", B, BASE - 5_100)
    assert strat.on_quote("AAA", q(BASE - 5_000), 0, [resting]) == []


def test_amend_when_touch_moves():
    strat = make(warmup=10, take_every=0, requote_ticks=2, tick=100)
    warm(strat, 10)
    resting = Order("c1", B, BASE - 5_100, leaves_qty=60)
    # touch 2 ticks away: within tolerance
    assert strat.on_quote("AAA", q(BASE - 5_200), 0, [resting]) == []
    # touch 3 ticks away: amend to the new bid, keeping the leaves
    assert strat.on_quote("AAA", q(BASE - 5_500), 0, [resting]) == [Amend("c1", 60, BASE - 5_600)]


def test_no_amend_while_pending():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    resting = Order("c1", B, BASE - 5_100, pending=True)
    assert strat.on_quote("AAA", q(BASE - 9_000), 0, [resting]) == []


def test_cancel_on_flip():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    resting_buy = Order("c1", B, BASE - 100)
    out = strat.on_quote("AAA", q(BASE + 5_000), 0, [resting_buy])
    assert out == [Cancel("c1"), Place("AAA", S, 100, BASE + 5_100)]


def test_no_cancel_of_pending_other_side():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    out = strat.on_quote("AAA", q(BASE + 5_000), 0, [Order("c1", B, BASE - 100, pending=True)])
    assert out == [Place("AAA", S, 100, BASE + 5_100)]


def test_one_sided_quote_is_ignored():
    strat = make(warmup=1)
    assert strat.on_quote("AAA", Quote(None, BASE), 0, []) == []
    assert strat.seen("AAA") == 0


def test_deterministic():
    def run() -> list:
        strat = make(warmup=5, take_every=3)
        out = []
        for i in range(300):
            mid = BASE + 100 * ((i * 37) % 23) - 1_100
            out.append(strat.on_quote("AAA", q(mid), 0, []))
        return out

    assert run() == run()


def test_extra_orders_on_one_side_are_cancelled():
    strat = make(warmup=10, take_every=0)
    warm(strat, 10)
    orders = [Order("c1", B, BASE - 5_100), Order("c2", B, BASE - 5_100), Order("c3", B, 1, pending=True)]
    assert strat.on_quote("AAA", q(BASE - 5_000), 0, orders) == [Cancel("c2")]


def test_open_orders_count_towards_cap_on_same_side_only():
    strat = make(warmup=10, take_every=0, max_position=200)
    warm(strat, 10)
    # a resting sell does not block a buy entry, and is cancelled on the flip
    out = strat.on_quote("AAA", q(BASE - 5_000), 100, [Order("s1", S, BASE + 100, leaves_qty=100)])
    assert out == [Cancel("s1"), Place("AAA", B, 100, BASE - 5_100)]


# --- relative (basket) mode -----------------------------------------------------------------------


class Basket:
    """A quote accessor over a dict of current quotes that records every read."""

    def __init__(self, mids: dict[str, int]) -> None:
        self.quotes: dict[str, Quote | None] = {s: q(m) for s, m in mids.items()}
        self.reads: list[str] = []

    def __call__(self, symbol: str) -> Quote | None:
        self.reads.append(symbol)
        return self.quotes.get(symbol)

    def set(self, symbol: str, mid: int) -> Quote:
        quote = self.quotes[symbol] = q(mid)
        return quote


SYMBOLS = ["AAA", "BBB", "CCC"]


def make_relative(basket: Basket, symbols: list[str] = SYMBOLS, **params) -> MeanReversion:
    strat = make_strategy(
        "mean_reversion", {**PINNED, "take_every": 0, **params}, symbols, Clock(), quotes=basket
    )
    assert isinstance(strat, MeanReversion)
    return strat


def warm_relative(strat: MeanReversion, basket: Basket, n: int, symbol: str = "AAA") -> None:
    """Quiet basket: the symbol alternates by one tick while the others stay put."""
    for i in range(n):
        quote = basket.set(symbol, BASE + 100 * (i % 2))
        assert strat.on_quote(symbol, quote, 0, []) == []


def test_relative_is_the_default_and_needs_accessor_and_two_symbols():
    assert MeanReversionParams().relative is True
    assert make_relative(Basket({s: BASE for s in SYMBOLS})).relative
    assert not make().relative  # no accessor
    assert not make_relative(Basket({"AAA": BASE}), ["AAA"]).relative  # one symbol
    assert not make_relative(Basket({s: BASE for s in SYMBOLS}), relative=False).relative


def test_relative_reads_every_other_symbol_through_the_accessor():
    basket = Basket({s: BASE for s in SYMBOLS})
    strat = make_relative(basket, warmup=30)
    strat.on_quote("BBB", basket.quotes["BBB"], 0, [])  # type: ignore[arg-type]
    assert sorted(basket.reads) == ["AAA", "CCC"]  # its own quote is the one being decided on
    basket.reads.clear()
    warm_relative(strat, basket, 5)
    assert basket.reads == ["BBB", "CCC"] * 5


def test_relative_symbol_moving_with_the_basket_gives_no_signal():
    basket = Basket({s: BASE for s in SYMBOLS})
    strat = make_relative(basket, warmup=10)
    warm_relative(strat, basket, 10)
    for s in SYMBOLS:  # the whole basket rallies 5%
        basket.set(s, BASE + 50_000)
    assert strat.on_quote("AAA", basket.quotes["AAA"], 0, []) == []  # type: ignore[arg-type]
    # the same rally on the raw mid is a sell signal in absolute mode
    absolute = make_relative(basket, warmup=10, relative=False)
    warm(absolute, 10)
    assert absolute.on_quote("AAA", q(BASE + 50_000), 0, []) != []


def test_relative_symbol_diverging_from_the_basket_signals():
    basket = Basket({s: BASE for s in SYMBOLS})
    strat = make_relative(basket, warmup=10)
    warm_relative(strat, basket, 10)
    up = basket.set("AAA", BASE + 5_000)
    assert strat.on_quote("AAA", up, 0, []) == [Place("AAA", S, 100, BASE + 5_100)]  # priced off own quote
    basket2 = Basket({s: BASE for s in SYMBOLS})
    strat2 = make_relative(basket2, warmup=10)
    warm_relative(strat2, basket2, 10)
    basket2.set("BBB", BASE + 5_000)  # the others rally, AAA stays: AAA is cheap to the basket
    basket2.set("CCC", BASE + 5_000)
    assert strat2.on_quote("AAA", basket2.set("AAA", BASE), 0, []) == [Place("AAA", B, 100, BASE - 100)]


def test_relative_needs_two_available_mids():
    basket = Basket({s: BASE for s in SYMBOLS})
    strat = make_relative(basket, warmup=1)
    basket.quotes["BBB"] = None
    basket.quotes["CCC"] = Quote(None, BASE)  # one-sided
    assert strat.on_quote("AAA", q(BASE), 0, []) == []
    assert strat.seen("AAA") == 0  # nothing observed without a basket
    basket.set("CCC", BASE)
    assert strat.on_quote("AAA", q(BASE), 0, []) == []
    assert strat.seen("AAA") == 1


def test_relative_with_one_symbol_falls_back_to_absolute():
    basket = Basket({"AAA": BASE})
    strat = make_relative(basket, ["AAA"], warmup=10)
    warm(strat, 10)
    assert strat.on_quote("AAA", q(BASE + 5_000), 0, []) == [Place("AAA", S, 100, BASE + 5_100)]
    assert basket.reads == []


def test_quotes_accessor_must_be_callable():
    with pytest.raises(InvalidInput) as info:
        make_strategy("mean_reversion", {}, SYMBOLS, Clock(), quotes=42)  # type: ignore[arg-type]
    assert info.value.field == "quotes"

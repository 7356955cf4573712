"""The instruments an exchange lists: ticker, company name, tick, lot, reference price and price band.

Generated instruments take their company names from Faker and their prices from the run's own
seeded generator, so the same seed lists the same market.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from faker import Faker

from venue.messages import PRICE_SCALE


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    name: str
    tick: int  # price units
    lot: int  # shares
    reference_price: int  # price units; the static band is centred on it
    band_pct: float  # orders priced more than this fraction from the reference are refused

    def __post_init__(self) -> None:
        if not self.symbol or not self.symbol.isalnum():
            raise ValueError(f"instrument symbol must be alphanumeric, got {self.symbol!r}")
        if self.tick <= 0 or self.lot <= 0 or self.reference_price <= 0 or self.band_pct <= 0:
            raise ValueError(f"{self.symbol}: tick, lot, reference price and band must be positive")
        if self.reference_price % self.tick:
            raise ValueError(f"{self.symbol}: reference price {self.reference_price} is off the tick")

    @property
    def band(self) -> tuple[int, int]:
        """The lowest and highest price an order may carry."""
        width = int(self.reference_price * self.band_pct)
        return max(self.tick, self.reference_price - width), self.reference_price + width


def _ticker(name: str, taken: set[str]) -> str:
    letters = "".join(ch for ch in name.upper() if "A" <= ch <= "Z")
    base = (letters + "XXXX")[:4]
    candidates = [base[:3], base, base[:2] + letters[-2:] if len(letters) > 3 else base]
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    n = 2
    while f"{base[:3]}{n}" in taken:
        n += 1
    return f"{base[:3]}{n}"


def generate(
    count: int,
    rng: random.Random,
    faker_seed: int,
    tick: int = PRICE_SCALE // 100,
    lot: int = 100,
    band_pct: float = 0.25,
) -> list[Instrument]:
    """``count`` instruments with unique tickers and prices spread log-uniformly from 10 to 400."""
    if count < 1:
        raise ValueError(f"need at least one symbol, got {count}")
    fake = Faker()
    fake.seed_instance(faker_seed)
    taken: set[str] = set()
    out = []
    for _ in range(count):
        name = fake.unique.company()
        symbol = _ticker(name, taken)
        taken.add(symbol)
        dollars = math.exp(rng.uniform(math.log(10.0), math.log(400.0)))
        reference = max(1, round(dollars * PRICE_SCALE / tick)) * tick
        out.append(Instrument(symbol, name, tick, lot, reference, band_pct))
    return out

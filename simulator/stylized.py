"""Stylized facts of a simulated market, measured from prices sampled on a fixed grid (pure Python).

Real markets share a few statistical traits that a believable simulator must reproduce:

- **fat tails**: returns have positive excess kurtosis (a normal distribution has 0);
- **no linear predictability**: the autocorrelation of raw returns is near 0 at every lag;
- **volatility clustering**: the autocorrelation of *absolute* returns is clearly positive and decays
  slowly over many lags.

:func:`measure` takes one price series or several (one per symbol) sampled on the same grid, turns
each into log returns and pools them: kurtosis and skewness are of the returns standardized per
series (symbols with different volatilities do not fake fat tails), and each autocorrelation is the
sum of the series' autocovariances over the sum of their variances (each about its own mean).
A figure that is undefined (too few returns, or a constant series) is ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class StylizedFacts:
    returns: int  # how many returns were pooled
    mean: float  # of the raw log returns
    stdev: float  # of the raw log returns, pooled over the series
    skewness: float
    excess_kurtosis: float
    zero_share: float  # share of returns exactly 0 (the price did not move a tick)
    acf_returns: tuple[float, ...]  # autocorrelation of returns at lags 1, 2, ...
    acf_abs_returns: tuple[float, ...]  # autocorrelation of absolute returns at lags 1, 2, ...

    def table(self) -> list[tuple[str, str]]:
        """(figure, value) rows for :func:`tabulate.tabulate`."""

        def lags(values: tuple[float, ...]) -> str:
            return " ".join(f"{v:+.3f}" for v in values)

        return [
            ("returns", str(self.returns)),
            ("mean return", f"{self.mean:.3e}"),
            ("stdev of returns", f"{self.stdev:.3e}"),
            ("skewness", f"{self.skewness:.3f}"),
            ("excess kurtosis (fat tails if > 0)", f"{self.excess_kurtosis:.3f}"),
            ("share of zero returns", f"{self.zero_share:.3f}"),
            (f"acf of returns, lags 1-{len(self.acf_returns)} (near 0)", lags(self.acf_returns)),
            (
                f"acf of |returns|, lags 1-{len(self.acf_abs_returns)} (clustering if > 0)",
                lags(self.acf_abs_returns),
            ),
        ]


def log_returns(prices: Iterable[float]) -> list[float]:
    """Log returns between consecutive prices; a non-positive price (no market) breaks the chain."""
    out: list[float] = []
    previous = None
    for price in prices:
        if price <= 0:
            previous = None
            continue
        if previous is not None:
            out.append(math.log(price / previous))
        previous = price
    return out


def autocorrelation(series: Sequence[Sequence[float]], lags: int) -> tuple[float, ...]:
    """Pooled autocorrelation at lags 1..``lags`` of several series, each about its own mean."""
    centred = []
    denominator = 0.0
    for xs in series:
        if not xs:
            continue
        m = math.fsum(xs) / len(xs)
        c = [x - m for x in xs]
        centred.append(c)
        denominator += math.fsum(v * v for v in c)
    if denominator == 0.0:
        return tuple(NAN for _ in range(lags))
    return tuple(
        math.fsum(math.fsum(a * b for a, b in zip(c, c[k:], strict=False)) for c in centred) / denominator
        for k in range(1, lags + 1)
    )


def moments(series: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(skewness, excess kurtosis) of the series pooled after standardizing each one."""
    n = 0
    m3 = m4 = 0.0
    for xs in series:
        if len(xs) < 2:
            continue
        m = math.fsum(xs) / len(xs)
        sd = math.sqrt(math.fsum((x - m) ** 2 for x in xs) / len(xs))
        if sd == 0.0:
            continue
        zs = [(x - m) / sd for x in xs]
        m3 += math.fsum(z**3 for z in zs)
        m4 += math.fsum(z**4 for z in zs)
        n += len(zs)
    if n == 0:
        return NAN, NAN
    return m3 / n, m4 / n - 3.0


def measure(prices: Sequence[float] | Mapping[str, Sequence[float]], lags: int = 10) -> StylizedFacts:
    """The stylized facts of one price series, or of several (a mapping, e.g. one per symbol)."""
    groups = list(prices.values()) if isinstance(prices, Mapping) else [prices]
    series = [r for r in (log_returns(p) for p in groups) if r]
    pooled = [x for xs in series for x in xs]
    n = len(pooled)
    if n < 2:
        return StylizedFacts(n, NAN, NAN, NAN, NAN, NAN, (NAN,) * lags, (NAN,) * lags)
    mean = math.fsum(pooled) / n
    squares = 0.0
    for xs in series:
        m = math.fsum(xs) / len(xs)
        squares += math.fsum((x - m) ** 2 for x in xs)
    skewness, kurtosis = moments(series)
    return StylizedFacts(
        returns=n,
        mean=mean,
        stdev=math.sqrt(squares / n),
        skewness=skewness,
        excess_kurtosis=kurtosis,
        zero_share=sum(1 for x in pooled if x == 0.0) / n,
        acf_returns=autocorrelation(series, lags),
        acf_abs_returns=autocorrelation([[abs(x) for x in xs] for xs in series], lags),
    )

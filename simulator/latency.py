"""The latency model: how long a message takes on each link between a client and the exchange.

Links: ``client_to_gateway`` (both ways on an order-entry connection), ``gateway_to_matching``
(both ways between the gateway and the matching engine) and ``feed_to_client`` (market data and
snapshots). Each has a distribution (constant, normal, lognormal or empirical) plus uniform
jitter, drawn from the run's seeded generator. A latency spike multiplies a link's delays for a
while. Links are FIFO: the caller keeps per-connection order (see :class:`FifoLink`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

LINKS = ("client_to_gateway", "gateway_to_matching", "feed_to_client")
KINDS = ("constant", "normal", "lognormal", "empirical")


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seconds. ``constant``: value; ``normal``: mean, std (never below floor); ``lognormal``: median,
    sigma of the log; ``empirical``: one of ``values`` uniformly. Then plus uniform [0, jitter)."""

    kind: str
    value: float = 0.0
    mean: float = 0.0
    std: float = 0.0
    median: float = 0.0
    sigma: float = 0.0
    values: tuple[float, ...] = ()
    jitter: float = 0.0
    floor: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"latency kind {self.kind!r} unknown (known: {', '.join(KINDS)})")
        numbers = (self.value, self.mean, self.std, self.median, self.sigma, self.jitter, self.floor)
        if any(not math.isfinite(x) or x < 0 for x in (*numbers, *self.values)):
            raise ValueError(f"latency parameters must be finite and not negative: {self}")
        if self.kind == "lognormal" and self.median <= 0:
            raise ValueError("a lognormal latency needs a positive median")
        if self.kind == "empirical" and not self.values:
            raise ValueError("an empirical latency needs values")

    def sample(self, rng: random.Random) -> float:
        kind = self.kind
        if kind == "lognormal":
            x = self.median * math.exp(self.sigma * rng.gauss(0.0, 1.0))
        elif kind == "constant":
            x = self.value
        elif kind == "normal":
            x = rng.gauss(self.mean, self.std)
        else:
            x = self.values[rng.randrange(len(self.values))]
        if self.jitter:
            x += rng.random() * self.jitter
        return x if x > self.floor else self.floor

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Distribution:
        known = {f for f in cls.__dataclass_fields__}
        for key in data:
            if key not in known:
                raise ValueError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        args = dict(data)
        if "values" in args:
            args["values"] = tuple(float(v) for v in args["values"])
        try:
            return cls(**args)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None


DEFAULT_LINKS = {
    "client_to_gateway": Distribution("lognormal", median=0.0009, sigma=0.35, jitter=0.0002, floor=0.0002),
    "gateway_to_matching": Distribution("lognormal", median=0.00025, sigma=0.25, floor=0.00005),
    "feed_to_client": Distribution("lognormal", median=0.0008, sigma=0.35, jitter=0.0002, floor=0.0002),
}


@dataclass
class LatencyModel:
    rng: random.Random
    links: dict[str, Distribution] = field(default_factory=lambda: dict(DEFAULT_LINKS))
    _spikes: dict[str, tuple[float, float]] = field(default_factory=dict)  # link -> (factor, until)

    def __post_init__(self) -> None:
        for name in self.links:
            if name not in LINKS:
                raise ValueError(f"latency link {name!r} unknown (known: {', '.join(LINKS)})")

    def sample(self, link: str, now: float) -> float:
        delay = self.links[link].sample(self.rng)
        spike = self._spikes.get(link)
        if spike is not None:
            if now < spike[1]:
                delay *= spike[0]
            else:
                del self._spikes[link]
        return delay

    def spike(self, link: str, factor: float, until: float) -> None:
        if link not in self.links:
            raise ValueError(f"latency link {link!r} unknown (known: {', '.join(LINKS)})")
        self._spikes[link] = (factor, until)


class FifoLink:
    """A one-way link that keeps order: nothing arrives before what was sent ahead of it."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = 0.0

    def arrival(self, now: float, delay: float) -> float:
        at = now + delay
        if at < self.last:
            at = self.last
        self.last = at
        return at

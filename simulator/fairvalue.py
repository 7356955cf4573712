"""The fair value of one symbol: the price informed traders believe in and market makers quote around.

A log-price random walk stepped in simulated time on a fixed grid of ``step`` seconds:

- **volatility clustering**: the variance of each step's diffusive return follows GARCH(1,1),
  ``h' = omega + alpha * r**2 + beta * h`` with ``omega`` set so the long-run variance per second is
  ``vol_per_second ** 2``; a large move raises the next steps' variance, which then decays at rate
  ``alpha + beta`` per step.
- **jumps** (Merton): a compound Poisson process, ``jump_rate`` jumps per second of normally
  distributed log size; exact exponential waiting times, so the rate does not depend on ``step``.
  Jumps are kept out of the GARCH recursion: one jump squared would dwarf the diffusive variance.
- **a scheduled crash** (optional, the flash_crash profile): a deterministic log-price offset that
  falls by ``depth`` over ``fall_seconds`` and then wins back ``recovery`` of it over
  ``recover_seconds``; the variance is multiplied by ``vol_boost`` when the fall starts, so the
  market stays nervous afterwards.

The ``- h / 2`` drift keeps the price itself (not its log) a martingale between jumps. All draws come
from the one ``random.Random`` given to the constructor (see :func:`simulator.rng.stream`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from userfiles.schema import Number, checked


@checked
@dataclass(frozen=True, slots=True)
class FairValueParams:
    """How one symbol's fair value moves. Volatilities are of log returns, in per-second units.

    The ranges are checked when a profile is loaded: 1% a second is far beyond any real market,
    and a step under 0.01 s would cost more than a hundred updates a second per symbol.
    """

    # long-run standard deviation of the diffusive log return over one second
    vol_per_second: Annotated[Number, Field(ge=0, le=0.01)]
    garch_alpha: Annotated[
        Number, Field(ge=0, lt=1)
    ]  # weight of the last squared return in the next variance
    garch_beta: Annotated[Number, Field(ge=0, lt=1)]  # weight of the last variance; alpha + beta < 1
    jump_rate: Annotated[Number, Field(ge=0, le=1)]  # jumps per second
    jump_mean: Annotated[Number, Field(ge=-0.5, le=0.5)]  # mean log size of a jump
    jump_std: Annotated[Number, Field(ge=0, le=0.5)]  # standard deviation of a jump's log size
    step: Annotated[Number, Field(ge=0.01, le=60)] = 1.0  # seconds between fair value moves

    def __post_init__(self) -> None:
        if self.vol_per_second < 0 or self.jump_rate < 0 or self.jump_std < 0 or self.step <= 0:
            raise ValueError(f"negative volatility, jump rate or jump size, or a step not positive: {self}")
        if self.garch_alpha < 0 or self.garch_beta < 0 or self.garch_alpha + self.garch_beta >= 1:
            raise ValueError(f"GARCH needs alpha, beta >= 0 and alpha + beta < 1: {self}")


@checked
@dataclass(frozen=True, slots=True)
class Crash:
    """A scheduled sharp drop and partial recovery of the fair value."""

    at: Annotated[Number, Field(ge=0, le=604_800)]  # seconds of simulated time when the fall starts
    depth: Annotated[Number, Field(gt=0, lt=1)]  # fraction of the price lost at the bottom, e.g. 0.06
    fall_seconds: Annotated[Number, Field(gt=0, le=86_400)]
    recover_seconds: Annotated[Number, Field(gt=0, le=86_400)]
    recovery: Annotated[Number, Field(ge=0, le=1)]  # fraction of the loss won back
    vol_boost: Annotated[Number, Field(ge=1, le=100)] = (
        1.0  # multiplies the GARCH variance when the fall starts
    )

    def __post_init__(self) -> None:
        if not 0 < self.depth < 1 or not 0 <= self.recovery <= 1:
            raise ValueError(f"crash depth must be in (0, 1) and recovery in [0, 1]: {self}")
        if self.at < 0 or self.fall_seconds <= 0 or self.recover_seconds <= 0 or self.vol_boost < 1:
            raise ValueError(f"crash times must be positive and vol_boost at least 1: {self}")

    def offset(self, t: float) -> float:
        """The log-price offset at time ``t``: 0 before, log(1 - depth) at the bottom."""
        bottom = math.log1p(-self.depth)
        if t <= self.at:
            return 0.0
        t -= self.at
        if t < self.fall_seconds:
            return bottom * t / self.fall_seconds
        t -= self.fall_seconds
        final = math.log1p(-self.depth * (1.0 - self.recovery))
        if t < self.recover_seconds:
            return bottom + (final - bottom) * t / self.recover_seconds
        return final


class FairValue:
    """One symbol's fair value. ``advance(dt)`` moves it on; ``value`` is the price in currency units."""

    __slots__ = (
        "params",
        "crash",
        "time",
        "log_value",
        "_rng",
        "_base",
        "_variance",
        "_omega",
        "_next_jump",
        "_pending",
        "_boosted",
    )

    def __init__(self, price: float, params: FairValueParams, rng: random.Random, crash: Crash | None = None):
        if price <= 0:
            raise ValueError(f"price must be positive, not {price}")
        self.params = params
        self.crash = crash
        self._rng = rng
        self.time = 0.0
        self._base = math.log(price)  # the random walk, before the crash offset
        self.log_value = self._base
        long_run = params.vol_per_second**2 * params.step  # variance of one step
        self._variance = long_run
        self._omega = long_run * (1.0 - params.garch_alpha - params.garch_beta)
        self._next_jump = self._jump_wait()
        self._pending = 0.0  # time advanced but not yet a whole step
        self._boosted = False

    @property
    def value(self) -> float:
        return math.exp(self.log_value)

    @property
    def volatility(self) -> float:
        """The current diffusive volatility per second: high after large moves, decaying back."""
        return math.sqrt(self._variance / self.params.step)

    def advance(self, dt: float) -> None:
        """Move ``dt`` seconds on: the value changes at each whole step passed (the rest carries over)."""
        if dt < 0:
            raise ValueError(f"cannot go back in time: dt={dt}")
        p = self.params
        step = p.step
        self._pending += dt
        gauss = self._rng.gauss
        # A small tolerance so that ten advances of 0.1 make one step of 1.0 despite rounding.
        while self._pending >= step - 1e-9:
            self._pending -= step
            self.time += step
            h = self._variance
            r = math.sqrt(h) * gauss(0.0, 1.0)
            self._base += r - 0.5 * h
            while self._next_jump <= self.time:
                self._base += gauss(p.jump_mean, p.jump_std)
                self._next_jump += self._jump_wait()
            h = self._omega + p.garch_alpha * r * r + p.garch_beta * h
            crash = self.crash
            if crash is not None and not self._boosted and self.time > crash.at:
                self._boosted = True
                h *= crash.vol_boost
            self._variance = h
        offset = 0.0 if self.crash is None else self.crash.offset(self.time)
        self.log_value = self._base + offset

    def _jump_wait(self) -> float:
        rate = self.params.jump_rate
        return self._rng.expovariate(rate) if rate > 0 else math.inf

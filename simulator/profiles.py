"""Market profiles: how the background traders and the fair value behave, loaded from YAML.

A profile names its sections (fair value, crash, market makers, noise, momentum and informed
traders, halts); a missing section keeps its defaults. Every value has a type and a range (below,
and README "Running the simulator"): an unknown key, a value of the wrong type, a non-finite number
or one out of range is refused with an :class:`~userfiles.reading.InputError` naming the profile,
the section and the key, when the profile is loaded.

The ranges keep a run finite and its costs in proportion: no rate, mean time or interval is zero
(the traders divide by them), none is so small that one symbol wakes its traders more than a few
thousand times a simulated second, and no count, level or lot is negative or absurd. How much a
whole market may do (symbols x load x these rates) is checked by :mod:`simulator.world`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from simulator.fairvalue import Crash, FairValueParams
from userfiles.reading import InputError, read_yaml
from userfiles.schema import Number, Whole, checked, validate

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


def _ordered(pair: tuple[int, int]) -> tuple[int, int]:
    if pair[0] > pair[1]:
        raise ValueError(f"low {pair[0]} above high {pair[1]}")
    return pair


Lots = Annotated[Whole, Field(ge=1, le=10_000)]
LotRange = Annotated[tuple[Lots, Lots], AfterValidator(_ordered)]  # [low, high] lots, drawn uniformly
Ticks = Annotated[Whole, Field(ge=0, le=1_000)]
Rate = Annotated[Number, Field(ge=0, le=50)]  # Poisson arrivals per second per symbol
Traders = Annotated[Whole, Field(ge=0, le=10)]


@checked
@dataclass(frozen=True)
class MakerParams:
    count: Traders = 2
    levels: Annotated[Whole, Field(ge=1, le=10)] = 3
    half_spread_ticks: Ticks = 2
    level_step_ticks: Annotated[Whole, Field(ge=1, le=1_000)] = 1
    size_lots: LotRange = (1, 5)
    requote_mean: Annotated[Number, Field(ge=0.05, le=3_600)] = 0.5  # mean seconds between requotes
    skew_ticks_per_lot: Annotated[Number, Field(ge=0, le=10)] = 0.05  # how far inventory shifts the quotes
    # past this a maker stops quoting the side that adds to it
    max_inventory_lots: Annotated[Whole, Field(ge=1, le=1_000_000)] = 60


@checked
@dataclass(frozen=True)
class NoiseParams:
    rate: Rate = 3.0
    market_share: Annotated[Number, Field(ge=0, le=1)] = 0.15  # share of arrivals that are market orders
    size_lots: LotRange = (1, 4)
    offset_ticks: Ticks = 6  # limit prices from this many ticks behind the touch to one tick inside
    # mean seconds before a resting noise order is cancelled
    lifetime_mean: Annotated[Number, Field(ge=0.1, le=3_600)] = 30.0


@checked
@dataclass(frozen=True)
class MomentumParams:
    count: Traders = 1
    interval: Annotated[Number, Field(ge=0.1, le=3_600)] = 5.0
    lookback: Annotated[Number, Field(ge=0.1, le=3_600)] = 30.0
    threshold: Annotated[Number, Field(ge=0, le=1)] = 0.002  # return over the lookback that triggers a trade
    size_lots: LotRange = (1, 3)


@checked
@dataclass(frozen=True)
class InformedParams:
    rate: Rate = 0.3  # looks per second per symbol
    threshold_ticks: Ticks = 3  # acts when fair value is this far beyond the touch
    max_lots: Annotated[Whole, Field(ge=1, le=1_000_000)] = 50  # the most it takes in one sweep


@checked
@dataclass(frozen=True)
class HaltParams:
    pct: Annotated[Number, Field(gt=0, le=1)] = 0.10  # a trade this far from the reference halts the symbol
    seconds: Annotated[Number, Field(gt=0, le=86_400)] = 120.0
    window: Annotated[Number, Field(ge=1, le=86_400)] = (
        300.0  # the reference rolls to the last trade this often
    )


@dataclass(frozen=True)
class Profile:
    name: str
    fair_value: FairValueParams
    crash: Crash | None = None
    makers: MakerParams = field(default_factory=MakerParams)
    noise: NoiseParams = field(default_factory=NoiseParams)
    momentum: MomentumParams = field(default_factory=MomentumParams)
    informed: InformedParams = field(default_factory=InformedParams)
    halt: HaltParams = field(default_factory=HaltParams)

    def wakeups(self, load: float) -> float:
        """Expected actions of one symbol's background traders and fair value per simulated second."""
        traders = (
            self.makers.count / self.makers.requote_mean
            + self.noise.rate
            + self.informed.rate
            + self.momentum.count / self.momentum.interval
        )
        return load * traders + 1.0 / self.fair_value.step


_SECTIONS: dict[str, type] = {
    "fair_value": FairValueParams,
    "crash": Crash,
    "makers": MakerParams,
    "noise": NoiseParams,
    "momentum": MomentumParams,
    "informed": InformedParams,
    "halt": HaltParams,
}


def parse_profile(data: Any, where: str) -> Profile:
    if not isinstance(data, dict):
        raise InputError(where, "", f"a profile is a mapping of sections, got {type(data).__name__}")
    unknown = sorted(map(str, set(data) - set(_SECTIONS) - {"name", "description"}))
    if unknown:
        raise InputError(where, unknown[0], f"unknown section (known: {', '.join(_SECTIONS)})")
    if "fair_value" not in data:
        raise InputError(where, "fair_value", "missing section")
    name = data.get("name", Path(where).stem)
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise InputError(where, "name", "must be a name of 1 to 64 characters")
    sections = {
        key: validate(cls, data[key], f"{where}: {key}")
        for key, cls in _SECTIONS.items()
        if data.get(key) is not None
    }
    return Profile(name=name, **sections)


def names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A bundled profile by name (``normal``) or a profile YAML file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = PROFILE_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise InputError(
                "--profile", "", f"unknown market profile {str(name_or_path)!r} (known: {', '.join(names())})"
            )
    return parse_profile(read_yaml(path), str(path))

"""Market profiles: how the background traders and the fair value behave, loaded from YAML.

A profile names its sections (fair value, crash, market makers, noise, momentum and informed
traders, halts); a missing section keeps its defaults, and an unknown key or a value of the wrong
type is refused with a message naming the profile, the section and the key.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.fairvalue import Crash, FairValueParams

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True)
class MakerParams:
    count: int = 2
    levels: int = 3
    half_spread_ticks: int = 2
    level_step_ticks: int = 1
    size_lots: tuple[int, int] = (1, 5)
    requote_mean: float = 0.5  # mean seconds between requotes
    skew_ticks_per_lot: float = 0.05  # how far inventory shifts the quotes
    max_inventory_lots: int = 60  # past this a maker stops quoting the side that adds to it


@dataclass(frozen=True)
class NoiseParams:
    rate: float = 3.0  # arrivals per second per symbol (Poisson)
    market_share: float = 0.15  # share of arrivals that are market orders
    size_lots: tuple[int, int] = (1, 4)
    offset_ticks: int = 6  # limit prices from this many ticks behind the touch to one tick inside
    lifetime_mean: float = 30.0  # mean seconds before a resting noise order is cancelled


@dataclass(frozen=True)
class MomentumParams:
    count: int = 1
    interval: float = 5.0
    lookback: float = 30.0
    threshold: float = 0.002  # return over the lookback that triggers a trade
    size_lots: tuple[int, int] = (1, 3)


@dataclass(frozen=True)
class InformedParams:
    rate: float = 0.3  # looks per second per symbol (Poisson)
    threshold_ticks: int = 3  # acts when fair value is this far beyond the touch
    max_lots: int = 50  # the most it takes in one sweep of the stale orders


@dataclass(frozen=True)
class HaltParams:
    pct: float = 0.10  # a trade this far from the reference halts the symbol
    seconds: float = 120.0
    window: float = 300.0  # the reference rolls to the last trade this often


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


_SECTIONS: dict[str, type] = {
    "fair_value": FairValueParams,
    "crash": Crash,
    "makers": MakerParams,
    "noise": NoiseParams,
    "momentum": MomentumParams,
    "informed": InformedParams,
    "halt": HaltParams,
}


def _value(where: str, key: str, value: Any, hint: Any) -> Any:
    if typing.get_origin(hint) is tuple:
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            raise ValueError(f"{where}: {key}: expected [low, high] positive integers, got {value!r}")
        if value[0] > value[1]:
            raise ValueError(f"{where}: {key}: low {value[0]} above high {value[1]}")
        return tuple(value)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{where}: {key}: expected {hint.__name__}, got {value!r}")


def _section(where: str, cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    args = {}
    for key, value in data.items():
        if key not in names:
            raise ValueError(f"{where}: unknown key {key!r} (known: {', '.join(names)})")
        args[key] = _value(where, key, value, hints[key])
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def parse_profile(data: Any, where: str) -> Profile:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a profile is a mapping of sections, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_SECTIONS) - {"name", "description"})
    if unknown:
        raise ValueError(f"{where}: unknown section {unknown[0]!r} (known: {', '.join(_SECTIONS)})")
    if "fair_value" not in data:
        raise ValueError(f"{where}: missing section 'fair_value'")
    sections = {
        key: _section(f"{where}: {key}", cls, data[key])
        for key, cls in _SECTIONS.items()
        if data.get(key) is not None
    }
    return Profile(name=str(data.get("name", Path(where).stem)), **sections)


def names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A bundled profile by name (``normal``) or a profile YAML file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = PROFILE_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise ValueError(f"unknown market profile {str(name_or_path)!r} (known: {', '.join(names())})")
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_profile(data, str(path))

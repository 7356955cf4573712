"""System settings: typed, validated configuration of the trading system, loaded from YAML or a dict.

Unknown keys, wrong types and out-of-range values are refused with an InvalidInput naming the key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from system.errors import InvalidInput


@dataclass(frozen=True)
class SystemSettings:
    account: str = "ALLUSE"
    pool_size: int = 2
    heartbeat_interval: float = 1.0
    cancel_on_disconnect: bool = False
    stale_after: float = 2.0
    depth_levels: int = 5
    health_interval: float = 0.25
    supervise_interval: float = 1.0
    mark_interval: float = 0.5  # how often open positions are marked to market and the loss limit checked
    ledger_path: str = ":memory:"
    strategy: str = "mean_reversion"
    strategy_params: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("pool_size", "depth_levels"):
            if getattr(self, name) < 1:
                raise InvalidInput("settings", name, f"must be at least 1, got {getattr(self, name)}")
        positive = (
            "heartbeat_interval",
            "stale_after",
            "health_interval",
            "supervise_interval",
            "mark_interval",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise InvalidInput("settings", name, f"must be positive, got {getattr(self, name)}")


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return hint is Any or isinstance(value, hint)


def from_mapping(cls: type, data: Any, where: str) -> Any:
    """Build dataclass ``cls`` from ``data``, refusing unknown keys and ill-typed values by name."""
    if not isinstance(data, dict):
        raise InvalidInput(where, "<root>", f"expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in known:
            raise InvalidInput(where, str(key), f"unknown key (known: {', '.join(sorted(known))})")
        if not _type_ok(value, hints[key]):
            raise InvalidInput(
                where,
                key,
                f"expected {getattr(hints[key], '__name__', hints[key])}, got {value!r}",
            )
    return cls(**data)


def load_settings(source: str | Path | dict | None = None) -> SystemSettings:
    """Settings from a YAML file path, YAML text, a dict, or the defaults when ``source`` is None."""
    if source is None:
        return SystemSettings()
    if isinstance(source, dict):
        return from_mapping(SystemSettings, source, "settings")
    path = Path(source) if not isinstance(source, str) or "\n" not in source else None
    where = str(path) if path is not None else "settings"
    try:
        text = path.read_text() if path is not None else str(source)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InvalidInput(where, "<file>", exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(where, "<yaml>", str(exc).replace("\n", " ")) from None
    return from_mapping(SystemSettings, data or {}, where)

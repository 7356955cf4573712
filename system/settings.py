"""System settings: typed, validated configuration of the trading system, loaded from YAML or a dict.

Unknown keys, wrong types, non-finite numbers and values out of range are refused with an
InvalidInput naming the file (or "settings"), the key and the rule. The ranges (README, "Running the
simulator") come from measurements on the 2-core development machine, three symbols, 10 simulated s:

- ``pool_size`` 1 to 100: 100 sessions all log on (33 MB); at 1,000 only 245 are on after 10 s, and
  1,000,000 sessions take 3.6 GB.
- ``heartbeat_interval`` 0.05 to 3,600 s: at 0.001 s one session of two logs on, at 1e-6 none does
  (a session is dead after 3 intervals of silence, shorter than a round trip).
- ``health_interval``, ``supervise_interval``, ``mark_interval`` and ``stale_after`` 0.01 to 3,600 s:
  a health poll every 1e-6 s takes 12 s of wall time per simulated second; every 0.01 s is free.
- ``account``: 1 to 64 letters, digits, ``_``, ``.`` or ``-``; an empty one never logs on.
- ``alerts``: the Alerting System's thresholds and hold times (:class:`AlertSettings`, ranges there);
  an unknown key or a value out of range is refused as ``alerts.<key>``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from system.errors import InvalidInput
from userfiles.reading import InputError, parse_yaml, read_yaml
from userfiles.schema import Flag, Number, Text, Whole, checked, validate

Interval = Annotated[Number, Field(ge=0.01, le=3_600)]  # seconds
Hold = Annotated[Number, Field(ge=0, le=3_600)]  # seconds a condition must last before its alert fires


@checked
@dataclass(frozen=True)
class AlertSettings:
    """Thresholds and ``for:`` hold times of the six alert rules (system/alerting.py), in the manner of
    Prometheus alerting rules. Windows and holds are seconds of the injected clock."""

    interval: Interval = 1.0  # seconds between evaluations
    window: Annotated[Number, Field(ge=1, le=3_600)] = 10.0  # the window of rates and the latency p99
    order_latency_p99_ms: Annotated[Number, Field(ge=0.1, le=60_000)] = 50.0
    order_latency_for: Hold = 3.0
    latency_min_samples: Annotated[Whole, Field(ge=1, le=100_000)] = 5  # fewer in the window: no data
    error_rate_pct: Annotated[Number, Field(ge=0.1, le=100)] = 20.0
    error_rate_for: Hold = 2.0
    error_rate_min_orders: Annotated[Whole, Field(ge=1, le=100_000)] = 5  # the rate's least denominator
    market_data_stale_s: Annotated[Number, Field(ge=0.1, le=3_600)] = 5.0
    market_data_stale_for: Hold = 2.0
    venue_min_sessions: Annotated[Whole, Field(ge=1, le=100)] = 1
    venue_disconnect_for: Hold = 2.0
    risk_limit_use_pct: Annotated[Number, Field(ge=1, le=100)] = 80.0
    risk_limit_use_for: Hold = 0.0
    market_data_lag_ms: Annotated[Number, Field(ge=0.1, le=60_000)] = 50.0
    market_data_lag_for: Hold = 2.0
    throttle_orders_per_second: Annotated[Whole, Field(ge=1, le=100_000)] = 2  # while throttled


def alert_settings(data: Any, where: str = "settings") -> AlertSettings:
    """The ``alerts`` section checked whole; a bad value is refused naming ``alerts.<key>``."""
    try:
        return validate(AlertSettings, {} if data is None else data, where)
    except InputError as exc:
        raise InvalidInput(exc.where, f"alerts.{exc.key}" if exc.key else "alerts", exc.reason) from None


@checked
@dataclass(frozen=True)
class SystemSettings:
    account: Annotated[Text, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = "ALLUSE"
    pool_size: Annotated[Whole, Field(ge=1, le=100)] = 2
    heartbeat_interval: Annotated[Number, Field(ge=0.05, le=3_600)] = 1.0
    cancel_on_disconnect: Flag = False
    stale_after: Interval = 2.0
    depth_levels: Annotated[Whole, Field(ge=1, le=100)] = 5
    health_interval: Interval = 0.25
    supervise_interval: Interval = 1.0
    mark_interval: Interval = 0.5  # how often open positions are marked to market and the loss limit checked
    ledger_path: Annotated[Text, Field(min_length=1, max_length=4_096)] = ":memory:"
    strategy: Annotated[Text, Field(min_length=1, max_length=64)] = "mean_reversion"
    strategy_params: dict[str, Any] = field(default_factory=dict)  # checked by the strategy's own params
    risk: dict[str, Any] = field(default_factory=dict)  # checked by system.risk
    alerts: dict[str, Any] = field(default_factory=dict)  # checked by alert_settings


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
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
    try:
        if source is None:
            return SystemSettings()
        if isinstance(source, dict):
            data, where = source, "settings"
        elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
            data, where = read_yaml(source), str(source)
        elif isinstance(source, str):
            data, where = parse_yaml(source, "settings"), "settings"
        else:
            raise InputError(
                "settings", "", f"expected a file path, YAML text or a mapping, got {type(source).__name__}"
            )
        settings = validate(SystemSettings, {} if data is None else data, where)
        alert_settings(settings.alerts, where)
        return settings
    except InputError as exc:
        raise InvalidInput(exc.where, exc.key or "<root>", exc.reason) from None

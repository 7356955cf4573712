"""Configuration profiles (dev, paper, production): YAML files with a schema, layered overrides, and
secrets read only from the environment.

A profile has four sections:

- ``system``: the keys of :class:`system.settings.SystemSettings` (ranges there), except ``account``
  and ``risk``, which come from the sections below;
- ``risk``: the keys of :class:`system.risk.RiskLimits` (each a positive number);
- ``venue``: ``account``, ``endpoint`` and ``secret_env``, the name of the environment variable that
  holds the venue secret;
- ``operator``: ``host`` (loopback only), ``port`` and ``master_key_env``, the environment variable
  holding the master key the operator API keys are derived from (:mod:`system.operator_api`).

Layers: the profile file first, then each override (a file or a mapping) in order, merged key by key;
every value remembers the layer it came from, so a refusal names the file that holds the bad value.
A secret written into any layer (``venue.secret``, ``operator.master_key``) is refused: secrets come
only from the environment. A wrong type, an unknown key, a missing secret or a value out of range is
refused with an :class:`~system.errors.InvalidInput` naming the file, the dotted key and the reason.

The loaded :class:`Profile` keeps its secrets in :class:`Secret`, whose ``repr`` and ``str`` are
redacted, so printing or logging a profile cannot leak them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from system.errors import InvalidInput
from system.risk import RiskLimits
from system.settings import SystemSettings
from userfiles.reading import InputError, read_yaml
from userfiles.schema import Text, Whole, checked, validate

PROFILES_DIR = Path(__file__).resolve().parent.parent / "config" / "profiles"
PROFILES = ("dev", "paper", "production")
SECTIONS = ("system", "risk", "venue", "operator")
# Keys that would hold a secret in a file; each is read from the variable its ``*_env`` key names.
SECRET_KEYS = {"venue.secret": "venue.secret_env", "operator.master_key": "operator.master_key_env"}
REDACTED = "***"

EnvName = Annotated[Text, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]


@checked
@dataclass(frozen=True)
class VenueSection:
    account: Annotated[Text, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    endpoint: Annotated[Text, Field(min_length=1, max_length=256)]
    secret_env: EnvName


@checked
@dataclass(frozen=True)
class OperatorSection:
    # The operator API controls trading: it listens on the loopback interface only.
    host: Annotated[Text, Field(pattern=r"^(127\.0\.0\.1|localhost|::1)$")] = "127.0.0.1"
    port: Annotated[Whole, Field(ge=0, le=65_535)] = 0
    master_key_env: EnvName = "ALLUSE_OPERATOR_KEY"


class Secret:
    """A secret value that never shows itself in ``repr``, ``str`` or a format string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class Profile:
    name: str
    files: tuple[str, ...]  # the layers, in the order they were applied
    settings: SystemSettings
    limits: RiskLimits
    venue: VenueSection
    operator: OperatorSection
    venue_secret: Secret
    operator_key: Secret

    def secrets(self) -> list[str]:
        """The secret values, for a redacting log or a check that nothing leaked."""
        return [self.venue_secret.reveal(), self.operator_key.reveal()]

    def describe(self) -> dict[str, Any]:
        """The effective configuration for a report or a log line: secrets named, never shown."""
        return {
            "profile": self.name,
            "files": list(self.files),
            "system": {k: v for k, v in vars(self.settings).items() if k != "risk"},
            "risk": dict(vars(self.limits)),
            "venue": {**vars(self.venue), "secret": REDACTED},
            "operator": {**vars(self.operator), "master_key": REDACTED},
        }


def profile_path(name: str) -> Path:
    if name not in PROFILES:
        raise InvalidInput("profiles", "name", f"unknown profile {name!r} (known: {', '.join(PROFILES)})")
    return PROFILES_DIR / f"{name}.yaml"


def _layer(source: str | Path | Mapping[str, Any], index: int) -> tuple[dict[str, Any], str]:
    if isinstance(source, Mapping):
        return dict(source), f"override {index}"
    try:
        data = read_yaml(source)
    except InputError as exc:
        raise InvalidInput(exc.where, exc.key or "<root>", exc.reason) from None
    return ({} if data is None else data), str(source)


def _merge(layers: list[tuple[dict[str, Any], str]]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Sections merged key by key, later layers winning; and the file each dotted key came from."""
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    for data, where in layers:
        if not isinstance(data, dict):
            raise InvalidInput(where, "<root>", f"expected a mapping of sections, got {type(data).__name__}")
        for section, values in data.items():
            if section not in SECTIONS:
                raise InvalidInput(where, str(section), f"unknown section (known: {', '.join(SECTIONS)})")
            if not isinstance(values, dict):
                raise InvalidInput(where, section, f"expected a mapping, got {type(values).__name__}")
            for key, value in values.items():
                dotted = f"{section}.{key}"
                if dotted in SECRET_KEYS:
                    raise InvalidInput(
                        where,
                        dotted,
                        "a secret may not be written in a configuration file; "
                        f"name its environment variable in {SECRET_KEYS[dotted]}",
                    )
                merged.setdefault(section, {})[key] = value
                origin[dotted] = where
    return merged, origin


def _section(cls: type, section: str, values: dict[str, Any], origin: dict[str, str], first: str) -> Any:
    try:
        return validate(cls, values, section)
    except InputError as exc:
        key = f"{section}.{exc.key}" if exc.key else section
        raise InvalidInput(origin.get(key, first), key, exc.reason) from None


def _secret(env: Mapping[str, str], variable: str, key: str, where: str) -> Secret:
    value = env.get(variable, "")
    if not value:
        raise InvalidInput(
            where, key, f"environment variable {variable} is not set (secrets come only from the environment)"
        )
    return Secret(value)


def load_profile(
    name: str,
    overrides: list[str | Path | Mapping[str, Any]] | tuple = (),
    env: Mapping[str, str] | None = None,
) -> Profile:
    """The profile ``name`` with ``overrides`` applied in order; secrets from ``env`` (default: the
    process environment). Refuses a bad layer or value naming the file, the key and the reason."""
    path = profile_path(name)
    layers = [_layer(path, 0)] + [_layer(source, i) for i, source in enumerate(overrides, 1)]
    return build_profile(name, layers, os.environ if env is None else env)


def build_profile(name: str, layers: list[tuple[dict[str, Any], str]], env: Mapping[str, str]) -> Profile:
    """A profile from already-read ``(data, where)`` layers; see :func:`load_profile`."""
    merged, origin = _merge(layers)
    first = layers[0][1]
    for section in ("venue",):
        if section not in merged:
            raise InvalidInput(first, section, "missing section")
    venue = _section(VenueSection, "venue", merged["venue"], origin, first)
    operator = _section(OperatorSection, "operator", merged.get("operator", {}), origin, first)
    system = dict(merged.get("system", {}))
    for reserved in ("account", "risk"):
        if reserved in system:
            raise InvalidInput(
                origin[f"system.{reserved}"],
                f"system.{reserved}",
                f"set in the {'venue' if reserved == 'account' else 'risk'} section, not in system",
            )
    risk = merged.get("risk", {})
    try:
        limits = RiskLimits.from_dict(risk)
    except InvalidInput as exc:
        key = f"risk.{exc.field}"
        raise InvalidInput(origin.get(key, first), key, exc.problem) from None
    settings = _section(
        SystemSettings, "system", {**system, "account": venue.account, "risk": risk}, origin, first
    )
    venue_where = origin.get("venue.secret_env", first)
    operator_where = origin.get("operator.master_key_env", first)
    return Profile(
        name=name,
        files=tuple(where for _, where in layers),
        settings=settings,
        limits=limits,
        venue=venue,
        operator=operator,
        venue_secret=_secret(env, venue.secret_env, "venue.secret", venue_where),
        operator_key=_secret(env, operator.master_key_env, "operator.master_key", operator_where),
    )

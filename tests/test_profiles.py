"""Configuration profiles: each loads, overrides layer, secrets come only from the environment, a bad
value is refused naming the file, the key and the reason; the structured log redacts secrets."""

from __future__ import annotations

import json

import pytest

from system.errors import InvalidInput
from system.logs import JsonLog
from system.profiles import PROFILES, load_profile

ENV = {"ALLUSE_VENUE_SECRET": "venue-s3cret", "ALLUSE_OPERATOR_KEY": "operator-k3y"}


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_loads_with_its_secrets_from_the_environment(name):
    profile = load_profile(name, env=ENV)
    assert profile.venue_secret.reveal() == "venue-s3cret"
    assert "venue-s3cret" not in repr(profile) and "operator-k3y" not in json.dumps(profile.describe())


def test_the_process_environment_is_the_default(monkeypatch):
    monkeypatch.setenv("ALLUSE_VENUE_SECRET", "from-the-process")
    monkeypatch.setenv("ALLUSE_OPERATOR_KEY", "k")
    assert load_profile("dev").venue_secret.reveal() == "from-the-process"


def test_overrides_apply_in_order_key_by_key(tmp_path):
    first = tmp_path / "site.yaml"
    first.write_text("risk:\n  max_order_qty: 1500\nsystem:\n  pool_size: 3\n")
    profile = load_profile("production", [first, {"risk": {"max_order_qty": 1200}}], env=ENV)
    assert profile.limits.max_order_qty == 1200  # the later layer wins
    assert profile.settings.pool_size == 3
    assert profile.limits.max_loss == 100_000.0  # untouched keys keep the profile's value
    assert profile.files[1] == str(first)


@pytest.mark.parametrize(
    ("layer", "key", "reason"),
    [
        ("risk:\n  max_order_qty: '5000'\n", "risk.max_order_qty", "expected int"),
        ("risk:\n  max_ordr_qty: 5000\n", "risk.max_ordr_qty", "unknown key"),
        ("risk:\n  max_loss: -1.0\n", "risk.max_loss", "must be positive"),
        ("system:\n  pool_size: 1000\n", "system.pool_size", "less than or equal to 100"),
        ("venue:\n  secret: hunter2\n", "venue.secret", "may not be written in a configuration file"),
        ("operator:\n  host: 0.0.0.0\n", "operator.host", "pattern"),
        ("logging: {}\n", "logging", "unknown section"),
    ],
)
def test_a_bad_layer_is_refused_naming_the_file_the_key_and_the_reason(tmp_path, layer, key, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(layer)
    with pytest.raises(InvalidInput) as caught:
        load_profile("production", [path], env=ENV)
    assert caught.value.where == str(path) and caught.value.field == key
    assert reason in caught.value.problem
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("missing", ["ALLUSE_VENUE_SECRET", "ALLUSE_OPERATOR_KEY"])
def test_a_missing_secret_is_refused_naming_its_variable(missing):
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(InvalidInput) as caught:
        load_profile("paper", env=env)
    assert missing in caught.value.problem and caught.value.where.endswith("paper.yaml")


class _Clock:
    def now(self) -> float:
        return 12.5


def test_log_lines_are_json_with_time_level_component_message_and_no_secret():
    sink: list[str] = []
    log = JsonLog(_Clock(), secrets=["venue-s3cret"], sink=sink.append)
    log.info("sessions", "logon with venue-s3cret", detail={"secret": "venue-s3cret"})
    record = json.loads(sink[0])
    assert record["time"] == 12.5 and record["level"] == "info" and record["component"] == "sessions"
    assert "venue-s3cret" not in sink[0] and list(log.lines) == sink
    with pytest.raises(ValueError, match="log level"):
        log.write("loud", "sessions", "x")

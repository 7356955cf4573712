"""Fault plans, market profiles and the latency model: parsing, validation messages and FIFO links."""

from __future__ import annotations

import random

import pytest

from simulator.faults import KINDS, FaultPlan
from simulator.latency import LINKS, Distribution, FifoLink, LatencyModel
from simulator.profiles import Profile, load_profile, names, parse_profile
from simulator.world import Market, MarketConfig

# --- fault plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries,words",
    [
        ([{"at": 1, "fault": "earthquake"}], ["entry 1", "unknown fault", "'earthquake'"]),
        (
            [{"at": 1, "fault": "crash"}, {"at": 2, "fault": "crash", "lenght": 3}],
            ["entry 2", "crash", "lenght", "unknown key"],
        ),
        ([{"at": 1, "fault": "stale_feed", "duration": -1}], ["entry 1", "duration", "greater than 0", "-1"]),
        ([{"at": 1, "fault": "stale_feed", "duration": 0}], ["entry 1", "duration"]),
        ([{"at": 1, "fault": "drop_feed", "count": 2.5}], ["entry 1", "count", "integer"]),
        ([{"at": 1, "fault": "halt", "duration": True}], ["entry 1", "duration"]),
        ([{"at": 1, "fault": "latency_spike", "link": "moon"}], ["entry 1", "link", "'moon'"]),
        ([{"at": 1, "fault": "disconnect", "account": 7}], ["entry 1", "account"]),
        ([{"at": 1, "fault": "crash"}, {"fault": "crash"}], ["entry 2", "'at'"]),
        ([{"at": 1}], ["entry 1", "'fault'"]),
        ([{"at": -2, "fault": "crash"}], ["entry 1", "at:", "-2"]),
        ([{"at": "soon", "fault": "crash"}], ["entry 1", "at:", "soon"]),
        (["crash"], ["entry 1", "mapping"]),
        ({"at": 1, "fault": "crash"}, ["list"]),
    ],
)
def test_fault_plan_errors_name_entry_and_field(entries, words):
    with pytest.raises(ValueError) as caught:
        FaultPlan.from_entries(entries)
    message = str(caught.value)
    for word in words:
        assert word in message, message


def test_fault_plan_none_is_empty():
    assert FaultPlan.from_entries(None).faults == ()


def test_fault_plan_yaml_text_errors_name_entry():
    with pytest.raises(ValueError, match=r"fault plan: entry 1: fault: unknown fault 'boom'"):
        FaultPlan.load("- {at: 1, fault: boom}\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        FaultPlan.load("- {at: 1, fault: [\n")


def test_yaml_plan_file_loads_sorted_by_time(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "faults:\n"
        "  - {at: 30, fault: crash, duration: 2}\n"
        "  - {at: 5, fault: drop_feed, count: 3}\n"
        "  - {at: 12.5, fault: halt, symbol: 2}\n"
        "  - {at: 0, fault: disconnect}\n"
    )
    plan = FaultPlan.load(path)
    assert [f.at for f in plan.faults] == [0.0, 5.0, 12.5, 30.0]
    assert [f.kind for f in plan.faults] == ["disconnect", "drop_feed", "halt", "crash"]
    assert plan.faults[1].param("count") == 3
    assert plan.faults[2].param("symbol") == 2
    assert plan.faults[2].duration == 30.0  # the default
    assert plan.faults[3].duration == 2.0
    assert plan.faults[0].param("account") is None
    assert FaultPlan.load(str(path)) == plan


def test_yaml_plan_as_plain_list_and_text(tmp_path):
    text = "- {at: 3, fault: reject_storm}\n- {at: 1, fault: slow_acks, extra: 1}\n"
    plan = FaultPlan.load(text)
    assert [f.kind for f in plan.faults] == ["slow_acks", "reject_storm"]
    assert plan.faults[0].param("extra") == 1.0
    path = tmp_path / "plan.yml"
    path.write_text(text)
    assert FaultPlan.load(path) == plan


def test_missing_plan_file_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ValueError, match="nope.yaml"):
        FaultPlan.load(missing)


def test_error_in_plan_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- {at: 1, fault: crash}\n- {at: 2, fault: crash, duration: -5}\n")
    with pytest.raises(ValueError) as caught:
        FaultPlan.load(path)
    message = str(caught.value)
    assert str(path) in message and "entry 2" in message and "duration" in message


def test_every_kind_has_a_valid_default_entry():
    plan = FaultPlan.from_entries([{"at": n, "fault": kind} for n, kind in enumerate(KINDS)])
    assert [f.kind for f in plan.faults] == list(KINDS)


def run_plan(text: str) -> list[str]:
    market = Market(MarketConfig(seed=1, symbols=2, faults=FaultPlan.load(text)))
    try:
        market.run(3.0)
        return [i.kind for i in market.injector.injected]
    finally:
        market.close()


def test_scheduled_faults_with_explicit_parameters_are_injected():
    text = "- {at: 1, fault: halt, symbol: 2, duration: 1}\n- {at: 2, fault: disconnect, account: X}\n"
    assert run_plan(text) == ["halt", "disconnect"]


@pytest.mark.parametrize("kind", ["halt", "disconnect"])
def test_scheduled_faults_with_default_parameters_are_injected(kind):
    assert run_plan(f"- {{at: 1, fault: {kind}}}\n") == [kind]


def test_injected_directly_with_defaults():
    market = Market(MarketConfig(seed=1, symbols=2))
    market.run(1.0)
    assert market.injector.inject("halt").params == (("duration", 30.0), ("symbol", market.symbols[0]))
    assert market.injector.inject("disconnect").kind == "disconnect"
    market.close()


# --- profiles ---------------------------------------------------------------------------------------


def test_bundled_profiles_exist():
    assert {"calm", "normal", "volatile", "illiquid", "flash_crash"} <= set(names())


@pytest.mark.parametrize("name", names())
def test_every_bundled_profile_loads(name):
    profile = load_profile(name)
    assert isinstance(profile, Profile)
    assert profile.name == name
    assert profile.halt.pct > 0 and profile.halt.seconds > 0
    assert profile.makers.size_lots[0] <= profile.makers.size_lots[1]


def test_flash_crash_profile_has_a_crash():
    assert load_profile("flash_crash").crash is not None


def test_unknown_profile_named():
    with pytest.raises(ValueError, match=r"unknown market profile 'bogus'.*normal"):
        load_profile("bogus")


def test_profile_from_path(tmp_path):
    path = tmp_path / "mine.yaml"
    fair = ", ".join(f"{k}: {v}" for k, v in FAIR_VALUE.items())
    path.write_text(f"fair_value: {{{fair}}}\nnoise: {{rate: 1}}\n")
    profile = load_profile(path)
    assert profile.name == "mine"
    assert profile.noise.rate == 1.0
    assert isinstance(profile.noise.rate, float)


FAIR_VALUE = {
    "vol_per_second": 0.00015,
    "garch_alpha": 0.08,
    "garch_beta": 0.90,
    "jump_rate": 0.0008,
    "jump_mean": 0.0,
    "jump_std": 0.003,
}


def minimal(**extra) -> dict:
    return {"fair_value": dict(FAIR_VALUE), **extra}


def test_parse_profile_minimal_keeps_defaults():
    profile = parse_profile(minimal(), "p.yaml")
    assert profile.name == "p"
    assert profile.makers.count == 2
    assert profile.crash is None


@pytest.mark.parametrize(
    "data,words",
    [
        (minimal(weather={"rain": 1}), ["where: weather", "unknown section"]),
        (minimal(noise={"rate": 1, "colour": "pink"}), ["where: noise: colour", "unknown key"]),
        (minimal(makers={"count": "two"}), ["where: makers: count", "valid integer", "'two'"]),
        (minimal(makers={"count": 1.5}), ["where: makers", "count", "int"]),
        (minimal(halt={"pct": "lots"}), ["where: halt: pct", "valid number"]),
        (minimal(halt={"seconds": True}), ["where: halt", "seconds"]),
        (minimal(noise={"size_lots": [3, 1]}), ["where: noise", "size_lots", "low 3 above high 1"]),
        (minimal(noise={"size_lots": [1]}), ["where: noise: size_lots[1]", "missing"]),
        (minimal(noise=[1, 2]), ["where: noise", "mapping"]),
        ({"noise": {"rate": 1}}, ["where: fair_value: missing section"]),
        ([1, 2], ["where", "mapping"]),
    ],
)
def test_parse_profile_refuses_naming_the_problem(data, words):
    with pytest.raises(ValueError) as caught:
        parse_profile(data, "where")
    message = str(caught.value)
    for word in words:
        assert word in message, message


# --- latency ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["uniform", "", "Normal"])
def test_distribution_refuses_unknown_kind(kind):
    with pytest.raises(ValueError, match="unknown"):
        Distribution(kind)


@pytest.mark.parametrize(
    "args",
    [
        {"kind": "constant", "value": -0.1},
        {"kind": "normal", "mean": 0.01, "std": -1.0},
        {"kind": "lognormal", "median": 0.001, "sigma": -0.2},
        {"kind": "constant", "value": 0.1, "jitter": -0.001},
        {"kind": "constant", "value": 0.1, "floor": -0.001},
        {"kind": "empirical", "values": (0.1, -0.2)},
        {"kind": "constant", "value": float("nan")},
        {"kind": "constant", "value": float("inf")},
    ],
)
def test_distribution_refuses_negative_or_non_finite(args):
    with pytest.raises(ValueError, match="not negative"):
        Distribution(**args)


def test_distribution_refuses_degenerate_lognormal_and_empirical():
    with pytest.raises(ValueError, match="median"):
        Distribution("lognormal", median=0.0)
    with pytest.raises(ValueError, match="values"):
        Distribution("empirical")


def test_distribution_from_dict_names_unknown_key():
    with pytest.raises(ValueError, match=r"latency: x: unknown key 'mu'"):
        Distribution.from_dict({"kind": "normal", "mu": 1}, "latency: x")
    with pytest.raises(ValueError, match=r"latency: x: .*unknown"):
        Distribution.from_dict({"kind": "gamma"}, "latency: x")
    d = Distribution.from_dict({"kind": "empirical", "values": [1, 2]}, "latency: x")
    assert d.values == (1.0, 2.0)


def test_distribution_samples_respect_floor_and_jitter():
    rng = random.Random(3)
    normal = Distribution("normal", mean=0.0, std=1.0, floor=0.5)
    assert min(normal.sample(rng) for _ in range(500)) >= 0.5
    const = Distribution("constant", value=1.0, jitter=0.1)
    samples = [const.sample(rng) for _ in range(500)]
    assert all(1.0 <= x < 1.1 for x in samples)
    emp = Distribution("empirical", values=(1.0, 2.0))
    assert {emp.sample(rng) for _ in range(200)} == {1.0, 2.0}


def test_latency_model_spike_and_unknown_link():
    model = LatencyModel(random.Random(1), {link: Distribution("constant", value=0.01) for link in LINKS})
    model.spike("feed_to_client", 10.0, until=5.0)
    assert model.sample("feed_to_client", 1.0) == pytest.approx(0.1)
    assert model.sample("feed_to_client", 5.0) == pytest.approx(0.01)
    assert model.sample("client_to_gateway", 1.0) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="moon"):
        model.spike("moon", 2.0, 1.0)
    with pytest.raises(ValueError, match="moon"):
        LatencyModel(random.Random(1), {"moon": Distribution("constant")})


def test_fifo_link_never_reorders():
    rng = random.Random(42)
    link = FifoLink()
    dist = Distribution("lognormal", median=0.001, sigma=1.5, jitter=0.002)
    now, arrivals = 0.0, []
    for _ in range(2000):
        now += rng.random() * 0.001
        arrivals.append(link.arrival(now, dist.sample(rng)))
    assert arrivals == sorted(arrivals)
    assert all(a >= 0 for a in arrivals)


def test_fifo_link_holds_a_fast_message_behind_a_slow_one():
    link = FifoLink()
    assert link.arrival(0.0, 5.0) == 5.0
    assert link.arrival(1.0, 0.1) == 5.0
    assert link.arrival(10.0, 0.1) == pytest.approx(10.1)

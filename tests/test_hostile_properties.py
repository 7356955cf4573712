"""Generated fault plans, profiles, settings and order streams, valid and hostile: the command exits 0
or 2 (a library call returns or raises its named error), never with a traceback, within a time bound,
and never changes a file it was given as input."""

from __future__ import annotations

import math
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.faults import KINDS
from system.errors import InvalidInput
from system.settings import load_settings

# Each example is a small run (2 symbols, a few simulated seconds): far below this unless it hangs.
SECONDS = 10.0
QUICK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values a hostile user types: edge numbers, wrong types, huge and odd text.
HOSTILE = st.one_of(
    st.sampled_from([0, -1, 1, 2, 0.5, 1e-9, 1e9, 10**30, True, None, "", "x", "1e-3", [], {}, [1, 2]]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=12),
)


def _runs_cleanly(tmp_path: Path, argv: list[str], inputs: list[Path]) -> int:
    """Run the command; it exits 0 or 2 within SECONDS and leaves every input byte for byte."""
    before = {path: path.read_bytes() for path in inputs}
    started = time.perf_counter()
    code = main(argv)  # an exception escaping here is the traceback a user would see: the test fails
    assert time.perf_counter() - started < SECONDS
    assert code in (0, 2)
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was changed"
    return code


def _dump(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


# --- fault plans ------------------------------------------------------------------------------------

PARAM_NAMES = ["account", "link", "factor", "duration", "count", "symbol", "extra", "colour"]
FAULT_ENTRY = st.fixed_dictionaries(
    {
        "at": st.one_of(st.floats(min_value=0, max_value=3), HOSTILE),
        "fault": st.one_of(st.sampled_from(KINDS), HOSTILE),
    },
    optional={name: HOSTILE for name in PARAM_NAMES},
)


@QUICK
@given(entries=st.lists(FAULT_ENTRY, max_size=4), journal_is_plan=st.booleans())
def test_generated_fault_plans(tmp_path_factory, entries, journal_is_plan):
    tmp = tmp_path_factory.mktemp("plan")
    plan = _dump(tmp / "plan.yaml", entries)
    journal = plan if journal_is_plan else tmp / "journal.jsonl"
    argv = [
        "run",
        "--seed",
        "1",
        "--duration",
        "4",
        "--symbols",
        "2",
        "--faults",
        str(plan),
        "--journal",
        str(journal),
    ]
    code = _runs_cleanly(tmp, argv, [plan])
    assert code == 2 or not journal_is_plan
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == [], "no temporary file left"


@QUICK
@given(text=st.text(max_size=200))
def test_fault_plans_of_any_text(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("text")
    plan = tmp / "plan.yaml"
    plan.write_text(text)
    _runs_cleanly(
        tmp, ["run", "--seed", "1", "--duration", "2", "--symbols", "1", "--faults", str(plan)], [plan]
    )


# --- profiles ---------------------------------------------------------------------------------------

NORMAL = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "simulator/profiles/normal.yaml").read_text()
)
SECTION_KEYS = [
    (section, key) for section, values in NORMAL.items() if isinstance(values, dict) for key in values
]


@QUICK
@given(changes=st.lists(st.tuples(st.sampled_from(SECTION_KEYS), HOSTILE), min_size=1, max_size=3))
def test_generated_profiles(tmp_path_factory, changes):
    tmp = tmp_path_factory.mktemp("profile")
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in NORMAL.items()}
    for (section, key), value in changes:
        data[section][key] = value
    profile = _dump(tmp / "mine.yaml", data)
    _runs_cleanly(
        tmp, ["run", "--seed", "1", "--duration", "2", "--symbols", "2", "--profile", str(profile)], [profile]
    )


@QUICK
@given(
    values=st.fixed_dictionaries(
        {"noise": st.floats(0, 50), "informed": st.floats(0, 50), "requote": st.floats(0.05, 3600)}
    )
)
def test_profiles_at_the_edges_of_their_ranges_run(tmp_path_factory, values):
    tmp = tmp_path_factory.mktemp("edges")
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in NORMAL.items()}
    data["noise"]["rate"], data["informed"]["rate"] = values["noise"], values["informed"]
    data["makers"]["requote_mean"] = values["requote"]
    profile = _dump(tmp / "edge.yaml", data)
    argv = ["run", "--seed", "1", "--duration", "2", "--symbols", "1", "--profile", str(profile)]
    assert _runs_cleanly(tmp, argv, [profile]) == 0


# --- settings ---------------------------------------------------------------------------------------

SETTING_NAMES = [
    "account",
    "pool_size",
    "heartbeat_interval",
    "cancel_on_disconnect",
    "stale_after",
    "depth_levels",
    "health_interval",
    "supervise_interval",
    "mark_interval",
    "ledger_path",
    "strategy",
    "risk",
    "other",
]


@QUICK
@given(data=st.dictionaries(st.sampled_from(SETTING_NAMES), HOSTILE, max_size=4), as_file=st.booleans())
def test_generated_settings(tmp_path_factory, data, as_file):
    source: object = data
    if as_file:
        source = _dump(tmp_path_factory.mktemp("settings") / "settings.yaml", data)
    try:
        loaded = load_settings(source)
    except InvalidInput as refusal:
        assert refusal.field and refusal.problem
        return
    for name in (
        "heartbeat_interval",
        "health_interval",
        "supervise_interval",
        "mark_interval",
        "stale_after",
    ):
        assert math.isfinite(getattr(loaded, name)) and getattr(loaded, name) >= 0.01
    assert 1 <= loaded.pool_size <= 100


# --- order streams ----------------------------------------------------------------------------------

FIELD = st.one_of(
    st.sampled_from(
        [
            "",
            "new",
            "cancel",
            "buy",
            "sell",
            "limit",
            "market",
            "gtc",
            "ioc",
            "fok",
            "10.00",
            "9.99",
            "5",
            "0",
            "-1",
            "1e3",
            "9" * 30,
            "0.00001",
            "A",
            "B",
            '"',
            "\ufeff",
        ]
    ),
    st.text(max_size=8),
)


@QUICK
@given(rows=st.lists(st.lists(FIELD, min_size=6, max_size=8), max_size=8), out_is_input=st.booleans())
def test_generated_order_streams(tmp_path_factory, rows, out_is_input):
    tmp = tmp_path_factory.mktemp("orders")
    orders = tmp / "orders.csv"
    lines = ["order_id,action,side,type,price,qty,tif", *(",".join(row) for row in rows)]
    orders.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    out = orders if out_is_input else tmp / "fills.csv"
    code = _runs_cleanly(tmp, ["replay", str(orders), "--out", str(out)], [orders])
    assert code == 2 or not out_is_input
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".")] == [], "no temporary file left"


@QUICK
@given(data=st.binary(max_size=300))
def test_order_streams_of_any_bytes(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("bytes")
    orders = tmp / "orders.csv"
    orders.write_bytes(b"order_id,action,side,type,price,qty,tif\n" + data)
    _runs_cleanly(tmp, ["replay", str(orders), "--out", str(tmp / "fills.csv")], [orders])

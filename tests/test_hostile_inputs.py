"""Every hostile input of issue 11, one test each: exit 2 (or a named exception from a library call)
with a message naming what is wrong, before anything runs, and the inputs left as they were."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.faults import FaultPlan
from simulator.journal import Journal
from simulator.profiles import load_profile
from simulator.world import Market, MarketConfig
from system.errors import InvalidInput
from system.ledger import PaperTradingSystem
from system.settings import load_settings
from system.strategy import load_defaults
from userfiles.reading import InputError
from venue.messages import Side

ROOT = Path(__file__).resolve().parent.parent
BASE = ["run", "--seed", "1", "--duration", "5", "--symbols", "3"]
ORDERS = "order_id,action,side,type,price,qty,tif\nA,new,sell,limit,10.00,5,\nB,new,buy,limit,10.00,5,\n"


def refused(capsys, argv: list[str], *words: str) -> str:
    """Run the command; it must exit 2 and name every one of ``words`` on stderr."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    for word in words:
        assert word in err, err
    return err


def written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- non-finite numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry,key",
    [
        ("{at: 1, fault: halt, duration: .nan}", "duration"),
        ("{at: 1, fault: crash, duration: .nan}", "duration"),
        ("{at: .inf, fault: crash}", "at"),
        ("{at: .nan, fault: drop_feed}", "at"),
        ("{at: 1, fault: latency_spike, factor: .inf}", "factor"),
        ("{at: 1, fault: slow_acks, extra: -.inf}", "extra"),
    ],
)
def test_non_finite_fault_numbers_are_refused(tmp_path, capsys, entry, key):
    plan = written(tmp_path / "plan.yaml", f"- {entry}\n")
    refused(capsys, [*BASE, "--faults", str(plan)], str(plan), "entry 1", f"{key}:")


def test_the_journal_never_writes_nan(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    with pytest.raises(ValueError, match="JSON"):
        journal.write(1.0, "fault", {"until": float("nan")})
    journal.discard()
    assert list(tmp_path.iterdir()) == []


# --- errors found when the input is loaded, not mid-run ---------------------------------------------


@pytest.mark.parametrize("symbol,words", [("9", ["number 9", "1..3"]), ("ZZZZ", ["unknown symbol 'ZZZZ'"])])
def test_halt_of_an_unknown_symbol_stops_before_the_run(tmp_path, capsys, symbol, words):
    plan = written(tmp_path / "plan.yaml", f"- {{at: 1, fault: halt, symbol: {symbol}}}\n")
    journal = tmp_path / "journal.jsonl"
    refused(capsys, [*BASE, "--faults", str(plan), "--journal", str(journal)], "entry 1", "symbol", *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"], "no journal, no temporary file"
    with pytest.raises(InputError, match="entry 1: symbol"):
        Market(MarketConfig(seed=1, symbols=3, faults=FaultPlan.load(plan)))


def test_a_fault_kind_that_is_a_list(tmp_path, capsys):
    plan = written(tmp_path / "plan.yaml", "- {at: 1, fault: [crash]}\n")
    refused(capsys, [*BASE, "--faults", str(plan)], "entry 1", "unknown fault ['crash']")


FAIR = (
    "{vol_per_second: 0.00015, garch_alpha: 0.08, garch_beta: 0.9, jump_rate: 0.0008, jump_mean: 0, "
    "jump_std: 0.003}"
)


@pytest.mark.parametrize(
    "section,value,key",
    [
        ("makers", "{requote_mean: 0}", "makers: requote_mean"),
        ("noise", "{lifetime_mean: 0}", "noise: lifetime_mean"),
        ("momentum", "{interval: 0}", "momentum: interval"),
        (
            "fair_value",
            "{vol_per_second: .nan, garch_alpha: 0.1, garch_beta: 0.1, jump_rate: 0, "
            "jump_mean: 0, jump_std: 0}",
            "fair_value: vol_per_second",
        ),
        ("makers", "{count: -1}", "makers: count"),
        ("makers", "{levels: 0}", "makers: levels"),
        ("makers", "{half_spread_ticks: -5}", "makers: half_spread_ticks"),
        ("noise", "{market_share: 2.0}", "noise: market_share"),
        ("noise", "{rate: .inf}", "noise: rate"),
        ("informed", "{rate: 1e9}", "informed: rate"),
        ("halt", "{window: 0}", "halt: window"),
    ],
)
def test_profile_values_out_of_range_are_refused_when_loaded(tmp_path, capsys, section, value, key):
    fair = "" if section == "fair_value" else f"fair_value: {FAIR}\n"
    profile = written(tmp_path / "mine.yaml", f"{fair}{section}: {value}\n")
    before = profile.read_bytes()
    refused(capsys, [*BASE, "--profile", str(profile)], str(profile), key)
    assert profile.read_bytes() == before


def test_yaml_exponents_are_numbers(tmp_path):
    profile = written(tmp_path / "p.yaml", f"fair_value: {FAIR}\nmomentum: {{threshold: 1e-3}}\n")
    assert load_profile(profile).momentum.threshold == 0.001
    assert FaultPlan.load("- {at: 1e1, fault: crash, duration: 2E0}\n").faults[0].at == 10.0


# --- values that would hang the run or exhaust the machine --------------------------------------------


@pytest.mark.parametrize(
    "args,words",
    [
        (["--load", "1e6"], ["--load", "at most 10,000"]),
        (["--load", "1e308"], ["--load", "at most 10,000"]),
        (["--symbols", "20", "--load", "10000"], ["wake the traders", "100,000"]),
        (["--symbols", "100000"], ["--symbols", "at most 1,000"]),
        (["--duration", "1e300"], ["--duration", "at most 604,800"]),
        (["--symbols", "1000", "--load", "100"], ["wake the traders", "100,000"]),
    ],
)
def test_sizes_beyond_the_bounds_are_refused_with_the_bound(capsys, args, words):
    argv = ["run", "--seed", "1", "--duration", "5", *args]
    refused(capsys, argv, *words)


@pytest.mark.parametrize(
    "settings,key",
    [
        ({"health_interval": 1e-9}, "health_interval"),
        ({"pool_size": 1_000_000}, "pool_size"),
        ({"heartbeat_interval": 1e-9}, "heartbeat_interval"),
        ({"account": ""}, "account"),
        ({"mark_interval": float("nan")}, "mark_interval"),
        ({"supervise_interval": float("inf")}, "supervise_interval"),
    ],
)
def test_settings_that_would_hang_or_never_log_on_are_refused(settings, key):
    with pytest.raises(InvalidInput) as caught:
        load_settings(settings)
    assert caught.value.field == key


# --- outputs ----------------------------------------------------------------------------------------


def test_replay_out_equal_to_the_input_is_refused(tmp_path, capsys):
    orders = written(tmp_path / "orders.csv", ORDERS)
    code = main(["replay", str(orders), "--out", str(orders)])
    assert code == 2
    assert "input" in capsys.readouterr().err
    assert orders.read_text() == ORDERS
    link = tmp_path / "link.csv"
    link.symlink_to(orders)
    assert main(["replay", str(orders), "--out", str(link)]) == 2
    assert orders.read_text() == ORDERS and link.is_symlink()


@pytest.mark.parametrize("which", ["--faults", "--profile"])
def test_journal_equal_to_an_input_is_refused(tmp_path, capsys, which):
    plan = written(tmp_path / "plan.yaml", "- {at: 1, fault: crash}\n")
    profile = written(tmp_path / "p.yaml", f"fair_value: {FAIR}\n")
    target = plan if which == "--faults" else profile
    before = target.read_bytes()
    argv = [*BASE, "--faults", str(plan), "--profile", str(profile), "--journal", str(target)]
    refused(capsys, argv, "cannot write", str(target), "input")
    assert target.read_bytes() == before


def test_replay_output_symlink_is_followed_and_kept(tmp_path):
    orders = written(tmp_path / "orders.csv", ORDERS)
    real = written(tmp_path / "real.csv", "old\n")
    link = tmp_path / "fills.csv"
    link.symlink_to(real)
    assert main(["replay", str(orders), "--out", str(link)]) == 0
    assert link.is_symlink() and real.read_text().startswith("seq,")


def test_replay_output_device_is_written_not_replaced(tmp_path):
    orders = written(tmp_path / "orders.csv", ORDERS)
    assert main(["replay", str(orders), "--out", os.devnull]) == 0
    assert Path(os.devnull).is_char_device()


def test_outputs_get_the_users_umask_and_keep_an_old_files_mode(tmp_path):
    orders = written(tmp_path / "orders.csv", ORDERS)
    old = os.umask(0o027)
    try:
        assert main(["replay", str(orders), "--out", str(tmp_path / "new.csv")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o640
    kept = written(tmp_path / "kept.csv", "old\n")
    kept.chmod(0o604)
    assert main(["replay", str(orders), "--out", str(kept)]) == 0
    assert kept.stat().st_mode & 0o777 == 0o604


def test_sigterm_removes_the_temporary_file(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from userfiles.writing import OutputFile\n"
        f"out = OutputFile({str(tmp_path / 'out.txt')!r})\n"
        "try:\n"
        "    out.stream.write('partial')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "finally:\n"
        "    out.discard()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=30)
    assert done.returncode == 143, done.stderr
    assert list(tmp_path.iterdir()) == [], "no temporary file and no output left"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_journal_write_error_is_exit_2_naming_the_path(capsys):
    refused(capsys, [*BASE, "--journal", "/dev/full"], "cannot write /dev/full", "No space left")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_replay_write_error_is_exit_2_naming_the_path(tmp_path, capsys):
    orders = written(tmp_path / "orders.csv", ORDERS)
    refused(capsys, ["replay", str(orders), "--out", "/dev/full"], "cannot write /dev/full")


# --- replay numbers ---------------------------------------------------------------------------------


HEADER = "order_id,action,side,type,price,qty,tif\n"


@pytest.mark.parametrize(
    "row,words",
    [
        ("A,new,buy,limit,10.00," + "9" * 5000 + ",\n", ["field 'qty'", "beyond the largest quantity"]),
        ("A,new,buy,limit,10.00,9223372036854775808,\n", ["field 'qty'", "beyond the largest quantity"]),
        ("A,new,buy,limit," + "1" * 29 + ".00,5,\n", ["field 'price'", "beyond the largest price"]),
        ("A,new,buy,limit," + "1" * 5000 + ",5,\n", ["field 'price'", "beyond the largest price"]),
    ],
)
def test_replay_numbers_beyond_exact_are_malformed(tmp_path, capsys, row, words):
    orders = written(tmp_path / "orders.csv", HEADER + row)
    err = refused(capsys, ["replay", str(orders), "--out", str(tmp_path / "f.csv")], f"{orders}:2:", *words)
    assert len(err) < 300, "the value is cut short in the message"


def test_a_bad_utf8_byte_is_reported_at_its_line(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    orders.write_bytes(HEADER.encode() + b"A,new,buy,limit,10.00,5,\nB\xff,new,buy,limit,10.00,5,\n")
    refused(capsys, ["replay", str(orders), "--out", str(tmp_path / "f.csv")], f"{orders}:3:", "not UTF-8")


# --- named refusals from library calls ----------------------------------------------------------------


def test_ledger_path_is_a_directory(tmp_path):
    with pytest.raises(InvalidInput, match="is a directory") as caught:
        PaperTradingSystem(str(tmp_path))
    assert caught.value.field == "path"


def test_ledger_path_in_a_missing_folder(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist") as caught:
        PaperTradingSystem(str(tmp_path / "no" / "ledger.db"))
    assert caught.value.field == "path"


def test_ledger_path_not_a_database(tmp_path):
    path = written(tmp_path / "notes.txt", "not a database, " * 100)
    before = path.read_bytes()
    ledger = PaperTradingSystem(str(path))
    with pytest.raises(InvalidInput, match="not a ledger database") as caught:
        ledger.start()
    assert caught.value.field == "path"
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"symbol": "A\ud800"}, "symbol"),
        ({"qty": 2**63}, "qty"),
        ({"price": 2**63}, "price"),
        ({"qty": 2**40, "price": 2**40}, "qty"),
    ],
)
def test_ledger_refuses_what_sqlite_cannot_store(kwargs, field):
    ledger = PaperTradingSystem()
    ledger.start()
    args = dict(fill_id="f1", order_id="o", symbol="AAA", side=Side.BUY, qty=1, price=1, time=0.0)
    with pytest.raises(InvalidInput) as caught:
        ledger.apply_fill(**{**args, **kwargs})
    assert caught.value.field == field
    assert ledger.fills() == [] and ledger.validate() == []
    ledger.stop()


def test_binary_settings_and_strategy_files(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"pool_size: 2\n\xff\xfe\x00\n")
    with pytest.raises(InvalidInput, match="line 2.*not UTF-8"):
        load_settings(binary)
    with pytest.raises(InvalidInput, match="line 2.*not UTF-8"):
        load_defaults("mean_reversion", binary)


def test_settings_from_a_list():
    with pytest.raises(InvalidInput, match="expected a file path, YAML text or a mapping, got list"):
        load_settings([1, 2])


def test_settings_read_exponents_as_numbers(tmp_path):
    path = written(tmp_path / "s.yaml", "health_interval: 5e-1\nmark_interval: 1E0\n")
    settings = load_settings(path)
    assert settings.health_interval == 0.5 and settings.mark_interval == 1.0

"""The ``python -m simulator run`` command line: a good run, and every bad input stopping with code 2."""

from __future__ import annotations

import json

import pytest

from simulator.cli import main
from simulator.world import Market, MarketConfig


def test_run_prints_table_and_writes_journal(tmp_path, capsys):
    path = tmp_path / "out" / "journal.jsonl"
    code = main(["run", "--seed", "1", "--duration", "30", "--symbols", "2", "--journal", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["symbol", "name", "orders", "trades", "volume", "last", "phase"]
    symbols = Market(MarketConfig(seed=1, symbols=2)).symbols
    for symbol in symbols:
        assert any(line.startswith(symbol + " ") for line in out.splitlines()), out
    assert "continuous" in out
    assert str(path) in out
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    assert first["ev"] == "open" and first["symbols"] == symbols and first["seed"] == 1
    assert len(lines) > 10


def test_run_with_fault_plan_counts_faults(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text("- {at: 2, fault: halt, symbol: 1, duration: 5}\n- {at: 4, fault: drop_feed}\n")
    assert main(["run", "--seed", "2", "--duration", "10", "--symbols", "1", "--faults", str(plan)]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[:3] == ["faults", "injected", "2"] for line in out.splitlines()), out


def test_run_with_halt_fault_without_symbol(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text("- {at: 2, fault: halt, duration: 5}\n")
    assert main(["run", "--seed", "2", "--duration", "10", "--symbols", "1", "--faults", str(plan)]) == 0


def test_help_returns_zero(capsys):
    assert main(["--help"]) == 0
    assert "usage" in capsys.readouterr().out


def check_error(capsys, argv: list[str], *words: str) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    for word in words:
        assert word in captured.err, captured.err


BASE = ["run", "--seed", "1", "--duration", "5", "--symbols", "1"]


def test_unknown_profile(capsys):
    check_error(capsys, [*BASE, "--profile", "sunny"], "unknown market profile", "'sunny'")


@pytest.mark.parametrize("duration", ["0", "-5", "nan", "inf"])
def test_non_positive_or_non_finite_duration(capsys, duration):
    argv = ["run", "--seed", "1", "--duration", duration, "--symbols", "1"]
    check_error(capsys, argv, "--duration", repr(duration))


def test_non_numeric_duration(capsys):
    check_error(capsys, ["run", "--seed", "1", "--duration", "soon"], "--duration", "not a number")


@pytest.mark.parametrize("symbols", ["two", "1.5"])
def test_non_integer_symbols(capsys, symbols):
    check_error(capsys, ["run", "--seed", "1", "--duration", "5", "--symbols", symbols], "--symbols", symbols)


def test_zero_symbols(capsys):
    check_error(capsys, ["run", "--seed", "1", "--duration", "5", "--symbols", "0"], "--symbols", "positive")


def test_missing_seed(capsys):
    check_error(capsys, ["run", "--duration", "5"], "--seed")


def test_fault_plan_with_unknown_fault(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text("- {at: 1, fault: meteor}\n")
    check_error(capsys, [*BASE, "--faults", str(plan)], str(plan), "entry 1", "unknown fault", "'meteor'")


def test_fault_plan_with_bad_parameter(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text("- {at: 1, fault: crash, duration: -1}\n")
    check_error(capsys, [*BASE, "--faults", str(plan)], "entry 1", "duration")


def test_missing_fault_plan_file(tmp_path, capsys):
    missing = tmp_path / "absent.yaml"
    check_error(capsys, [*BASE, "--faults", str(missing)], str(missing))


def test_no_arguments(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_unknown_command(capsys):
    check_error(capsys, ["bogus"], "unknown command", "'bogus'")

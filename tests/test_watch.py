"""The manual monitoring command: what it prints from a live page and from a saved snapshot, and
how it refuses a source it cannot read."""

from __future__ import annotations

import json

import pytest

from harness import watch
from harness.session import SessionSpec, TradingSession


@pytest.fixture(scope="module")
def session():
    session = TradingSession(SessionSpec(seed=9, symbols=3))
    session.run(40)
    yield session
    session.close()


def _printed(capsys, *args: str) -> str:
    assert watch.main(list(args)) == 0
    return capsys.readouterr().out


def test_the_page_and_the_snapshot_print_the_same_table(session, tmp_path, capsys):
    monitoring = session.system.monitoring
    port = monitoring.serve(0)
    live = _printed(capsys, f"http://127.0.0.1:{port}/metrics")
    path = tmp_path / "snapshot.json"
    path.write_text(monitoring.snapshot_json())
    saved = _printed(capsys, "--snapshot", str(path))
    assert watch.printed_table(live) == watch.printed_table(saved)
    rows = watch.against_export(watch.printed_table(saved), monitoring)
    assert rows and all(row["agree"] for row in rows)
    assert "decision_to_ack" in saved and "market_data_system" in saved
    assert "none active of 6 rules" in saved and watch.printed_alerts(saved) == {}


def test_a_figure_printed_wrong_is_caught(session):
    table = watch.printed_table(
        watch.render(watch.snapshot_samples(session.system.monitoring.snapshot()), "x")
    )
    symbol = sorted(table)[0]
    table[symbol]["fills"] += 1
    wrong = [r for r in watch.against_export(table, session.system.monitoring) if not r["agree"]]
    assert [(r["symbol"], r["figure"]) for r in wrong] == [(symbol, "fills")]


@pytest.mark.parametrize(
    "content, reason",
    [("{not json", "cannot read a JSON snapshot"), (json.dumps({"time": 1}), "no 'series' list")],
)
def test_a_bad_snapshot_is_refused_by_name(tmp_path, capsys, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert watch.main(["--snapshot", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and reason in err


def test_an_unreachable_page_is_refused_by_name(capsys):
    assert watch.main(["http://127.0.0.1:1/metrics"]) == 2
    assert "http://127.0.0.1:1/metrics: cannot fetch" in capsys.readouterr().err


def test_the_command_runs_as_a_separate_process(session, tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(session.system.monitoring.snapshot_json())
    done = watch.run("--snapshot", str(path))
    assert done.returncode == 0, done.stderr
    assert watch.printed_table(done.stdout)

"""Same seed, same run: journals byte for byte, and the system's orders in a trading session."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from harness.session import ACCOUNT, SessionSpec, TradingSession
from simulator.world import Market, MarketConfig


def run_market(path, seed: int, seconds: float = 60.0, symbols: int = 3) -> bytes:
    market = Market(MarketConfig(seed=seed, symbols=symbols, profile="normal", journal=path))
    try:
        market.run(seconds)
    finally:
        market.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def journals(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("journals")
    return {
        "a": run_market(tmp / "a.jsonl", seed=7),
        "b": run_market(tmp / "b.jsonl", seed=7),
        "c": run_market(tmp / "c.jsonl", seed=8),
    }


def test_same_seed_same_journal(journals):
    assert journals["a"], "empty journal"
    assert journals["a"] == journals["b"]


def test_same_journal_under_another_string_hash_seed(journals, tmp_path):
    # A second process with its own PYTHONHASHSEED: set or dict order cannot make the runs agree.
    path = tmp_path / "other-process.jsonl"
    command = [
        sys.executable,
        "-m",
        "simulator",
        "run",
        "--seed",
        "7",
        "--duration",
        "60",
        "--symbols",
        "3",
        "--journal",
        str(path),
    ]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert path.read_bytes() == journals["a"]


def test_different_seed_different_journal(journals):
    assert journals["a"] != journals["c"]


def test_journal_is_json_lines_with_non_decreasing_time(journals):
    lines = journals["a"].decode("utf-8").splitlines()
    assert len(lines) > 100
    events = [json.loads(line) for line in lines]
    assert list(events[0])[:2] == ["t", "ev"]
    assert events[0]["ev"] == "open"
    assert events[0]["seed"] == 7 and len(events[0]["symbols"]) == 3
    times = [e["t"] for e in events]
    assert all(isinstance(t, int | float) and not isinstance(t, bool) for t in times)
    assert times == sorted(times)
    assert times[-1] > times[0]
    assert times[0] >= 0.0 and times[-1] <= 60.0
    kinds = {e["ev"] for e in events}
    assert {"order", "trade"} <= kinds


def session_orders(seed: int) -> list[tuple]:
    session = TradingSession(SessionSpec(seed=seed, symbols=2, profile="normal"))
    try:
        session.run(30.0)
        records = session.market.exchange.records(ACCOUNT)
        return [
            (clid, r.order_id, r.symbol, r.side.value, r.qty, r.price, r.status.value, tuple(r.fills))
            for clid, r in records.orders.items()
        ]
    finally:
        session.close()


def test_same_seed_trading_session_places_same_orders():
    first = session_orders(3)
    second = session_orders(3)
    assert first, "the system placed no orders in 30 s"
    assert first == second

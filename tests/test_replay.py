"""The ``replay`` command: golden output, determinism, business rejects and every malformed-input path."""

from __future__ import annotations

import csv
import importlib.util
import io
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.replay import _Rows, main, parse_price

ROOT = Path(__file__).resolve().parent.parent
HEADER = "order_id,action,side,type,price,qty,tif\n"

GOLDEN_ORDERS = HEADER + (
    "S1,new,sell,limit,10.02,100,\n"
    "S2,new,sell,limit,10.01,100,gtc\n"
    "S3,new,sell,limit,10.01,50,gtc\n"
    "B1,new,buy,limit,10.02,180,gtc\n"
    "B2,new,buy,limit,9.99,40,\n"
    "S4,new,sell,market,,60,ioc\n"
    "B3,new,buy,limit,10.05,100,fok\n"
    "B4,new,buy,limit,10.02,70,fok\n"
    "S5,new,sell,limit,10.10,10,gtc\n"
    "S5,cancel,,,,,\n"
    "S5,cancel,,,,,\n"
    "B5,new,buy,limit,10.005,10,\n"
    "B6,new,buy,market,,5,\n"
)
GOLDEN_FILLS = (
    "seq,taker_order_id,maker_order_id,price,qty\n"
    "1,B1,S2,10.01,100\n"
    "2,B1,S3,10.01,50\n"
    "3,B1,S1,10.02,30\n"
    "4,S4,B2,9.99,40\n"
    "5,B4,S1,10.02,70\n"
)
GOLDEN_SUMMARY = (
    "replayed 13 orders (11 new, 2 cancel): 5 fills, "
    "4 rejects (no_liquidity 2, price_off_tick 1, unknown_order 1), 1 cancelled"
)


def run(tmp_path: Path, orders: str | bytes, *args: str) -> tuple[int, Path]:
    src = tmp_path / "orders.csv"
    if isinstance(orders, str):
        src.write_text(orders, encoding="utf-8", newline="")
    else:
        src.write_bytes(orders)
    out = tmp_path / "fills.csv"
    return main([str(src), "--out", str(out), *args]), out


def test_golden_example(tmp_path, capsys):
    code, out = run(tmp_path, GOLDEN_ORDERS)
    assert code == 0
    assert out.read_text() == GOLDEN_FILLS
    assert capsys.readouterr().err.strip() == GOLDEN_SUMMARY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fills.csv", "orders.csv"], "no temp file left"


def test_same_input_gives_byte_identical_output(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_replay", ROOT / "bench" / "bench_replay.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    orders = tmp_path / "orders.csv"
    bench.generate(orders, 5_000)
    outputs = []
    for name in ("a.csv", "b.csv"):
        assert main([str(orders), "--out", str(tmp_path / name)]) == 0
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 1000, "the generated stream trades"


def test_business_rejects_give_no_fills_and_are_counted(tmp_path, capsys):
    orders = HEADER + (
        "A,new,sell,limit,50.00,100,\n"
        "B,new,buy,limit,50.00,150,\n"  # not a lot multiple
        "C,new,buy,limit,50.005,100,\n"  # off the tick
        "D,new,buy,limit,56.00,100,\n"  # outside the band
        "E,new,buy,limit,0,100,\n"  # not positive: off the tick
        "F,new,buy,limit,-50.00,100,\n"
        "G,new,buy,limit,50.000001,100,\n"  # finer than the protocol's unit
        "H,cancel,,,,,\n"  # unknown
        "I,new,buy,limit,50.00,200,fok\n"  # not fillable in full
        "J,new,sell,market,,100,\n"  # nothing bid
        "K,new,buy,limit,50.00,100,ioc\n"
        "K2,new,buy,limit,50.00,100,ioc\n"  # IOC finding nothing is no reject
        "K,cancel,,,,,\n"  # already filled
    )
    code, out = run(tmp_path, orders, "--lot", "100", "--band", "45:55")
    assert code == 0
    assert out.read_text().splitlines()[1:] == ["1,K,A,50.00,100"]
    assert capsys.readouterr().err.strip() == (
        "replayed 13 orders (11 new, 2 cancel): 1 fills, 10 rejects (bad_quantity 1, no_liquidity 2, "
        "price_off_tick 4, price_outside_band 1, unknown_order 2), 0 cancelled"
    )


@pytest.mark.parametrize(
    ("tick", "price", "shown"),
    [
        ("0.01", "10.5", "10.50"),
        ("0.005", "10.005", "10.005"),
        ("1", "10", "10"),
        ("0.0001", "1.2345", "1.2345"),
    ],
)
def test_prices_are_written_with_the_ticks_decimals(tmp_path, tick, price, shown):
    orders = HEADER + f"A,new,sell,limit,{price},1,\nB,new,buy,market,,1,\n"
    code, out = run(tmp_path, orders, "--tick", tick)
    assert code == 0
    assert out.read_text().splitlines()[1] == f"1,B,A,{shown},1"


def test_order_ids_that_need_quoting_round_trip(tmp_path):
    orders = HEADER + (
        '"A,1",new,sell,limit,1.00,1,\n"B ""2""",new,buy,limit,1.00,1,\n'
        '"C\r\n3",new,sell,limit,1.00,1,\nplain-4,new,buy,limit,1.00,1,\n'
    )
    code, out = run(tmp_path, orders)
    assert code == 0
    assert out.read_bytes().decode().splitlines()[1] == '1,"B ""2""","A,1",1.00,1'
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1:] == [["1", 'B "2"', "A,1", "1.00", "1"], ["2", "plain-4", "C\r\n3", "1.00", "1"]]


def test_crlf_line_endings_and_a_last_line_without_one_give_the_same_fills(tmp_path):
    orders = GOLDEN_ORDERS.replace("\n", "\r\n").removesuffix("\r\n")
    code, out = run(tmp_path, orders)
    assert code == 0
    assert out.read_text() == GOLDEN_FILLS


def test_blank_lines_are_skipped_and_a_bom_is_tolerated(tmp_path):
    orders = "\ufeff" + HEADER + "A,new,sell,limit,1.00,1,\n\nB,new,buy,limit,1.00,1,\n"
    code, out = run(tmp_path, orders)
    assert code == 0
    assert out.read_text().splitlines()[1] == "1,B,A,1.00,1"


GOOD = "A,new,buy,limit,10.00,5,\n"

MALFORMED = [
    # (rows after the header, line, text the message must contain)
    ("order_id,action,side,type,price,qty\n", 1, "header"),
    ("", 1, "header: expected 'order_id,action,side,type,price,qty,tif', got nothing"),
    (GOOD + "B,new,buy,limit,10.00,5\n", 3, "expected 7 fields, got 6"),
    (GOOD + "B,new,buy,limit,10.00,5,gtc,x\n", 3, "expected 7 fields, got 8"),
    (GOOD + "B,modify,buy,limit,10.00,5,\n", 3, "field 'action': not new or cancel: 'modify'"),
    (GOOD + "B,,buy,limit,10.00,5,\n", 3, "field 'action'"),
    (GOOD + "B,new,BUY,limit,10.00,5,\n", 3, "field 'side': not buy or sell: 'BUY'"),
    (GOOD + "B,new,,limit,10.00,5,\n", 3, "field 'side'"),
    (GOOD + "B,new,buy,stop,10.00,5,\n", 3, "field 'type': not limit or market: 'stop'"),
    (GOOD + "B,new,buy,limit,10.00,5,day\n", 3, "field 'tif': not gtc, ioc or fok: 'day'"),
    (GOOD + "B,new,buy,limit,10.00,abc,\n", 3, "field 'qty': not a positive integer: 'abc'"),
    (GOOD + "B,new,buy,limit,10.00,0,\n", 3, "field 'qty': not a positive integer: '0'"),
    (GOOD + "B,new,buy,limit,10.00,-5,\n", 3, "field 'qty'"),
    (GOOD + "B,new,buy,limit,10.00,1.5,\n", 3, "field 'qty'"),
    (GOOD + "B,new,buy,limit,10.00, 5,\n", 3, "field 'qty'"),
    (GOOD + "B,new,buy,limit,10.00,,\n", 3, "field 'qty'"),
    (GOOD + "B,new,buy,limit,abc,5,\n", 3, "field 'price': not a decimal number: 'abc'"),
    (GOOD + "B,new,buy,limit,1e2,5,\n", 3, "field 'price'"),
    (GOOD + "B,new,buy,limit,10.0.0,5,\n", 3, "field 'price'"),
    (GOOD + "B,new,buy,limit, 10.00,5,\n", 3, "field 'price'"),
    (GOOD + "B,new,buy,limit,NaN,5,\n", 3, "field 'price'"),
    (GOOD + "B,new,buy,limit,,5,\n", 3, "field 'price': missing on a limit order"),
    (GOOD + "B,new,buy,market,10.00,5,\n", 3, "field 'price': must be empty for a market order"),
    (GOOD + "A,new,buy,limit,10.00,5,\n", 3, "field 'order_id': reused by a new order: 'A'"),
    (GOOD + ",new,buy,limit,10.00,5,\n", 3, "field 'order_id': empty"),
    (GOOD + ",cancel,,,,,\n", 3, "field 'order_id': empty"),
    (GOOD + "A,cancel,buy,,,,\n", 3, "field 'side': must be empty on a cancel"),
    (GOOD + "A,cancel,,limit,,,\n", 3, "field 'type'"),
    (GOOD + "A,cancel,,,10.00,,\n", 3, "field 'price'"),
    (GOOD + "A,cancel,,,,5,\n", 3, "field 'qty'"),
    (GOOD + "A,cancel,,,,,gtc\n", 3, "field 'tif'"),
    (GOOD + 'B,new,buy,limit,"10.00"x,5,\n', 3, "bad CSV"),
    (GOOD + 'B,new,buy,limit,"10.00,5,\n', 3, "bad CSV"),
    # Lines the csv module reads (quotes, line breaks) and lines split by hand count alike.
    (GOOD + '"B\nB",new,buy,limit,10.00,5,\nC,new,buy,limit,abc,5,\n', 5, "field 'price'"),
    (GOOD + '"B\nB",new,buy,limit,10.00,5,\nC,new,buy,limit,10.00,5\n', 5, "expected 7 fields, got 6"),
    (GOOD + "B,new,buy,limit,10.00,5,\x00\n", 3, "field 'tif': not gtc, ioc or fok: '\\x00'"),
    (GOOD + "B,new,buy,li\rmit,10.00,5,\n", 3, "expected 7 fields, got 4"),
]


@pytest.mark.parametrize(("rows", "line", "message"), MALFORMED)
def test_malformed_input_stops_with_line_and_field(tmp_path, capsys, rows, line, message):
    out = tmp_path / "fills.csv"
    out.write_text("previous result\n")
    src = tmp_path / "orders.csv"
    src.write_text(rows if line == 1 else HEADER + rows, newline="")
    assert main([str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{src}:{line}: "), err
    assert message in err
    assert out.read_text() == "previous result\n", "a failed run leaves the old output alone"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fills.csv", "orders.csv"], "no temp file left"


def test_reusing_the_id_of_a_rejected_or_finished_order_is_malformed(tmp_path, capsys):
    orders = HEADER + "A,new,buy,limit,10.005,5,\nB,new,buy,market,,5,\nB,new,buy,limit,10.00,5,\n"
    code, out = run(tmp_path, orders)
    assert code == 2 and not out.exists()
    assert ":4: field 'order_id': reused by a new order: 'B'" in capsys.readouterr().err


def test_not_utf8_is_malformed(tmp_path, capsys):
    code, out = run(tmp_path, HEADER.encode() + b"A,new,buy,limit,10.00,5,\nB\xff,new,buy,limit,10.00,5,\n")
    assert code == 2 and not out.exists()
    assert "not UTF-8" in capsys.readouterr().err


def test_missing_input_file(tmp_path, capsys):
    out = tmp_path / "fills.csv"
    assert main([str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "No such file" in err
    assert not out.exists()


def test_unwritable_output_directory(tmp_path, capsys):
    code, _ = run(tmp_path, GOLDEN_ORDERS, "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--tick", "abc"],
        ["--tick", "0"],
        ["--tick", "0.00001"],
        ["--lot", "0"],
        ["--lot", "x"],
        ["--band", "45"],
        ["--band", "55:45"],
        ["--band", "a:b"],
    ],
)
def test_bad_arguments_exit_2(tmp_path, capsys, args):
    code, out = run(tmp_path, GOLDEN_ORDERS, *args)
    assert code == 2 and not out.exists()
    assert "python -m simulator replay" in capsys.readouterr().err


def test_out_is_required(tmp_path, capsys):
    src = tmp_path / "orders.csv"
    src.write_text(GOLDEN_ORDERS)
    assert main([str(src)]) == 2
    assert "--out" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "ORDERS.csv" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "units"),
    [("10", 100_000), ("10.05", 100_500), (".5", 5_000), ("7.", 70_000), ("+1.25", 12_500), ("-0.01", -100)],
)
def test_parse_price(text, units):
    assert parse_price(text) == units


def test_parse_price_finer_than_the_unit_is_none():
    assert parse_price("1.00001") is None
    assert parse_price("1.000100") == 10_001


@pytest.mark.skipif(not (ROOT / "simulator" / "__main__.py").exists(), reason="no python -m simulator yet")
def test_command_line(tmp_path):
    src, out = tmp_path / "orders.csv", tmp_path / "fills.csv"
    src.write_text(GOLDEN_ORDERS)
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "replay", str(src), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == GOLDEN_FILLS
    assert GOLDEN_SUMMARY in result.stderr


def _read_all(
    rows: Iterable[list[str]], line_of: Callable[[], int]
) -> tuple[list[tuple[list[str], int]], bool]:
    """Every non-empty row with the line it ended on, and whether reading stopped on a CSV error."""
    seen = []
    try:
        for row in rows:
            if row:
                seen.append((row, line_of()))
    except csv.Error:
        return seen, True
    return seen, False


@given(st.text(alphabet='ab,"\r\n', max_size=80))
@settings(max_examples=500, deadline=None)
def test_rows_split_by_hand_are_the_rows_the_csv_module_reads(text):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = _Rows(io.StringIO(text, newline=""))
    assert _read_all(rows, lambda: rows.line) == _read_all(reader, lambda: reader.line_num)

"""The ``replay`` command: match a captured order stream of one symbol and write the fills.

    python -m simulator replay ORDERS.csv --out FILLS.csv [--tick 0.01] [--lot 1] [--band LOW:HIGH]

Used to reproduce an incident: orders are matched one after another, with no latency, by the same
:class:`~simulator.book.OrderBook` and :func:`~simulator.rules.check_order` as the exchange, so the
same input always gives byte-identical output.

Input: CSV with the header ``order_id,action,side,type,price,qty,tif``. ``action`` is ``new`` or
``cancel``; for a new order ``side`` is ``buy|sell``, ``type`` is ``limit|market``, ``price`` a decimal
such as ``10.05`` (empty for a market order), ``qty`` a positive integer and ``tif`` ``gtc|ioc|fok``
(empty means gtc). A cancel names the order to cancel in ``order_id`` and leaves every other field
empty. Values are case-sensitive and not trimmed; quoting follows CSV rules, strictly (a stray quote is
malformed). Blank lines are skipped; a UTF-8 byte-order mark is allowed.

Output: CSV ``seq,taker_order_id,maker_order_id,price,qty``, one row per fill in execution order,
prices with as many decimals as the tick. It is written through :class:`userfiles.writing.OutputFile`:
to a temporary file beside the target, renamed into place only on success, so a failed or interrupted
run (Ctrl-C, SIGTERM) leaves no output file and any old one untouched; an output that is the input is
refused; a symlink is followed and a device or pipe (``/dev/stdout``) written directly.

Two kinds of bad input are told apart:

- A *malformed* row cannot be understood, so the stream cannot be trusted: wrong header or field
  count, an unknown action/side/type/tif, a qty that is not a positive integer, a price that is not a
  decimal number, a qty or price beyond :data:`MAX_UNITS` (2**63 - 1 units: never rounded), a price
  on a market order or none on a limit order, fields on a cancel, an empty order id, an order id
  that an earlier new order already used (even if that order is finished). The
  run stops with exit code 2 and ``FILE:LINE: field 'NAME': ...`` on stderr.
- A *business reject* is an order the exchange would refuse by its rules: a qty not a multiple of the
  lot, a price off the tick (including a non-positive price, or one finer than the protocol's
  1/10,000), a price outside the band, a cancel of an unknown or finished order, a FOK order that
  cannot fill in full, a market order that finds nothing to trade with. It gives no fills and is
  counted in the one-line summary printed on stderr at the end.

Exit codes: 0 success, 2 bad arguments, unreadable input, malformed input or an output that cannot be
written (named); 143 when ended by SIGTERM.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from simulator.book import Order, OrderBook
from simulator.rules import check_order
from userfiles.reading import first_bad_utf8
from userfiles.writing import OutputError, OutputFile
from venue.messages import PRICE_SCALE, RejectReason, format_price, to_price

HEADER = ["order_id", "action", "side", "type", "price", "qty", "tif"]
OUT_HEADER = ["seq", "taker_order_id", "maker_order_id", "price", "qty"]

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# What makes the csv module quote a field (delimiter, quote character, line breaks).
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_UNIT_DECIMALS = len(str(PRICE_SCALE)) - 1
# The largest quantity and price (in units) taken: what a 64-bit exchange protocol or SQLite INTEGER
# carries, and well within the 28 digits that prices are formatted to exactly. Beyond it a row is
# malformed, never rounded; Python would also refuse to read an integer of more than 4,300 digits.
MAX_UNITS = (1 << 63) - 1
_MAX_DIGITS = len(str(MAX_UNITS))
# Parsed texts are cached (prices and quantities repeat a lot); the cap bounds memory on odd input.
_CACHE_CAP = 1 << 16
# A price cache miss. Should a text really parse to this value, it is merely parsed again each time.
_UNPARSED = -(1 << 62)
_NO_LIQUIDITY = RejectReason.NO_LIQUIDITY
_UNKNOWN_ORDER = RejectReason.UNKNOWN_ORDER
_OFF_TICK = RejectReason.PRICE_OFF_TICK


class Malformed(Exception):
    """A row that cannot be understood: stops the run."""

    def __init__(self, line: int, field_name: str, message: str) -> None:
        super().__init__(f"{line}: field '{field_name}': {message}" if field_name else f"{line}: {message}")
        self.line = line
        self.field_name = field_name


@dataclass(frozen=True, slots=True)
class Config:
    tick: int = 100  # price units: 0.01
    lot: int = 1
    band: tuple[int, int] | None = None


@dataclass(slots=True)
class Summary:
    rows: int = 0
    new: int = 0
    cancel_rows: int = 0
    fills: int = 0
    cancelled: int = 0
    rejects: Counter[RejectReason] = field(default_factory=Counter)

    def line(self) -> str:
        rejects = sum(self.rejects.values())
        detail = ", ".join(f"{reason} {n}" for reason, n in sorted(self.rejects.items()))
        return (
            f"replayed {self.rows} orders ({self.new} new, {self.cancel_rows} cancel): {self.fills} fills, "
            f"{rejects} rejects{f' ({detail})' if detail else ''}, {self.cancelled} cancelled"
        )


def parse_price(text: str) -> int | None:
    """Price units of a decimal text; None if it is finer than the protocol's unit (so off any tick).

    Raises ValueError if the text is not a plain decimal number (no exponent, no spaces) or is
    beyond :data:`MAX_UNITS` either side of zero.
    """
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal number: {text[:40]!r}")
    negative = text[0] == "-"
    whole, _, frac = text.lstrip("+-").partition(".")
    whole = whole.lstrip("0")
    frac = frac.rstrip("0")
    if len(whole) > _MAX_DIGITS or len(frac) > _MAX_DIGITS:  # read no huge integer
        if len(frac) > _UNIT_DECIMALS and len(whole) <= _MAX_DIGITS:
            return None
        raise ValueError(f"beyond the largest price, {format_price(MAX_UNITS, 0)}: {text[:40]!r}")
    if len(frac) > _UNIT_DECIMALS:
        return None
    units = int(whole or "0") * PRICE_SCALE + int(frac.ljust(_UNIT_DECIMALS, "0"))
    if units > MAX_UNITS:
        raise ValueError(f"beyond the largest price, {format_price(MAX_UNITS, 0)}: {text[:40]!r}")
    return -units if negative else units


class _Rows:
    """The rows of the orders file, read by hand where a line cannot need the csv module.

    A line with no quote character and no line break before its ending is split on commas, which
    is exactly what the csv module makes of it (a blank line gives no row, as with the module), and
    reading 1,000,000 orders takes 0.6-0.7 s instead of 0.8-0.9 s. Any other line (quotes, a field
    over several lines, a stray carriage return, a last line with no ending) goes to a strict csv
    reader, which takes as many lines as the record needs. ``line`` is the input line of the row
    given last, or of a csv error.
    """

    def __init__(self, source: IO[str]) -> None:
        self._source = source
        self._held: str | None = None  # a line handed to the csv reader
        self._reader = csv.reader(self._lines(), strict=True)
        self.line = 0

    def _lines(self) -> Iterator[str]:
        while True:
            held = self._held
            if held is not None:
                self._held = None
                yield held
                continue
            line = self._source.readline()
            if not line:
                return
            yield line

    def __iter__(self) -> _Rows:
        return self

    def __next__(self) -> list[str]:
        while True:
            line = self._source.readline()
            if not line:
                raise StopIteration
            if '"' not in line and line[-1] == "\n" and "\r" not in line[:-2]:
                self.line += 1
                body = line[:-2] if line[-2:] == "\r\n" else line[:-1]
                if body:
                    return body.split(",")
                continue
            self._held = line
            before = self._reader.line_num
            try:
                row = next(self._reader)
            finally:
                self.line += self._reader.line_num - before
            if row:
                return row


def replay(
    rows: Iterable[list[str]], line_of: Callable[[], int], config: Config, write: Callable[[str], object]
) -> Summary:
    """Match ``rows`` (the data rows, header already read) and ``write`` one CSV line per fill.

    ``line_of()`` gives the input line of the row being handled, for error messages. Raises
    :class:`Malformed` at the first row that cannot be understood.
    """
    book = OrderBook()
    submit, cancel = book.submit, book.cancel
    tick, lot, band = config.tick, config.lot, config.band
    decimals = _decimals(tick)
    prices: dict[str, int | None] = {}
    qtys: dict[str, int] = {}
    formatted: dict[int, str] = {}
    seen: set[str] = set()
    # The CSV text of the few order ids that must be quoted; every other id is written as it is.
    quoted: dict[object, str] = {}
    summary = Summary()
    rejects = summary.rejects
    n_rows = n_new = seq = cancelled = 0

    for row in rows:
        if len(row) != 7:
            if not row:
                continue
            raise Malformed(line_of(), "", f"expected {len(HEADER)} fields, got {len(row)}")
        n_rows += 1
        oid, action, side, typ, price_text, qty_text, tif = row
        if action == "new":
            n_new += 1
            n_seen = len(seen)
            seen.add(oid)  # one lookup: the set grows unless the id was used before
            if len(seen) == n_seen or not oid:
                raise Malformed(line_of(), "order_id", f"reused by a new order: {oid!r}" if oid else "empty")
            if not oid.isalnum() and _NEEDS_QUOTES.search(oid):
                quoted[oid] = _quote(oid)
            # Compared with literals rather than looked up: the compiled form makes these the cheapest.
            is_buy = side == "buy"
            if not is_buy and side != "sell":
                raise Malformed(line_of(), "side", f"not buy or sell: {side!r}")
            is_market = typ == "market"
            if not is_market and typ != "limit":
                raise Malformed(line_of(), "type", f"not limit or market: {typ!r}")
            if is_market:
                if price_text:
                    raise Malformed(line_of(), "price", f"must be empty for a market order: {price_text!r}")
                price = None
            else:
                price = prices.get(price_text, _UNPARSED)
                if price == _UNPARSED:
                    if not price_text:
                        raise Malformed(line_of(), "price", "missing on a limit order")
                    try:
                        price = parse_price(price_text)
                    except ValueError as exc:
                        raise Malformed(line_of(), "price", str(exc)) from None
                    if len(prices) < _CACHE_CAP:
                        prices[price_text] = price
            qty = qtys.get(qty_text)
            if qty is None:
                if not (qty_text.isascii() and qty_text.isdigit()):
                    raise Malformed(line_of(), "qty", f"not a positive integer: {qty_text[:40]!r}")
                digits = qty_text.lstrip("0") or "0"
                if len(digits) > _MAX_DIGITS or int(digits) > MAX_UNITS:
                    raise Malformed(
                        line_of(), "qty", f"beyond the largest quantity, {MAX_UNITS}: {qty_text[:40]!r}"
                    )
                qty = int(digits)
                if qty == 0:
                    raise Malformed(line_of(), "qty", f"not a positive integer: {qty_text!r}")
                if len(qtys) < _CACHE_CAP:
                    qtys[qty_text] = qty
            if tif == "" or tif == "gtc":
                time_in_force = "gtc"
            elif tif == "ioc" or tif == "fok":
                time_in_force = tif
            else:
                raise Malformed(line_of(), "tif", f"not gtc, ioc or fok: {tif!r}")

            if price is None and not is_market:  # finer than the price unit, so off any tick
                rejects[_OFF_TICK] += 1
                continue
            reason = check_order(is_market, price, qty, tick, lot, band)
            if reason is not None:
                rejects[reason] += 1
                continue
            fills = submit(Order(oid, is_buy, price, qty), time_in_force)
            if fills:
                for maker, fill_qty, fill_price in fills:
                    seq += 1
                    text = formatted.get(fill_price)
                    if text is None:
                        text = formatted[fill_price] = format_price(fill_price, decimals)
                    taker_id: object = oid
                    maker_id = maker.order_id
                    if quoted:
                        taker_id, maker_id = quoted.get(oid, oid), quoted.get(maker_id, maker_id)
                    write(f"{seq},{taker_id},{maker_id},{text},{fill_qty}\n")
            elif is_market or time_in_force == "fok":
                rejects[_NO_LIQUIDITY] += 1
        elif action == "cancel":
            if not oid:
                raise Malformed(line_of(), "order_id", "empty")
            for name, value in zip(HEADER[2:], row[2:], strict=True):
                if value:
                    raise Malformed(line_of(), name, f"must be empty on a cancel: {value!r}")
            if cancel(oid) is None:
                rejects[_UNKNOWN_ORDER] += 1
            else:
                cancelled += 1
        else:
            raise Malformed(line_of(), "action", f"not new or cancel: {action!r}")

    summary.rows = n_rows
    summary.new = n_new
    summary.cancel_rows = n_rows - n_new
    summary.fills = seq
    summary.cancelled = cancelled
    return summary


def _quote(field_text: str) -> str:
    """``field_text`` as the csv module writes it in a field that needs quoting."""
    return '"' + field_text.replace('"', '""') + '"'


def _decimals(tick: int) -> int:
    """How many decimals a price on this tick needs: 2 for 0.01, 3 for 0.025, 0 for 1."""
    _, _, frac = format_price(tick, 0).partition(".")
    return len(frac)


def _price_arg(text: str) -> int:
    try:
        units = to_price(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if units <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text[:40]!r}")
    if units > MAX_UNITS:
        raise argparse.ArgumentTypeError(
            f"beyond the largest price, {format_price(MAX_UNITS, 0)}: {text[:40]!r}"
        )
    return units


def _lot_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS or not 0 < int(text) <= MAX_UNITS:
        raise argparse.ArgumentTypeError(f"not a positive integer up to {MAX_UNITS}: {text[:40]!r}")
    return int(text)


def _band_arg(text: str) -> tuple[int, int]:
    low, sep, high = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH: {text!r}")
    band = _price_arg(low), _price_arg(high)
    if band[0] > band[1]:
        raise argparse.ArgumentTypeError(f"LOW above HIGH: {text!r}")
    return band


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator replay",
        description="Match a captured order stream of one symbol, with no latency, and write the fills.",
    )
    parser.add_argument("orders", metavar="ORDERS.csv", help="order_id,action,side,type,price,qty,tif")
    parser.add_argument("--out", required=True, metavar="FILLS.csv", help="where to write the fills")
    parser.add_argument("--tick", type=_price_arg, default=100, help="price tick (default 0.01)")
    parser.add_argument("--lot", type=_lot_arg, default=1, help="quantity lot (default 1)")
    parser.add_argument("--band", type=_band_arg, default=None, metavar="LOW:HIGH", help="price band")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code (see the module docstring)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on bad arguments
        return int(exc.code or 0)
    config = Config(tick=args.tick, lot=args.lot, band=args.band)
    path = args.orders
    try:
        source = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        print(f"replay: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        output = OutputFile(args.out, [path])
    except OutputError as exc:
        source.close()
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    rows = _Rows(source)
    try:
        header = next(rows, None)
        if header != HEADER:
            got = "nothing" if header is None else repr(",".join(header)[:80])
            raise Malformed(1, "", f"header: expected {','.join(HEADER)!r}, got {got}")
        sink = output.stream
        sink.write(",".join(OUT_HEADER) + "\n")
        summary = replay(rows, lambda: rows.line, config, sink.write)
        output.commit()
    except Malformed as exc:
        print(f"{path}:{exc}", file=sys.stderr)
        return 2
    except csv.Error as exc:
        print(f"{path}:{rows.line}: bad CSV: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(_not_utf8(path, rows.line, exc), file=sys.stderr)
        return 2
    except OSError as exc:  # writing the fills (reading errors are rarer than a full disk)
        print(f"replay: {output.failed(exc)}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    finally:
        source.close()
        output.discard()  # unless committed: a failed or interrupted run leaves no partial output
    print(summary.line(), file=sys.stderr)
    return 0


def _not_utf8(path: str, line: int, exc: UnicodeDecodeError) -> str:
    """The message for input that is not UTF-8, naming the line of the first bad byte.

    The text reader decodes ahead of the rows handed out, so the line is found by reading the file
    again as bytes; a pipe cannot be read again, and gets the last line read.
    """
    found = None
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "rb") as raw:
                found = first_bad_utf8(raw)
    except OSError:
        pass
    if found is None:
        return f"{path}: not UTF-8 text after line {line}: {exc.reason}"
    return f"{path}:{found[0]}: not UTF-8 text (byte 0x{found[1]:02x})"

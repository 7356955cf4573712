"""The paper-trading ledger: fills, positions, cash, fees and P&L, kept in SQLite.

Every fill is written once (its ``fill_id`` is unique), so replaying the same execution reports after a
reconnect cannot double-count. The in-memory state is rebuilt from the fills table on start, which is
what makes positions and cash survive a restart with the same database file. Cash and fees are exact
integers in price units (``1 / PRICE_SCALE`` of the currency); average cost and P&L are floats.
"""

from __future__ import annotations

import math
import os
import sqlite3
from dataclasses import dataclass

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput, require_positive_int, require_side, require_text
from venue.messages import Side

# SQLite stores an INTEGER in 64 bits: a quantity, a price or a notional (their product, which bounds
# the fee) beyond this would not be stored, so it is refused by name before anything is written.
MAX_INTEGER = (1 << 63) - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id  TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    symbol   TEXT NOT NULL,
    side     TEXT NOT NULL,
    qty      INTEGER NOT NULL,
    price    INTEGER NOT NULL,
    fee      INTEGER NOT NULL,
    time     REAL NOT NULL
)
"""


def _check_path(path: str) -> None:
    """Refuse, by name, a database path that cannot be a file: a directory, or in a missing folder."""
    if path == ":memory:":
        return
    if "\0" in path:
        raise InvalidInput("ledger", "path", f"contains a NUL character: {path!r}")
    if os.path.isdir(path):
        raise InvalidInput("ledger", "path", f"{path!r} is a directory, not a database file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInput("ledger", "path", f"folder {folder!r} does not exist")


def _storable(text: object) -> bool:
    """Whether ``text`` is a string SQLite can store as UTF-8 (no lone surrogate)."""
    if not isinstance(text, str):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class LedgerFill:
    fill_id: str
    order_id: str
    symbol: str
    side: Side
    qty: int
    price: int
    fee: int  # price units
    time: float


@dataclass(slots=True)
class _Book:
    """Per-symbol running state under the average-cost method."""

    position: int = 0
    avg_cost: float = 0.0
    realized: float = 0.0


class PaperTradingSystem(Lifecycle):
    """Paper-trading ledger; see the module docstring."""

    name = "paper_trading_system"

    def __init__(self, path: str = ":memory:", fee_bps: float = 0.5) -> None:
        super().__init__()
        if isinstance(fee_bps, bool) or not isinstance(fee_bps, int | float) or not 0 <= fee_bps <= 10_000:
            raise InvalidInput(
                "ledger", "fee_bps", f"must be a number from 0 to 10,000 (100%), got {fee_bps!r}"
            )
        if not isinstance(path, str) or not path:
            raise InvalidInput("ledger", "path", f"must be a non-empty string, got {path!r}")
        _check_path(path)
        self.path = path
        self.fee_bps = float(fee_bps)
        self._db: sqlite3.Connection | None = None
        self._reset_state()

    # --- lifecycle --------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._books: dict[str, _Book] = {}
        self._cash = 0
        self._fees = 0
        self._realized = 0.0
        self._fills = 0

    def _on_start(self) -> None:
        _check_path(self.path)  # again: the folder may have changed since construction
        try:
            db = sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            raise InvalidInput("ledger", "path", f"cannot open {self.path!r}: {exc}") from None
        try:
            with db:
                db.execute(_SCHEMA)
            rows = db.execute("SELECT symbol, side, qty, price, fee FROM fills ORDER BY seq").fetchall()
        except sqlite3.Error as exc:
            db.close()
            raise InvalidInput("ledger", "path", f"{self.path!r} is not a ledger database: {exc}") from None
        self._db = db
        self._reset_state()
        # Replaying in insertion order reproduces the average cost and realized P&L exactly.
        for symbol, side, qty, price, fee in rows:
            self._apply_state(symbol, Side(side), qty, price, fee)

    def _on_stop(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- fills ------------------------------------------------------------------------------------

    def fee_for(self, qty: int, price: int) -> int:
        """The fee of a fill in price units, rounded up so the ledger never under-charges."""
        # Integer arithmetic for the product; only the bps factor is a float.
        return math.ceil(qty * price * self.fee_bps / 10_000)

    def apply_fill(
        self, fill_id: str, order_id: str, symbol: str, side: Side, qty: int, price: int, time: float
    ) -> bool:
        """Record a fill; False (and no change) when ``fill_id`` was recorded before."""
        where = f"ledger fill {fill_id}" if _storable(fill_id) else f"ledger fill {fill_id!r}"
        require_text(where, "fill_id", fill_id)
        if not isinstance(order_id, str):
            raise InvalidInput(where, "order_id", f"must be a string, got {order_id!r}")
        require_text(where, "symbol", symbol)
        for name, text in (("fill_id", fill_id), ("order_id", order_id), ("symbol", symbol)):
            if not _storable(text):
                raise InvalidInput(where, name, f"must be Unicode text without lone surrogates, got {text!r}")
        require_side(where, "side", side)
        require_positive_int(where, "qty", qty)
        require_positive_int(where, "price", price)
        for name, number in (("qty", qty), ("price", price)):
            if number > MAX_INTEGER:  # said by size: Python will not print an int of 4,300 digits
                bits = number.bit_length()
                raise InvalidInput(
                    where, name, f"must be at most 2**63 - 1 (SQLite INTEGER), got {bits} bits"
                )
        if qty * price > MAX_INTEGER:
            raise InvalidInput(
                where, "qty", f"times price must be at most 2**63 - 1 (SQLite INTEGER), got {qty} x {price}"
            )
        if isinstance(time, bool) or not isinstance(time, int | float) or not math.isfinite(time):
            raise InvalidInput(where, "time", f"must be a finite number, got {time!r}")
        db = self._require_db()
        fee = self.fee_for(qty, price)
        try:
            with db:  # one transaction: committed on success, rolled back on error
                db.execute(
                    "INSERT INTO fills (fill_id, order_id, symbol, side, qty, price, fee, time)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (fill_id, order_id, symbol, side.value, qty, price, fee, float(time)),
                )
        except sqlite3.IntegrityError:
            return False  # the UNIQUE fill_id: a replayed fill
        # Memory is updated only after the commit, so a failed write leaves both sides agreeing.
        self._apply_state(symbol, side, qty, price, fee)
        return True

    def _apply_state(self, symbol: str, side: Side, qty: int, price: int, fee: int) -> None:
        book = self._books.setdefault(symbol, _Book())
        delta = side.sign * qty
        pos = book.position
        if pos == 0 or (pos > 0) == (delta > 0):
            new_pos = pos + delta
            book.avg_cost = (book.avg_cost * abs(pos) + price * qty) / abs(new_pos)
            book.position = new_pos
        else:
            closed = min(qty, abs(pos))
            sign = 1 if pos > 0 else -1
            gain = (price - book.avg_cost) * closed * sign
            book.realized += gain
            self._realized += gain
            new_pos = pos + delta
            book.position = new_pos
            if new_pos == 0:
                book.avg_cost = 0.0
            elif (new_pos > 0) != (pos > 0):
                book.avg_cost = float(price)  # crossed through zero: the remainder opens afresh
        self._cash -= delta * price
        self._fees += fee
        self._fills += 1

    def _require_db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._db

    # --- accessors --------------------------------------------------------------------------------

    def position(self, symbol: str) -> int:
        book = self._books.get(symbol)
        return book.position if book else 0

    def positions(self) -> dict[str, int]:
        return {s: b.position for s, b in sorted(self._books.items()) if b.position != 0}

    def cash(self) -> int:
        """Cash in price units from trading alone; fees are kept apart in :meth:`fees`."""
        return self._cash

    def fees(self) -> int:
        return self._fees

    def avg_cost(self, symbol: str) -> float:
        book = self._books.get(symbol)
        return book.avg_cost if book else 0.0

    def realized_pnl(self, symbol: str | None = None) -> float:
        """Realized P&L in price units x qty, of one symbol or of all."""
        if symbol is None:
            return self._realized
        book = self._books.get(symbol)
        return book.realized if book else 0.0

    def unrealized_pnl(self, marks: dict[str, float], symbol: str | None = None) -> float:
        """Open P&L against ``marks`` (of one symbol or all); a held symbol with no mark counts 0."""
        total = 0.0
        for name, book in self._books.items():
            if book.position == 0 or (symbol is not None and name != symbol):
                continue
            mark = marks.get(name)
            if mark is None:
                continue
            total += (mark - book.avg_cost) * book.position
        return total

    def fills_count(self) -> int:
        return self._fills

    def fills(self) -> list[LedgerFill]:
        rows = (
            self._require_db()
            .execute("SELECT fill_id, order_id, symbol, side, qty, price, fee, time FROM fills ORDER BY seq")
            .fetchall()
        )
        return [LedgerFill(f, o, s, Side(sd), q, p, fee, t) for f, o, s, sd, q, p, fee, t in rows]

    # --- component API ----------------------------------------------------------------------------

    def health(self) -> Health:
        return self._stopped_health() or Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.fills": float(self._fills),
            f"{n}.symbols_held": float(len(self.positions())),
            f"{n}.cash": float(self._cash),
            f"{n}.fees": float(self._fees),
            f"{n}.realized_pnl": float(self._realized),
        }

    def validate(self) -> list[str]:
        """Recompute positions, cash, fees and the fill count from the table and compare."""
        if self._db is None:
            return []
        problems: list[str] = []
        rows = self._db.execute("SELECT symbol, side, qty, price, fee FROM fills").fetchall()
        positions: dict[str, int] = {}
        cash = fees = 0
        for symbol, side, qty, price, fee in rows:
            delta = Side(side).sign * qty
            positions[symbol] = positions.get(symbol, 0) + delta
            cash -= delta * price
            fees += fee
        positions = {s: p for s, p in sorted(positions.items()) if p != 0}
        if positions != self.positions():
            problems.append(f"positions {self.positions()} differ from the fills table {positions}")
        if cash != self._cash:
            problems.append(f"cash {self._cash} differs from the fills table {cash}")
        if fees != self._fees:
            problems.append(f"fees {self._fees} differ from the fills table {fees}")
        if len(rows) != self._fills:
            problems.append(f"fill count {self._fills} differs from the fills table {len(rows)}")
        return problems

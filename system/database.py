"""The production database: SQLite with numbered migrations for orders, positions, audit events and
API keys (fills are the ledger's own table in the same file), written through parameters only.

Migrations are applied in order at start, each in its own transaction, and recorded in
``schema_migrations``; a database whose recorded version is newer than this code knows is refused
by name rather than used. Orders and positions are persisted every ``interval`` seconds of the
injected clock and once more at stop, so a crash loses at most one interval, which reconciliation
with the exchange then recovers. Only the orders the venue reported on since the last write are
written (:meth:`OperationsDatabase.touch`), so a write costs what changed, not the day's orders.
Audit events are written at once, one transaction each: an operator's decision is never held back in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from system.component import Health, HealthState, Lifecycle
from system.errors import InvalidInput
from system.ledger import _check_path
from venue.clock import Clock, Timer

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "audit events",
        "CREATE TABLE audit_events (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
        " caller TEXT NOT NULL, role TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,"
        " action TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL)",
    ),
    (
        2,
        "orders",
        "CREATE TABLE orders (cl_ord_id TEXT PRIMARY KEY, order_id TEXT, symbol TEXT NOT NULL,"
        " side TEXT NOT NULL, qty INTEGER NOT NULL, price INTEGER, status TEXT NOT NULL,"
        " cum_qty INTEGER NOT NULL, updated REAL NOT NULL)",
    ),
    (
        3,
        "positions",
        "CREATE TABLE positions (symbol TEXT PRIMARY KEY, position INTEGER NOT NULL, updated REAL NOT NULL)",
    ),
    (
        4,
        "api keys",
        "CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, role TEXT NOT NULL, key_hash TEXT NOT NULL,"
        " created REAL NOT NULL)",
    ),
)
TABLES = ("audit_events", "orders", "positions", "api_keys")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    time: float
    caller: str  # the API key id, or "anonymous" when the request named none
    role: str  # the caller's role, "" when not authenticated
    method: str
    path: str
    action: str
    outcome: str  # "allowed" or "refused"
    reason: str


class OperationsDatabase(Lifecycle):
    """The database; see the module docstring. ``order`` finds the engine's record of a client id,
    ``positions`` gives the ledger's positions."""

    name = "operations_database"

    def __init__(
        self,
        path: str,
        clock: Clock,
        timer: Timer,
        order: Callable[[str], Any],
        held: Callable[[], int],
        positions: Callable[[], dict[str, int]],
        interval: float = 1.0,
    ) -> None:
        super().__init__()
        if not isinstance(path, str) or not path:
            raise InvalidInput("database", "path", f"must be a non-empty string, got {path!r}")
        _check_path(path)
        self.path = path
        self._clock = clock
        self._timer = timer
        self._order = order
        self._held_reports = held
        self._dirty: set[str] = set()  # client ids the venue reported on since the last write
        self._positions = positions
        self.interval = interval
        self._db: sqlite3.Connection | None = None
        self._written: dict[str, tuple] = {}  # cl_ord_id -> the row last written
        self._held: dict[str, int] = {}
        self.writes = 0
        self.audit_rows = 0

    # --- lifecycle --------------------------------------------------------------------------------

    def _on_start(self) -> None:
        try:
            # The operator API's HTTP thread writes audit rows too, one request at a time under the
            # session's lock (operator_api.serve), so the connection may be used from that thread.
            db = sqlite3.connect(self.path, check_same_thread=False)
            migrate(db, self.path)
        except sqlite3.Error as exc:
            raise InvalidInput("database", "path", f"cannot open {self.path!r}: {exc}") from None
        self._db = db
        self._written = {r[0]: tuple(r) for r in db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders")}
        self._held = dict(db.execute("SELECT symbol, position FROM positions").fetchall())
        self._timer.call_later(self.interval, self._tick)

    def _on_stop(self) -> None:
        if self._db is not None:
            self.persist()
            self._db.close()
            self._db = None

    def _tick(self) -> None:
        if self.running:
            self.persist()
            self._timer.call_later(self.interval, self._tick)

    # --- writing ----------------------------------------------------------------------------------

    def persist(self) -> int:
        """Write the orders and positions that changed since the last write; the rows written."""
        db = self._require()
        now = self._clock.now()
        rows = []
        records = {id(r): r for r in map(self._order, self._dirty) if r is not None}
        for record in records.values():
            row = _row(record)
            if self._written.get(row[0], ())[:8] != row:
                rows.append((*row, now))
        # A report held back for an earlier one changes its order later: keep the ids until none is held.
        if not self._held_reports():
            self._dirty.clear()
        held = self._positions()
        changed = {s: p for s, p in held.items() if self._held.get(s) != p}
        changed.update({s: 0 for s in self._held if s not in held and self._held[s] != 0})
        if not rows and not changed:
            return 0
        with db:
            db.executemany(
                f"INSERT OR REPLACE INTO orders ({_ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            db.executemany(
                "INSERT OR REPLACE INTO positions (symbol, position, updated) VALUES (?, ?, ?)",
                [(s, p, now) for s, p in changed.items()],
            )
        for row in rows:
            self._written[row[0]] = row
        self._held.update(changed)
        self.writes += len(rows) + len(changed)
        return len(rows) + len(changed)

    def archive(self, record: Any) -> None:
        """An order leaves the engine's memory: write it now unless its last write is its final
        state, then let its row go from memory (the database keeps it)."""
        row = _row(record)
        if self._written.get(row[0], ())[:8] != row:
            db = self._require()
            with db:
                db.execute(
                    f"INSERT OR REPLACE INTO orders ({_ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, self._clock.now()),
                )
            self.writes += 1
        self._written.pop(row[0], None)

    def stored_orders(self) -> dict[str, tuple[str | None, str, int]]:
        """Every order as written: client id -> (venue order id, status, filled quantity)."""
        rows = self._require().execute("SELECT cl_ord_id, order_id, status, cum_qty FROM orders")
        return {clid: (order_id, status, cum_qty) for clid, order_id, status, cum_qty in rows}

    def touch(self, report: object) -> None:
        """The venue reported on an order (an execution report or a cancel reject): write it next time."""
        cl_ord_id = getattr(report, "cl_ord_id", None)
        if isinstance(cl_ord_id, str):
            self._dirty.add(cl_ord_id)

    def audit(self, event: AuditEvent) -> None:
        """Write one operator decision, committed before this returns."""
        db = self._require()
        with db:
            db.execute(
                "INSERT INTO audit_events (time, caller, role, method, path, action, outcome, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.time,
                    event.caller,
                    event.role,
                    event.method,
                    event.path,
                    event.action,
                    event.outcome,
                    event.reason,
                ),
            )
        self.audit_rows += 1

    def store_key(self, key_id: str, role: str, key_hash: str) -> None:
        db = self._require()
        with db:
            db.execute(
                "INSERT OR REPLACE INTO api_keys (key_id, role, key_hash, created) VALUES (?, ?, ?, ?)",
                (key_id, role, key_hash, self._clock.now()),
            )

    def key(self, key_id: str) -> tuple[str, str] | None:
        """(role, key_hash) of an API key, or None when there is no such key."""
        row = self._require().execute("SELECT role, key_hash FROM api_keys WHERE key_id = ?", (key_id,))
        found = row.fetchone()
        return None if found is None else (found[0], found[1])

    def counts(self) -> dict[str, int]:
        """Rows per table (the ledger's fills included when they share the file)."""
        db = self._require()
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}

    def _require(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._db

    # --- component API ----------------------------------------------------------------------------

    def health(self) -> Health:
        return self._stopped_health() or Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        return {f"{self.name}.writes": float(self.writes), f"{self.name}.audit_rows": float(self.audit_rows)}

    def validate(self) -> list[str]:
        if self._db is None:
            return []
        stored = self._db.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
        return [] if stored >= self.audit_rows else [f"{self.audit_rows} audit rows written, {stored} stored"]


_ORDER_COLUMNS = "cl_ord_id, order_id, symbol, side, qty, price, status, cum_qty, updated"


def _row(record: Any) -> tuple:
    """An order's row as written, but for its time."""
    return (
        record.first_cl_ord_id,
        record.order_id,
        record.symbol,
        record.side.value,
        record.qty,
        record.price,
        record.status,
        record.cum_qty,
    )


def schema_version(db: sqlite3.Connection) -> int:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
    )
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(db: sqlite3.Connection, where: str) -> int:
    """Apply the migrations ``db`` lacks, each in one transaction; returns the version reached."""
    version = schema_version(db)
    newest = MIGRATIONS[-1][0]
    if version > newest:
        raise InvalidInput(
            "database",
            "schema_migrations",
            f"{where!r} is at version {version}, newer than this code's {newest}",
        )
    for number, name, statement in MIGRATIONS:
        if number > version:
            with db:
                db.execute(statement)
                db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (number, name))
    return newest

"""Driving the system as its operators do: start it from a configuration profile, attack its venue
sessions, call its operator API, pull the kill switch; and the outside evidence each of those leaves
(the exchange's records, the gateway's traffic, the venue tap, the system's database and log).

Secrets are handed to the system as a process environment would (a mapping of variable names), and
the evidence of leaks is looked for in what an operator could read: log lines and report attachments.

From the command line, a session configured from a profile serves its operator API on a loopback port
(secrets from the environment; it prints the address, the key ids and how its clock reads)::

    ALLUSE_VENUE_SECRET=... ALLUSE_OPERATOR_KEY=... python -m harness.operations serve --profile dev --port 0
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.clock import SimTimer
from harness.raw_session import RawSession
from harness.session import ACCOUNT, SECRET, SessionSpec, TradingSession
from harness.versions import register_versions
from simulator.world import Market, MarketConfig
from system import backup as backups
from system.app import TradingSystem
from system.backup import BackupError, backup, write_manifest
from system.errors import InvalidInput
from system.operator_api import OperatorAPI, Response, serve, sign
from system.profiles import PROFILES, Profile, load_profile, profile_path
from venue.messages import Logon, LogonAck, RejectReason, Side

OPERATOR_KEY = "operator-master-key-for-the-simulated-session"  # what the harness's environment holds


def environment(venue_secret: str = SECRET, operator_key: str = OPERATOR_KEY) -> dict[str, str]:
    """The process environment the system is started in: the real one plus its two secrets."""
    return {**os.environ, "ALLUSE_VENUE_SECRET": venue_secret, "ALLUSE_OPERATOR_KEY": operator_key}


def profile_settings(name: str, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The system settings of profile ``name`` as a session takes them, and the venue secret it reads
    from ``env``."""
    profile = load_profile(name, [], env)
    return dataclasses.asdict(profile.settings), profile.venue_secret.reveal()


def profile_session(
    name: str,
    seed: int,
    env: dict[str, str],
    overrides: list[Any] | tuple = (),
    symbols: int = 3,
    market: str = "normal",
) -> tuple[Profile, TradingSession]:
    """A simulated session whose system is configured from profile ``name`` (with ``overrides``) and
    logs on with the secret the profile reads from ``env``."""
    profile = load_profile(name, list(overrides), env)
    settings = {k: v for k, v in dataclasses.asdict(profile.settings).items()}
    session = TradingSession(
        SessionSpec(
            seed=seed,
            symbols=symbols,
            profile=market,
            settings=settings,
            secret=profile.venue_secret.reveal(),
        )
    )
    return profile, session


# The broken production profiles of the configuration scenarios: the layer written over the profile.
BAD_LAYERS: dict[str, dict[str, Any]] = {
    "a maximum order quantity written as text": {"risk": {"max_order_qty": "five thousand"}},
    "an unknown key": {"risk": {"max_ordr_qty": 5000}},
    "a negative loss limit": {"risk": {"max_loss": -100000.0}},
}
MISSING_SECRET = "the venue secret missing from environment"


@dataclass
class RefusedStart:
    """What became of a start from a bad profile: the refusal, and the exchange's view meanwhile."""

    culprit: str  # the file that holds the bad value (or names the missing secret)
    error: InvalidInput | None
    orders_at_exchange: int
    logons: int


def start_from_bad_profile(problem: str, seed: int, folder: Path, run_for: float = 10.0) -> RefusedStart:
    """Write the override layer for ``problem`` into ``folder``, try to start the system from the
    production profile with it, and let the market run ``run_for`` seconds either way."""
    env = environment()
    overrides: list[Path] = []
    if problem == MISSING_SECRET:
        env.pop("ALLUSE_VENUE_SECRET")
    else:
        if problem not in BAD_LAYERS:
            raise KeyError(
                f"no bad profile for {problem!r} (known: {', '.join([*BAD_LAYERS, MISSING_SECRET])})"
            )
        path = folder / "production-override.yaml"
        path.write_text(yaml.safe_dump(BAD_LAYERS[problem]))
        overrides.append(path)
    market = Market(MarketConfig(seed=seed, symbols=1, profile="calm", credentials={ACCOUNT: SECRET}))
    error: InvalidInput | None = None
    session = None
    try:
        profile = load_profile("production", overrides, env)
        settings = dataclasses.asdict(profile.settings)
        session = TradingSession(SessionSpec(seed=seed, symbols=1, profile="calm", settings=settings))
    except InvalidInput as exc:
        error = exc
    try:
        if session is None:
            market.run(run_for)
            records, traffic = market.exchange.records(ACCOUNT), market.gateway.traffic(ACCOUNT)
        else:
            session.run(run_for)
            records, traffic = (
                session.market.exchange.records(ACCOUNT),
                session.market.gateway.traffic(ACCOUNT),
            )
    finally:
        if session is not None:
            session.close()
        market.close()
    culprit = str(overrides[-1]) if overrides else str(profile_path("production"))
    return RefusedStart(culprit, error, len(records.orders), traffic.logons)


def leaks(secrets: list[str], texts: list[str]) -> list[str]:
    """The texts (cut short) that contain any of ``secrets``."""
    return [text[:120] for text in texts if any(secret and secret in text for secret in secrets)]


def attachments(evidence_dict: dict[str, Any], profile: Profile) -> list[str]:
    """What the report attaches for a scenario: its figures and tables, and the effective profile."""
    return [json.dumps(evidence_dict, default=str), json.dumps(profile.describe(), default=str)]


# --- attacks on the venue sessions --------------------------------------------------------------------

WRONG_SECRET = "not-the-account-secret"
ATTEMPTS = (
    "a logon with the wrong secret",
    "a replay of the system's earlier logon",
    "a sixth logon with the wrong secret in a minute",
)
# The reasons the gateway must record for the attacker's logons, in order.
EXPECTED_REFUSALS = {
    ATTEMPTS[0]: ["bad_credentials"],
    ATTEMPTS[1]: ["stale_nonce"],
    ATTEMPTS[2]: ["bad_credentials"] * 5 + ["locked_out"],
}


class LogonWiretap:
    """Copies every logon the gateway receives, as an eavesdropper on the order-entry link would."""

    def __init__(self, gateway: Any) -> None:  # simulator.gateway.Gateway
        self.logons: list[Logon] = []
        receive = gateway._logon

        def overheard(session: Any, logon: Logon) -> None:
            self.logons.append(logon)
            receive(session, logon)

        gateway._logon = overheard  # on this gateway only: the wire, not the class


@dataclass
class Attack:
    attempt: str
    answers: list[str]  # what the gateway answered each of the attacker's logons
    refused_reasons: list[str]  # the reasons the gateway recorded for them (its traffic)
    lockouts: int  # lockouts of the account the gateway recorded during the attack
    orders_before: int  # the account's orders at the exchange when the attack started
    orders_after: int  # ... and some time after it
    live_sessions: int  # the system's live sessions at the gateway after the attack
    accepted: int  # the attacker's logons the gateway accepted


def attack_logon(session: TradingSession, wiretap: LogonWiretap, attempt: str, then: float = 300.0) -> Attack:
    """Make ``attempt`` on a fresh order-entry connection to the session's exchange, then let the
    session trade until the exchange has an order of the system's from after the attack, ``then``
    seconds at most (a calm market in one symbol can go 30 s without one); the gateway's own records
    say what happened."""
    gateway = session.market.gateway
    traffic = gateway.traffic(ACCOUNT)
    refused, lockouts = len(traffic.refused), len(traffic.lockouts)
    orders_before = len(session.market.exchange.records(ACCOUNT).orders)
    attackers: list[RawSession] = []
    if attempt == ATTEMPTS[0]:
        attackers.append(RawSession(gateway))
        attackers[-1].logon(ACCOUNT, WRONG_SECRET, nonce=10**12)
    elif attempt == ATTEMPTS[1]:
        assert wiretap.logons, "the system sent no logon to replay"
        attackers.append(RawSession(gateway))
        attackers[-1].send(wiretap.logons[0])
    elif attempt == ATTEMPTS[2]:
        for i in range(6):  # one every 5 s: six within a minute
            attackers.append(RawSession(gateway))
            attackers[-1].logon(ACCOUNT, WRONG_SECRET, nonce=10**12 + i)
            session.run(5.0)
    else:
        raise KeyError(f"no attack called {attempt!r} (known: {', '.join(ATTEMPTS)})")
    session.run(1.0)
    answers = [type(a.received[-1]).__name__ if a.received else "no answer" for a in attackers]
    exchange = session.market.exchange
    session.run_until(lambda: len(exchange.records(ACCOUNT).orders) > orders_before, then)
    return Attack(
        attempt,
        answers,
        list(traffic.refused[refused:]),
        len(traffic.lockouts) - lockouts,
        orders_before,
        len(session.market.exchange.records(ACCOUNT).orders),
        gateway.live_sessions(ACCOUNT),
        sum(1 for a in attackers for m in a.received if type(m) is LogonAck),
    )


# --- the operator API ---------------------------------------------------------------------------------

ROLE_KEYS = {"viewer": "ops-viewer", "trader": "ops-trader", "risk officer": "ops-risk", "admin": "ops-admin"}
API_ROLES = {"viewer": "viewer", "trader": "trader", "risk officer": "risk_officer", "admin": "admin"}
API_ORDER_LOTS = 7  # operator orders are 7 lots, a size the strategy never sends, so they can be told apart


def operated_session(seed: int, folder: Path, symbols: int = 3, market: str = "normal") -> TradingSession:
    """A session whose system keeps its database in ``folder`` (a file, so it can be read from outside)."""
    settings = {"ledger_path": str(folder / "allUSE.db")}
    session = TradingSession(SessionSpec(seed=seed, symbols=symbols, profile=market, settings=settings))
    register_versions(session)  # so an admin has a version to deploy
    return session


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    response: Response


class OperatorClient:
    """Callers of one session's operator API, one key per role, signing as the API's docstring says."""

    def __init__(self, session: TradingSession, master_key: str = OPERATOR_KEY) -> None:
        system = session.system
        self.session = session
        self.api = OperatorAPI(
            system, system.database, system.kill_switch, master_key, session.clock, system.log
        )
        self.secrets = {role: self.api.issue_key(key, API_ROLES[role]) for role, key in ROLE_KEYS.items()}
        self._nonce = 0
        self.sent: list[Sent] = []

    def headers(self, role: str, method: str, path: str, body: bytes, signed_at: float | None = None) -> dict:
        self._nonce += 1
        stamp = f"{self.session.now if signed_at is None else signed_at:.6f}"
        nonce = f"n{self._nonce}"
        signature = sign(self.secrets[role], method, path, stamp, nonce, body)
        return {
            "X-Api-Key": ROLE_KEYS[role],
            "X-Timestamp": stamp,
            "X-Nonce": nonce,
            "X-Signature": signature,
        }

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
        response = self.api.handle(method, path, headers, body)
        self.sent.append(Sent(method, path, headers, body, response))
        return response

    def call(
        self, role: str, method: str, path: str, body: bytes = b"", signed_at: float | None = None
    ) -> Response:
        return self.send(method, path, self.headers(role, method, path, body, signed_at), body)

    def order_body(self, **changes: Any) -> bytes:
        """An order resting a little below the bid of the first symbol, inside the risk collar."""
        s = self.session
        symbol = s.market.symbols[0]
        inst = s.market.instruments_by_symbol[symbol]
        quote = s.system.cache.quote(symbol)
        assert quote is not None, f"no quote for {symbol}"
        price = int(quote.bid * 0.99) // inst.tick * inst.tick
        order = {"symbol": symbol, "side": "buy", "qty": API_ORDER_LOTS * inst.lot, "price": price}
        return json.dumps({**order, **changes}).encode()

    def operator_orders_at_exchange(self) -> int:
        lots = API_ORDER_LOTS
        return sum(
            1
            for o in self.session.market.exchange.records(ACCOUNT).orders.values()
            if o.qty == lots * self.session.market.instruments_by_symbol[o.symbol].lot
        )


ACTIONS = {
    "read positions": ("GET", "/positions"),
    "send an order": ("POST", "/orders"),
    "trigger kill switch": ("POST", "/kill-switch"),
    "deploy a version": ("POST", "/deploy"),
}
DEPLOY_BODY = b'{"version": "2", "canary_share": 0.1}'


def request_kind(client: OperatorClient, kind: str, action: str) -> Response:
    """Send the request the access-control table names, e.g. ``replay of an accepted request``."""
    method, path = ACTIONS[action]
    body = (
        client.order_body()
        if action == "send an order"
        else DEPLOY_BODY
        if action == "deploy a version"
        else b'{"reason": "drill"}'
        if method == "POST"
        else b""
    )
    if kind.endswith("'s signed request"):
        return client.call(kind.removesuffix("'s signed request"), method, path, body)
    headers = client.headers("viewer", method, path, body)
    if kind == "request without a signature":
        headers.pop("X-Signature")
    elif kind == "request with a bad signature":
        flipped = "0" if headers["X-Signature"][0] != "0" else "1"
        headers["X-Signature"] = flipped + headers["X-Signature"][1:]
    elif kind == "request signed 10 minutes ago":
        headers = client.headers("viewer", method, path, body, signed_at=client.session.now - 600.0)
    elif kind == "replay of an accepted request":
        first = client.send(method, path, headers, body)
        assert first.status == 200, f"the request to replay was not accepted: {first}"
    else:
        raise KeyError(f"no request kind {kind!r}")
    return client.send(method, path, headers, body)


def audit_rows(path: str | Path) -> list[dict[str, Any]]:
    """The audit table as anyone with the database file reads it."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM audit_events ORDER BY id")]


def table_rows(path: str | Path) -> dict[str, list[tuple]]:
    """Every row of every table of the database file, by table (SQLite's own tables left out)."""
    with sqlite3.connect(path) as db:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        names = [r[0] for r in db.execute(query)]
        return {n: db.execute(f'SELECT * FROM "{n}"').fetchall() for n in sorted(names)}


SQL_LOOKING = "X'); DELETE FROM fills; --"
FIELDS = {"symbol": "symbol", "client order id": "client_order_id", "body": "body"}


def hostile_request(client: OperatorClient, hostile: str, field: str) -> Response:
    """A trader's signed order carrying ``hostile`` (``an SQL-looking string``, ``a payload of 10
    megabytes``, ``malformed JSON``) in ``field``."""
    if hostile == "an SQL-looking string":
        body = client.order_body(**{FIELDS[field]: SQL_LOOKING})
    elif hostile == "a payload of 10 megabytes" and field == "body":
        body = client.order_body(symbol="x" * (10 << 20))
    elif hostile == "malformed JSON" and field == "body":
        body = client.order_body()[:-7]
    else:
        raise KeyError(f"no hostile input {hostile!r} in {field!r}")
    return client.call("trader", "POST", "/orders", body)


# --- emergency: the kill switch -----------------------------------------------------------------------


def open_at_exchange(session: TradingSession) -> int:
    """The account's orders the exchange holds open (not filled, cancelled, rejected or expired)."""
    return sum(1 for o in session.market.exchange.records(ACCOUNT).orders.values() if not o.status.terminal)


def until_open_orders(session: TradingSession, least: int = 1, limit: float = 120.0) -> int:
    session.run_until(lambda: open_at_exchange(session) >= least, limit, step=0.5)
    return open_at_exchange(session)


@dataclass
class KillDrill:
    open_at_kill: int  # the account's open orders at the exchange when the switch was pulled
    answer: Response
    cleared_after: float | None  # simulated seconds until the exchange held none open; None: not within watch
    sent_after: int  # new orders the venue tap saw the system send after the pull
    new_at_exchange: int  # orders the exchange accepted that were not sent before the pull
    watched: float  # simulated seconds watched after the pull


def kill_switch_drill(client: OperatorClient, role: str = "risk officer", watch: float = 30.0) -> KillDrill:
    """Pull the kill switch through the operator API and watch the exchange and the venue tap: how
    long until no order of the account is open there, and what the system sends meanwhile."""
    s = client.session
    records = s.market.exchange.records(ACCOUNT)
    pulled_at, open_now = s.now, open_at_exchange(s)
    sent_before = set(s.tap.orders)
    answer = client.call(role, "POST", "/kill-switch", b'{"reason": "emergency drill"}')
    cleared: float | None = None
    step = 0.005
    while s.now - pulled_at < watch:
        s.run(step)
        if cleared is None and open_at_exchange(s) == 0:
            cleared = s.now - pulled_at
            step = 1.0
    sent_after = [c for c, o in s.tap.orders.items() if c not in sent_before]
    new_at_exchange = [c for c in records.orders if c not in sent_before]
    return KillDrill(open_now, answer, cleared, len(sent_after), len(new_at_exchange), watch)


# --- persistence --------------------------------------------------------------------------------------


@dataclass
class DatabaseCheck:
    orders: int  # the account's orders in the exchange's records
    fills: int  # ... and fills
    missing_orders: list[str]  # at the exchange, not in the database (or differing there)
    fill_differences: list[str]
    positions_db: dict[str, int]
    positions_exchange: dict[str, int]


def database_against_exchange(session: TradingSession, path: str | Path) -> DatabaseCheck:
    """The database file read from outside, set beside the exchange's records for the account."""
    records = session.market.exchange.records(ACCOUNT)
    rows = table_rows(path)
    stored = {
        r[0]: r for r in rows.get("orders", [])
    }  # cl_ord_id, order_id, symbol, side, qty, price, status, cum
    missing = []
    for clid, order in records.orders.items():
        row = stored.get(clid)
        theirs = (order.order_id, order.status.value, order.cum_qty)
        if row is None or (row[1], row[6], row[7]) != theirs:
            missing.append(
                f"{clid}: exchange {theirs}, database {None if row is None else (row[1], row[6], row[7])}"
            )
    ledger_fills = sorted((r[2], r[5], r[6]) for r in rows.get("fills", []))  # order_id, qty, price
    exchange_fills = sorted((o, q, p) for o, _, q, p in records.fills())
    fill_differences = []
    if ledger_fills != exchange_fills:
        only_db = len(set(ledger_fills) - set(exchange_fills))
        only_exchange = len(set(exchange_fills) - set(ledger_fills))
        fill_differences.append(
            f"{len(exchange_fills)} fills at the exchange, {len(ledger_fills)} in the database; "
            f"{only_exchange} only at the exchange, {only_db} only in the database"
        )
    positions_db = {s: p for s, p, _ in sorted(rows.get("positions", [])) if p}
    return DatabaseCheck(
        len(records.orders),
        len(exchange_fills),
        missing,
        fill_differences,
        positions_db,
        records.positions(),
    )


def structured(lines: list[str]) -> list[str]:
    """The log lines that are not a JSON object with a time, a level, a component and a message."""
    bad = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(line[:120])
            continue
        if not isinstance(record, dict) or not all(
            isinstance(record.get(k), t)
            for k, t in (("time", (int, float)), ("level", str), ("component", str), ("message", str))
        ):
            bad.append(line[:120])
    return bad


# --- backups ------------------------------------------------------------------------------------------

DAMAGES = {  # damage -> the word the refusal must use for it
    "truncated": "truncated",
    "corrupted in its last page": "corrupted",
    "missing the fills table": "missing the fills table",
}


def damaged_backup(session: TradingSession, folder: Path, damage: str) -> Path:
    """An online backup of the session's database, then damaged as ``damage`` says."""
    path = backup(session.system.settings.ledger_path, folder / "allUSE-backup.db")
    size = path.stat().st_size
    if damage == "truncated":
        with path.open("r+b") as data:
            data.truncate(size // 2)
    elif damage == "corrupted in its last page":
        with sqlite3.connect(path) as db:
            page = db.execute("PRAGMA page_size").fetchone()[0]
        db.close()
        with path.open("r+b") as data:
            data.seek(size - page + 8)
            data.write(bytes(range(256)) * 4)  # a kilobyte of garbage, the size unchanged
    elif damage == "missing the fills table":
        with sqlite3.connect(path) as db:
            db.execute("DROP TABLE fills")
        db.close()
        write_manifest(path)  # a backup taken of a database that had lost the table: its manifest agrees
    else:
        raise KeyError(f"no damage {damage!r} (known: {', '.join(DAMAGES)})")
    return path


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class RestoreAttempt:
    error: BackupError | None
    digest_before: str
    digest_after: str
    rows_before: dict[str, list[tuple]]
    rows_after: dict[str, list[tuple]]


def operator_restore(session: TradingSession, backup_file: Path) -> RestoreAttempt:
    """The operator's procedure: stop the system, restore its database from ``backup_file``."""
    session.system.stop()
    current = session.system.settings.ledger_path
    digest, rows = file_digest(current), table_rows(current)
    error = None
    try:
        backups.restore(backup_file, current)
    except BackupError as exc:
        error = exc
    return RestoreAttempt(error, digest, file_digest(current), rows, table_rows(current))


# --- a session served from the command line -----------------------------------------------------------


def serve_session(
    name: str, seconds: float, port: int | None, speed: float, seed: int, symbols: int = 3
) -> int:
    """Run a simulated session configured from profile ``name`` (secrets from the process
    environment) paced to the wall clock (``speed`` simulated seconds per wall second), with its
    operator API on the profile's loopback host. Prints one JSON line saying where and how to sign:
    the API's clock reads ``(wall seconds since epoch) x speed``."""
    try:
        profile, session = profile_session(name, seed, dict(os.environ), symbols=symbols)
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    system = session.system
    api = OperatorAPI(
        system, system.database, system.kill_switch, profile.operator_key.reveal(), session.clock, system.log
    )
    for role, key in ROLE_KEYS.items():
        api.issue_key(key, API_ROLES[role])
    lock = threading.Lock()
    server = serve(api, profile.operator.host, profile.operator.port if port is None else port, lock)
    epoch = time.time()  # the driver paces simulated time to the wall clock; the system never reads it
    where = {
        "operator_api": f"http://{profile.operator.host}:{server.server_address[1]}",
        "keys": {API_ROLES[role]: key for role, key in ROLE_KEYS.items()},
        "epoch": epoch,
        "speed": speed,
        "profile": profile.name,
    }
    print(json.dumps(where), flush=True)
    try:
        while session.now < seconds:
            target = min(seconds, (time.time() - epoch) * speed)
            if target > session.now:
                with lock:
                    session.run(target - session.now)
            time.sleep(0.01)
    finally:
        server.shutdown()
        server.server_close()
        session.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.operations", description=serve_session.__doc__)
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--profile", choices=PROFILES, default="dev")
    parser.add_argument("--seconds", type=float, default=600.0, help="simulated seconds to run")
    parser.add_argument("--port", type=int, default=None, help="default: the profile's; 0 picks a free one")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--symbols", type=int, default=3)
    args = parser.parse_args(argv)
    if not (0 < args.speed <= 1000 and 0 < args.seconds <= 86_400):
        parser.error("--speed must be in (0, 1000] and --seconds in (0, 86400]")
    return serve_session(args.profile, args.seconds, args.port, args.speed, args.seed, args.symbols)


if __name__ == "__main__":
    sys.exit(main())


# --- emergency: an exchange halt ----------------------------------------------------------------------


@dataclass
class HaltDrill:
    symbol: str
    halted_for: float
    operator_order: int  # the answer to a trader's order in the halted symbol, sent mid-halt
    shown_halted_sent: int  # new orders in the symbol sent after the feed had shown the system the halt
    refused_halted: int  # the venue's market_halted refusals of the account's orders (sent before it knew)
    sent_after_resume: int  # new orders in the symbol sent after the exchange resumed it
    watched_after: float


def halt_drill(session: TradingSession, seconds: float = 30.0, after: float = 60.0) -> HaltDrill:
    """Halt the session's first symbol at the exchange for ``seconds`` (a trader asks the operator
    API for an order in it half way through), resume it, watch ``after`` more seconds; judged by the
    venue tap (what the system was shown, and what it sent)."""
    symbol = session.market.symbols[0]
    exchange = session.market.exchange
    client = OperatorClient(session)
    order = client.order_body()  # priced on the book before the halt
    sent_before, violations_before = set(session.tap.orders), len(session.tap.violations)
    exchange.halt(symbol, "exchange halt")
    session.run(seconds / 2)
    answer = client.call("trader", "POST", "/orders", order)
    session.run(seconds / 2)
    resumed_at = session.now
    exchange.resume(symbol, "exchange halt over")
    session.run(after)
    new = {c: o for c, o in session.tap.orders.items() if c not in sent_before and o.symbol == symbol}
    shown = [
        v for v in session.tap.violations[violations_before:] if v.symbol == symbol and v.why == "halted"
    ]
    refused = sum(1 for o in new.values() if o.rejected is RejectReason.MARKET_HALTED)
    resumed = sum(1 for o in new.values() if o.trigger > resumed_at)
    return HaltDrill(symbol, seconds, answer.status, len(shown), refused, resumed, after)


# --- backup, destruction and restore mid-session ------------------------------------------------------


def ledger_positions(path: str | Path) -> tuple[dict[str, int], set[str]]:
    """Positions from a database file's fills table, and the fill ids it holds."""
    held: dict[str, int] = {}
    with sqlite3.connect(path) as db:
        fills = db.execute("SELECT fill_id, symbol, side, qty FROM fills").fetchall()
    db.close()
    for _, symbol, side, qty in fills:
        held[symbol] = held.get(symbol, 0) + Side(side).sign * qty
    return {s: q for s, q in sorted(held.items()) if q}, {f[0] for f in fills}


def backup_and_destroy(session: TradingSession, folder: Path, then: float = 10.0) -> tuple[Path, int]:
    """Back the session's database up online, let the system trade ``then`` seconds more, then
    destroy it: the system stops and its database file is deleted. Returns the backup and the
    number of the account's fills at the exchange when the system was destroyed."""
    database = session.system.settings.ledger_path
    copy = backup(database, folder / "allUSE-backup.db")
    session.run(then)
    session.system.stop()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return copy, len(session.market.exchange.records(ACCOUNT).fills())


def restore_and_restart(session: TradingSession, copy: Path) -> TradingSystem:
    """The operator's recovery: restore the database from ``copy``, start a fresh system on it that
    rebuilds its orders from the venue, and put it in the session in place of the destroyed one."""
    backups.restore(copy, session.system.settings.ledger_path)
    return restart(session)


def crash(session: TradingSession) -> None:
    """The system's host dies mid-session: every bit of its memory is gone, its connections close as
    a dead process's do, and it does nothing more. Only its database file is left."""
    session.tap.crash()


def restart(session: TradingSession) -> TradingSystem:
    """Start a fresh system on the session's database file, rebuilding its orders from the venue, and
    put it in the session in place of the one before."""
    settings = session.system.settings
    tap = session.tap

    def run_timer(callback: Any) -> None:
        tap.started()
        callback()

    timer = SimTimer(session.market.env, wrap=run_timer)
    system = TradingSystem(tap, session.clock, timer, session.market.symbols, session.spec.secret, settings)
    system.engine.recover_from_venue()
    system.start()
    session.system = system
    return system


def fills_since(session: TradingSession, known: set[str]) -> tuple[dict[str, int], int]:
    """Position change per symbol from the account's fills at the exchange whose id is not in ``known``
    (ids as the system writes them: venue order id and exec_seq)."""
    records = session.market.exchange.records(ACCOUNT)
    change: dict[str, int] = {}
    count = 0
    for order in records.orders.values():
        for seq, qty, _ in order.fills:
            if f"{order.order_id}:{seq}" not in known:
                change[order.symbol] = change.get(order.symbol, 0) + order.side.sign * qty
                count += 1
    return change, count


def lost_in_restore(copy: Path, current: str | Path) -> dict[str, int]:
    """Rows of the backup's append-only tables that the current database lacks, per table: fills by
    their id, audit events and API keys whole (what the venue cannot give back)."""
    theirs, ours = table_rows(copy), table_rows(current)
    lost = {}
    fill_ids = {row[1] for row in ours.get("fills", [])}
    lost["fills"] = sum(1 for row in theirs.get("fills", []) if row[1] not in fill_ids)
    for table in ("audit_events", "api_keys"):
        kept = set(ours.get(table, []))
        lost[table] = sum(1 for row in theirs.get(table, []) if row not in kept)
    return lost

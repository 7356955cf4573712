"""The operator API: status, positions, metrics, orders, the kill switch and deployments, for signed
callers only.

A request carries four headers: ``X-Api-Key`` (the key id), ``X-Timestamp`` (seconds of the system's
clock), ``X-Nonce`` (unique per request) and ``X-Signature``, the hex HMAC-SHA256 under the key's
secret of :func:`canonical` (method, path, timestamp, nonce and the SHA-256 of the body). It is
refused as *unsigned* without them, *tampered* when the signature does not match, *expired* when its
timestamp is more than ``max_age`` seconds from the clock, *replayed* when its nonce was seen before,
and *forbidden* when the key's role may not take the action (``PERMISSIONS``).

Keys: a key's secret is derived from the operator master key (from the environment, never stored)
and the key id; the database keeps only the key's role and the SHA-256 of its secret, so a copy of
the database signs nothing, and a key whose stored hash no longer matches is refused as revoked.

Every decision, allowed or refused, is written to the database's audit table before the answer is
returned, with the caller, the role, the action and the reason. Bodies over ``max_body`` bytes,
malformed JSON and bad fields are refused naming the field; values reach SQLite only as parameters.
:func:`serve` puts the same handler on a loopback HTTP port.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from system.database import AuditEvent, OperationsDatabase
from system.deployment import GateSettings
from system.emergency import KillSwitch
from system.errors import InvalidInput
from system.intents import Place
from system.logs import JsonLog
from venue.clock import Clock
from venue.messages import Side

MAX_BODY = 64 * 1024  # bytes; an order or a kill request is well under 1 KB
MAX_AGE = 30.0  # seconds a signed request stays valid either side of the clock
HEADERS = ("x-api-key", "x-timestamp", "x-nonce", "x-signature")
ENDPOINTS = {
    ("GET", "/status"): "read status",
    ("GET", "/positions"): "read positions",
    ("GET", "/metrics"): "read metrics",
    ("POST", "/orders"): "send an order",
    ("POST", "/kill-switch"): "trigger kill switch",
    ("POST", "/deploy"): "deploy a version",
    ("POST", "/rollback"): "roll back a version",
}
_READ = frozenset({"read status", "read positions", "read metrics"})
PERMISSIONS = {
    "viewer": _READ,
    "trader": _READ | {"send an order"},
    "risk_officer": _READ | {"trigger kill switch"},
    "admin": frozenset(ENDPOINTS.values()),
}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ORDER_FIELDS = ("symbol", "side", "qty", "price", "client_order_id")
_DEPLOY_FIELDS = ("version", "mode", "canary_share")
_DEPLOY_MODES = ("canary", "switch")  # gated canary stage, or the manual procedure's immediate switch


def derive_secret(master_key: str, key_id: str) -> str:
    return hmac.new(master_key.encode(), f"operator-api-key:{key_id}".encode(), hashlib.sha256).hexdigest()


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method, path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]

    def encoded(self) -> bytes:
        return json.dumps(self.body, sort_keys=True).encode()


class Refused(Exception):
    def __init__(self, status: int, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field  # the part of the request refused, when it is one


class OperatorAPI:
    def __init__(
        self,
        system: Any,  # system.app.TradingSystem: its symbols, components, ledger, engine
        database: OperationsDatabase,
        kill_switch: KillSwitch,
        master_key: str,
        clock: Clock,
        log: JsonLog,
        max_age: float = MAX_AGE,
        max_body: int = MAX_BODY,
    ) -> None:
        if not master_key:
            raise InvalidInput("operator api", "master_key", "must be set (from the environment)")
        self._system = system
        self._db = database
        self._kill_switch = kill_switch
        self._master = master_key
        self._clock = clock
        self._log = log
        log.add_secret(master_key)
        self.max_age = max_age
        self.max_body = max_body
        self._nonces: dict[str, dict[str, float]] = {}  # key id -> nonce -> timestamp
        self._client_ids: dict[str, str] = {}  # client_order_id -> the engine's client id

    # --- keys -------------------------------------------------------------------------------------

    def issue_key(self, key_id: str, role: str) -> str:
        """Create (or re-create) key ``key_id`` with ``role``; returns its secret, which is not stored."""
        if not _TOKEN.match(key_id):
            raise InvalidInput(
                "operator api", "key_id", f"must be 1 to 64 letters, digits, _ or -, got {key_id!r}"
            )
        if role not in PERMISSIONS:
            raise InvalidInput(
                "operator api", "role", f"must be one of {', '.join(PERMISSIONS)}, got {role!r}"
            )
        secret = derive_secret(self._master, key_id)
        self._db.store_key(key_id, role, key_hash(secret))
        return secret

    # --- requests ---------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        declared_size: int | None = None,
    ) -> Response:
        """Authenticate, authorise, act and audit one request. ``declared_size``: the body's size when
        the server did not read a body over ``max_body`` (the body passed is then empty)."""
        given = {str(k).lower(): str(v) for k, v in headers.items()}
        caller, role = given.get("x-api-key", "anonymous")[:64] or "anonymous", ""
        action = ENDPOINTS.get((method, path), "unknown")
        try:
            if action == "unknown":
                raise Refused(404, f"no endpoint {method} {path[:100]}")
            size = len(body) if declared_size is None else declared_size
            if size > self.max_body:
                raise Refused(413, f"body: larger than {self.max_body} bytes ({size})", "body")
            role = self._authenticate(method, path, given, body)
            if not self.allowed(role, action):
                raise Refused(403, f"forbidden: role {role} may not {action}")
            result = self._act(action, body)
        except Refused as refused:
            self._decide(caller, role, method, path, action, "refused", refused.reason)
            named = {"field": refused.field} if refused.field else {}
            return Response(refused.status, {"error": refused.reason, **named})
        except InvalidInput as bad:
            reason = f"{bad.field}: {bad.problem}"
            self._decide(caller, role, method, path, action, "refused", reason)
            return Response(400, {"error": reason, "field": bad.field})
        self._decide(caller, role, method, path, action, "allowed", "ok")
        return Response(200, result)

    def _authenticate(self, method: str, path: str, given: dict[str, str], body: bytes) -> str:
        """The caller's role, or Refused (401) with why."""
        if any(not given.get(h) for h in HEADERS):
            raise Refused(401, "unsigned: " + ", ".join(h for h in HEADERS if not given.get(h)) + " missing")
        key_id, timestamp, nonce, signature = (given[h] for h in HEADERS)
        if not _TOKEN.match(key_id) or not _TOKEN.match(nonce):
            raise Refused(401, "unsigned: key id and nonce must be 1 to 64 letters, digits, _ or -")
        stored = self._db.key(key_id)
        if stored is None:
            raise Refused(401, "unknown key")
        role, stored_hash = stored
        secret = derive_secret(self._master, key_id)
        if not hmac.compare_digest(key_hash(secret), stored_hash):
            raise Refused(401, "revoked key")
        if not hmac.compare_digest(sign(secret, method, path, timestamp, nonce, body), signature):
            raise Refused(401, "tampered: the signature does not match the request")
        if not self.fresh(timestamp):
            raise Refused(401, f"expired: signed at {timestamp[:32]}, now {self._clock.now():.3f}")
        seen = self._nonces.setdefault(key_id, {})
        if nonce in seen:
            raise Refused(401, f"replayed: nonce {nonce} was used before")
        now = self._clock.now()
        # A nonce older than the validity window can be forgotten: its request would be expired anyway.
        for old in [n for n, t in seen.items() if t < now - 2 * self.max_age]:
            del seen[old]
        seen[nonce] = float(timestamp)
        return role

    def fresh(self, timestamp: str) -> bool:
        try:
            signed_at = float(timestamp)
        except ValueError:
            return False
        return abs(self._clock.now() - signed_at) <= self.max_age

    def allowed(self, role: str, action: str) -> bool:
        return action in PERMISSIONS.get(role, frozenset())

    def _decide(
        self, caller: str, role: str, method: str, path: str, action: str, outcome: str, reason: str
    ) -> None:
        event = AuditEvent(self._clock.now(), caller, role, method, path[:200], action, outcome, reason[:500])
        self._db.audit(event)
        self._log.info("operator_api", f"{outcome}: {action}", caller=caller, role=role, reason=event.reason)

    # --- actions ----------------------------------------------------------------------------------

    def _act(self, action: str, body: bytes) -> dict[str, Any]:
        system = self._system
        if action == "read status":
            return {
                "time": self._clock.now(),
                "kill_switch": self._kill_switch.on,
                "components": {c.name: c.health().state.value for c in system.components},
                "deployment": system.deployment.status(),
            }
        if action == "read positions":
            return {"positions": system.ledger.positions()}
        if action == "read metrics":
            return {"metrics": {k: v for c in system.components for k, v in c.metrics().items()}}
        if action == "send an order":
            return self._order(_json_object(body))
        if action == "deploy a version":
            return self._deploy(_json_object(body))
        data = _json_object(body)
        if action == "roll back a version":
            return {"event": vars(system.deployment.rollback(f"operator: {_reason(data)}"))}
        return {"kill_switch": True, "cancels_sent": self._kill_switch.pull(f"operator: {_reason(data)}")}

    def _deploy(self, data: dict[str, Any]) -> dict[str, Any]:
        for key in data:
            if key not in _DEPLOY_FIELDS:
                raise InvalidInput(
                    "deploy", str(key)[:40], f"unknown field (known: {', '.join(_DEPLOY_FIELDS)})"
                )
        deployment = self._system.deployment
        version, mode = data.get("version"), data.get("mode", "canary")
        if not isinstance(version, str) or not _TOKEN.match(version):
            raise InvalidInput("deploy", "version", "must be 1 to 64 letters, digits, _ or -")
        if mode not in _DEPLOY_MODES:
            raise InvalidInput("deploy", "mode", f"must be one of {', '.join(_DEPLOY_MODES)}")
        if mode == "switch":
            return {"event": vars(deployment.switch(version, "operator: manual switch"))}
        share = data.get("canary_share", GateSettings.canary_share)
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise InvalidInput("deploy", "canary_share", "must be a number in (0, 1]")
        return {"event": vars(deployment.deploy(version, GateSettings(canary_share=float(share))))}

    def _order(self, data: dict[str, Any]) -> dict[str, Any]:
        for key in data:
            if key not in _ORDER_FIELDS:
                raise InvalidInput(
                    "order", str(key)[:40], f"unknown field (known: {', '.join(_ORDER_FIELDS)})"
                )
        symbol, side, qty, price = (data.get(k) for k in ("symbol", "side", "qty", "price"))
        if symbol not in self._system.symbols:
            raise InvalidInput("order", "symbol", f"unknown symbol {str(symbol)[:40]!r}")
        if side not in ("buy", "sell"):
            raise InvalidInput("order", "side", f"must be buy or sell, got {str(side)[:20]!r}")
        for name, value in (("qty", qty), ("price", price)):
            if (value is not None or name == "qty") and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63
            ):
                raise InvalidInput("order", name, f"must be a positive integer, got {str(value)[:40]!r}")
        client_id = data.get("client_order_id")
        if client_id is not None and (not isinstance(client_id, str) or not _CLIENT_ID.match(client_id)):
            raise InvalidInput("order", "client_order_id", "must be 1 to 32 letters, digits, _ or -")
        if client_id in self._client_ids:
            return {"cl_ord_id": self._client_ids[client_id], "repeated": True}
        sent = self._system.engine.execute(
            Place(symbol, Side.BUY if side == "buy" else Side.SELL, qty, price)
        )
        if sent is None:
            raise Refused(422, "refused by the risk checks")
        if client_id is not None:
            self._client_ids[client_id] = sent
        return {"cl_ord_id": sent}


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason", "operator")
    if not isinstance(reason, str) or not 0 < len(reason) <= 200:
        raise InvalidInput("request", "reason", "must be text of 1 to 200 characters")
    return reason


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("request", "body", f"not JSON: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise InvalidInput("request", "body", f"must be a JSON object, got {type(data).__name__}")
    return data


def serve(api: OperatorAPI, host: str = "127.0.0.1", port: int = 0, lock: Any = None) -> HTTPServer:
    """Serve ``api`` on ``host:port`` (loopback) in a background thread; ``server.server_address``
    says the port. Each request is handled under ``lock`` (the session's), as the system is not
    thread-safe. Call ``server.shutdown()`` to stop it."""
    guard = lock if lock is not None else threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = self.headers.get("Content-Length", "0")
            size = int(length) if length.isdigit() else 0
            # A body over the limit is not read at all: the handler refuses it by its declared size.
            body = self.rfile.read(size) if size <= api.max_body else b""
            declared = size if size > api.max_body else None
            with guard:
                response = api.handle(self.command, self.path, dict(self.headers.items()), body, declared)
            payload = response.encoded()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Requests are audited in the database; no access log on stderr."""

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise InvalidInput("operator api", "host", f"must be a loopback address, got {host!r}")
    server = HTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="operator-api", daemon=True).start()
    return server

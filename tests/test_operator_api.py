"""The operator API: signed requests by role, every decision audited in the database, hostile input
refused changing nothing, the same handler over real HTTP on a loopback port; the database's
migrations."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request

import pytest

from harness import operations as ops
from system.database import MIGRATIONS, migrate
from system.errors import InvalidInput
from system.operator_api import OperatorAPI, serve


@pytest.fixture
def client(tmp_path):
    session = ops.operated_session(7, tmp_path, symbols=2, market="calm")
    session.run(15.0)
    yield ops.OperatorClient(session)
    session.close()


def db_file(client: ops.OperatorClient) -> str:
    return client.session.system.settings.ledger_path


def test_keys_are_stored_hashed_and_a_copy_of_the_database_signs_nothing(client):
    rows = ops.table_rows(db_file(client))["api_keys"]
    assert len(rows) == 4
    stored = json.dumps(rows)
    assert not any(secret in stored for secret in client.secrets.values())
    assert ops.OPERATOR_KEY not in stored


def test_a_different_master_key_refuses_every_key_as_revoked(client):
    s = client.session
    other = OperatorAPI(
        s.system, s.system.database, s.system.kill_switch, "another-master", s.clock, s.system.log
    )
    headers = client.headers("viewer", "GET", "/positions", b"")
    assert other.handle("GET", "/positions", headers, b"").body == {"error": "revoked key"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symbol": "X'; DROP TABLE fills; --"}, "symbol"),
        ({"client_order_id": "1' OR '1'='1"}, "client_order_id"),
        ({"qty": "700"}, "qty"),
        ({"side": "short"}, "side"),
        ({"venue": "elsewhere"}, "venue"),
    ],
)
def test_hostile_order_fields_are_refused_by_name_and_change_no_row(client, changes, field):
    before = ops.table_rows(db_file(client))
    response = client.call("trader", "POST", "/orders", client.order_body(**changes))
    after = ops.table_rows(db_file(client))
    assert response.status == 400 and response.body["field"] == field
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1
    assert ("fills" in after) and after["audit_events"][-1][7] == "refused"


@pytest.mark.parametrize(
    ("body", "status", "word"),
    [
        (b"{not json", 400, "body: not JSON"),
        (b"[1, 2]", 400, "body: must be a JSON object"),
        (b"x" * (10 << 20), 413, "body: larger"),
    ],
)
def test_malformed_or_oversized_bodies_are_refused(client, body, status, word):
    response = client.call("trader", "POST", "/orders", body)
    assert response.status == status and response.body["error"].startswith(word)


def test_a_repeated_client_order_id_sends_one_order(client):
    body = client.order_body(client_order_id="ops-1")
    first = client.call("trader", "POST", "/orders", body)
    again = client.call("trader", "POST", "/orders", body)
    client.session.run(2.0)
    assert first.status == again.status == 200 and first.body["cl_ord_id"] == again.body["cl_ord_id"]
    assert client.operator_orders_at_exchange() == 1


def test_unknown_endpoints_are_refused_and_audited(client):
    response = client.call("admin", "DELETE", "/orders", b"")
    assert response.status == 404
    assert ops.audit_rows(db_file(client))[-1]["outcome"] == "refused"


def test_over_real_http_on_a_loopback_port(client):
    server = serve(client.api, "127.0.0.1", 0)
    try:
        port = server.server_address[1]
        body = b""
        headers = client.headers("viewer", "GET", "/status", body)
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/status", headers=headers)
        ) as r:
            status = json.loads(r.read())
        assert r.status == 200 and status["kill_switch"] is False
        assert status["components"]["operations_database"] == "healthy"
        with pytest.raises(urllib.error.HTTPError) as refused:  # the same request again: replayed
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/status", headers=headers))
        assert refused.value.code == 401
        big = client.headers("trader", "POST", "/orders", b"")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/orders", data=b"{}" * 40_000, headers=big)
        with pytest.raises(urllib.error.HTTPError) as too_big:
            urllib.request.urlopen(request)
        assert too_big.value.code == 413
    finally:
        server.shutdown()
        server.server_close()
    reasons = [row["reason"][:9] for row in ops.audit_rows(db_file(client))[-3:]]
    assert reasons == ["ok", "replayed:", "body: lar"]


def test_serving_off_loopback_is_refused(client):
    with pytest.raises(InvalidInput, match="loopback"):
        serve(client.api, "0.0.0.0", 0)


def test_migrations_apply_once_and_refuse_a_newer_database(tmp_path):
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as db:
        assert migrate(db, str(path)) == MIGRATIONS[-1][0]
        assert migrate(db, str(path)) == MIGRATIONS[-1][0]  # nothing left to apply
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
        db.execute("INSERT INTO schema_migrations VALUES (99, 'from the future')")
        with pytest.raises(InvalidInput, match="version 99"):
            migrate(db, str(path))

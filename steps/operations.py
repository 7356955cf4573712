"""Steps about operating the system in production: configuration profiles, secrets, venue session
security, the operator API, the kill switch."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from behave import given, register_type, then, when
from parse import with_pattern

from harness import operations as ops
from harness.session import ACCOUNT, SECRET
from steps.session import trading
from system.app import PERSIST_INTERVAL

# --- configuration profiles -------------------------------------------------------------------------


@given("the {name:w} configuration profile with its secrets in the environment")
def profile_with_secrets(context, name):
    context.profile_name = name
    context.profile_env = ops.environment()


@when("a simulated session starts from that profile")
def session_from_profile(context):
    profile, session = ops.profile_session(context.profile_name, context.seed, context.profile_env)
    context.profile, context.trading = profile, session
    context.add_cleanup(session.close)
    session.run(30.0)


@when("a simulated session starts from that profile and trades for {seconds:Count} simulated seconds")
def session_from_profile_for(context, seconds):
    profile, session = ops.profile_session(context.profile_name, context.seed, context.profile_env)
    context.profile, context.trading = profile, session
    context.add_cleanup(session.close)
    session.run(float(seconds))


@then("the system trades with the profile's limits and endpoints")
def trades_with_profile(context):
    s, profile = trading(context), context.profile
    records = s.market.exchange.records(ACCOUNT)
    traffic = s.market.gateway.traffic(ACCOUNT)
    largest = max((o.qty for o in records.orders.values()), default=0)
    sessions = s.market.gateway.live_sessions(profile.venue.account)
    context.evidence.table(
        "profile in force, as the exchange saw it",
        [
            {
                "profile": profile.name,
                "account": profile.venue.account,
                "sessions at the gateway": sessions,
                "pool size in the profile": profile.settings.pool_size,
                "logons accepted": traffic.logons,
                "logons refused": len(traffic.refused),
                "orders at the exchange": len(records.orders),
                "largest order": largest,
                "max order qty in the profile": profile.limits.max_order_qty,
            }
        ],
    )
    assert traffic.logons >= profile.settings.pool_size and not traffic.refused, (
        f"the exchange accepted {traffic.logons} logons of {profile.venue.account} and refused "
        f"{traffic.refused}, for a pool of {profile.settings.pool_size}"
    )
    assert sessions == profile.settings.pool_size, (
        f"{sessions} live sessions of {profile.venue.account} at the gateway, the profile says "
        f"{profile.settings.pool_size}"
    )
    assert records.orders, "no order of the account reached the exchange"
    assert largest <= profile.limits.max_order_qty, (
        f"an order of {largest} reached the exchange, above the profile's {profile.limits.max_order_qty}"
    )
    assert s.system.risk.limits == profile.limits, "the system's risk limits are not the profile's"


@given("the production configuration profile with {problem}")
def bad_profile(context, problem):
    context.profile_problem = problem


@when("the system is started from it")
def start_from_bad(context):
    folder = Path(tempfile.mkdtemp(prefix="profile-"))
    context.add_cleanup(shutil.rmtree, folder, ignore_errors=True)
    context.refused_start = ops.start_from_bad_profile(context.profile_problem, context.seed, folder)


@then('it refuses to start with a message naming the file, the key "{key}" and the reason')
def refused_naming(context, key):
    result = context.refused_start
    error = result.error
    assert error is not None, f"the system started from the production profile with {context.profile_problem}"
    message = str(error)
    context.evidence.table("refusal", [{"message": message}])
    assert result.culprit in message, f"the message does not name the file {result.culprit}: {message}"
    assert error.field == key and repr(key) in message, f"the message does not name the key {key}: {message}"
    assert error.problem.strip() and error.problem in message, f"the message gives no reason: {message}"


@then("no order reaches the exchange")
def no_order(context):
    result = context.refused_start
    assert result.orders_at_exchange == 0 and result.logons == 0, (
        f"{result.orders_at_exchange} orders and {result.logons} logons of {ACCOUNT} reached the exchange"
    )


@then("no log line and no report attachment contains the venue secret")
def no_secret_leaked(context):
    s, profile = trading(context), context.profile
    lines = list(s.system.log.lines)
    logons = sum(1 for line in lines if json.loads(line)["message"] == "order-entry session logged on")
    context.evidence.table(
        "log lines searched", [{"log lines": len(lines), "logon lines": logons, "secrets looked for": 2}]
    )
    assert logons >= profile.settings.pool_size, f"only {logons} logon lines in the log: too few to judge"
    found = ops.leaks(profile.secrets(), lines + ops.attachments(context.evidence.as_dict(), profile))
    assert not found, f"a secret appears in {len(found)} lines or attachments, e.g. {found[0]}"


# --- a live session and its venue connection ----------------------------------------------------------

WARM_UP = 20.0  # simulated seconds a live session trades before a scenario acts on it


def live_session(context, profile, count):
    context.market_profile, context.market_symbols, context.market_load = profile, count, 1.0
    context.trading = None
    s = trading(context)
    context.wiretap = ops.LogonWiretap(s.market.gateway)  # before the first logon arrives
    s.run(WARM_UP)
    return s


@given("a live simulated session in a {profile:w} market of {count:d} symbol")
@given("a live simulated session in a {profile:w} market of {count:d} symbols")
def given_live_session(context, profile, count):
    live_session(context, profile, count)


@when("{attempt} is made on the order-entry connection")
def attack(context, attempt):
    context.attack = ops.attack_logon(trading(context), context.wiretap, attempt)


@then("the logon is refused and the system's own sessions keep trading")
def attack_refused(context):
    a, s = context.attack, trading(context)
    expected = ops.EXPECTED_REFUSALS[a.attempt]
    context.evidence.table(
        "the gateway's records of the attack",
        [
            {
                "attempt": a.attempt,
                "answers": ", ".join(a.answers),
                "reasons recorded": ", ".join(a.refused_reasons),
                "lockouts": a.lockouts,
                "attacker logons accepted": a.accepted,
                "system sessions live after": a.live_sessions,
                "account orders at the exchange during and after": a.orders_after - a.orders_before,
            }
        ],
    )
    assert a.accepted == 0, f"the gateway accepted {a.accepted} of the attacker's logons"
    assert a.answers == ["LogonReject"] * len(expected), f"the attacker was answered {a.answers}"
    assert a.refused_reasons == expected, f"the gateway recorded {a.refused_reasons}, expected {expected}"
    assert a.lockouts == (1 if "locked_out" in expected else 0), f"{a.lockouts} lockouts recorded"
    pool = s.system.settings.pool_size
    assert a.live_sessions == pool, f"{a.live_sessions} of the system's {pool} sessions live after the attack"
    assert a.orders_after > a.orders_before, "the system sent no order to the exchange after the attack"


# --- the operator API ---------------------------------------------------------------------------------

OUTCOMES = {
    "refused as unsigned": (401, "unsigned"),
    "refused as tampered": (401, "tampered"),
    "refused as expired": (401, "expired"),
    "refused as replayed": (401, "replayed"),
    "refused as forbidden": (403, "forbidden"),
    "allowed": (200, "ok"),
}
register_type(Outcome=with_pattern("|".join(re.escape(o) for o in OUTCOMES))(lambda text: text))
# Only the actions built: a scenario about another (deploy) stays undefined, so it is "not run".
register_type(Action=with_pattern("|".join(re.escape(a) for a in ops.ACTIONS))(lambda text: text))
EFFECT_WAIT = 3.0  # simulated seconds given to a request's effect to show at the exchange


@given("the operator interface of a live simulated session")
def operator_interface(context):
    folder = Path(tempfile.mkdtemp(prefix="operated-"))
    context.add_cleanup(shutil.rmtree, folder, ignore_errors=True)
    s = ops.operated_session(context.seed, folder)
    context.trading = s
    context.add_cleanup(s.close)
    s.run(WARM_UP)
    context.operator = ops.OperatorClient(s)
    context.database_file = folder / "allUSE.db"
    context.audit_before = len(ops.audit_rows(context.database_file))


@when("a {kind} asks to {action:Action}")
def operator_request(context, kind, action):
    client = context.operator
    context.request = (kind, action)
    context.sent_before = len(client.sent)
    context.operator_orders_before = client.operator_orders_at_exchange()
    context.tap_orders_before = len(client.session.tap.orders)
    context.response = ops.request_kind(client, kind, action)
    context.responded_at = client.session.now
    client.session.run(EFFECT_WAIT)


@then("the request is {outcome:Outcome}")
def request_outcome(context, outcome):
    status, word = OUTCOMES[outcome]
    response, (kind, action) = context.response, context.request
    client, s = context.operator, trading(context)
    context.evidence.table(
        "request and answer",
        [
            {
                "request": kind,
                "action": action,
                "status": response.status,
                "answer": json.dumps(response.body)[:200],
            }
        ],
    )
    assert response.status == status, f"answered {response.status} {response.body}, expected {status}"
    if word != "ok":
        assert response.body["error"].startswith(word), f"refused for {response.body['error']!r}, not {word}"
    orders_now = client.operator_orders_at_exchange()
    if action == "send an order":
        added = orders_now - context.operator_orders_before
        expected = 1 if status == 200 else 0
        assert added == expected, f"{added} operator orders reached the exchange, expected {expected}"
    if action == "deploy a version":
        deployed = [e for e in s.system.deployment.history if e.kind == "deployed"]
        expected = 1 if status == 200 else 0
        assert len(deployed) == expected, f"{len(deployed)} deployments started, expected {expected}"
    if action == "trigger kill switch":
        after = [o for o in s.tap.orders.values() if o.trigger > context.responded_at]
        if status == 200:
            assert not after, f"{len(after)} new orders reached the venue after the kill switch"
        else:
            s.run(10.0)
            after = [o for o in s.tap.orders.values() if o.trigger > context.responded_at]
            assert after, "the system stopped trading after a refused kill switch request"


@then("the audit log records the decision with the caller, the action and the reason")
def audit_recorded(context):
    rows = ops.audit_rows(context.database_file)[context.audit_before :]
    sent = context.operator.sent[context.sent_before :]
    kind, action = context.request
    context.evidence.table(
        "audit rows written",
        [{k: r[k] for k in ("caller", "role", "action", "outcome", "reason")} for r in rows],
    )
    assert len(rows) == len(sent), f"{len(sent)} requests sent, {len(rows)} audit rows written"
    last, response = rows[-1], context.response
    caller = (
        ops.ROLE_KEYS[kind.removesuffix("'s signed request")]
        if kind.endswith("'s signed request")
        else "ops-viewer"
    )
    assert last["caller"] == caller, f"the audit row names caller {last['caller']!r}, not {caller!r}"
    assert last["action"] == action, f"the audit row names action {last['action']!r}, not {action!r}"
    outcome = "allowed" if response.status == 200 else "refused"
    assert last["outcome"] == outcome, f"the audit row says {last['outcome']!r}, the answer was {outcome}"
    reason = response.body.get("error", "ok")
    assert last["reason"] == reason, f"the audit row gives reason {last['reason']!r}, the answer {reason!r}"


@when("a trader's signed request carries {hostile} in {field}")
def hostile_request(context, hostile, field):
    client = context.operator
    context.rows_before = ops.table_rows(context.database_file)
    context.response = ops.hostile_request(client, hostile, field)
    context.rows_after = ops.table_rows(context.database_file)  # no simulated time passed between


@then("the request is refused with a message naming {field}")
def refused_naming_field(context, field):
    response = context.response
    name = ops.FIELDS[field]
    context.evidence.table("answer", [{"status": response.status, "answer": json.dumps(response.body)[:200]}])
    assert response.status in (400, 413), f"answered {response.status} {response.body}"
    assert response.body.get("field") == name and name in response.body["error"], (
        f"the refusal does not name {name}: {response.body}"
    )


@then("the database holds the same rows as before")
def same_rows(context):
    before, after = context.rows_before, context.rows_after
    changed = [
        t for t in sorted(set(before) | set(after)) if t != "audit_events" and before.get(t) != after.get(t)
    ]
    added = after["audit_events"][len(before["audit_events"]) :]
    context.evidence.table(
        "rows per table before and after",
        [{"table": t, "before": len(before[t]), "after": len(after[t])} for t in sorted(after)],
    )
    assert "fills" in after and "orders" in after, (
        f"the database has no fills or orders table: {sorted(after)}"
    )
    assert not changed, f"the hostile request changed the tables {changed}"
    assert len(added) == 1 and added[0][7] == "refused", f"audit rows added for the refusal: {added}"


# --- emergency procedures -----------------------------------------------------------------------------


@given(
    "a live simulated session in a {profile:w} market of {count:d} symbols where the system has open orders"
)
def session_with_open_orders(context, profile, count):
    s = live_session(context, profile, count)
    found = ops.until_open_orders(s)
    assert found > 0, f"the system had no open order at the exchange after {s.now:g} simulated seconds"


@when("the risk officer triggers the kill switch")
def risk_officer_kills(context):
    context.drill = ops.kill_switch_drill(ops.OperatorClient(trading(context)))


@then("the exchange shows no open order of the account within {bound:g} simulated second")
def no_open_order(context, bound):
    drill = context.drill
    assert drill.answer.status == 200, f"the kill switch request was answered {drill.answer}"
    fig = context.evidence.figure(
        "kill switch: time until the exchange holds no open order of the account",
        drill.cleared_after if drill.cleared_after is not None else drill.watched,
        "s",
        method="exchange's records polled every 5 simulated ms after the operator API's kill switch "
        "(the whole watch when some order stayed open)",
        samples=drill.open_at_kill,
        least=1,
        at_most=bound,
    )
    assert fig.passed, fig.verdict()


@then("no new order of the account reaches the exchange while the kill switch is on")
def nothing_new(context):
    drill = context.drill
    context.evidence.table(
        "after the kill switch",
        [
            {
                "seconds watched": drill.watched,
                "open orders at the pull": drill.open_at_kill,
                "new orders sent (venue tap)": drill.sent_after,
                "new orders at the exchange": drill.new_at_exchange,
            }
        ],
    )
    assert drill.sent_after == 0 and drill.new_at_exchange == 0, (
        f"after the kill switch the system sent {drill.sent_after} new orders and the exchange accepted "
        f"{drill.new_at_exchange}, over {drill.watched:g} simulated seconds"
    )


# --- persistence and logs -----------------------------------------------------------------------------


@given("a live simulated session in a {profile:w} market of {count:d} symbols with the production database")
def session_with_database(context, profile, count):
    folder = Path(tempfile.mkdtemp(prefix="database-"))
    context.add_cleanup(shutil.rmtree, folder, ignore_errors=True)
    s = ops.operated_session(context.seed, folder, symbols=count, market=profile)
    context.trading, context.database_file = s, folder / "allUSE.db"
    context.add_cleanup(s.close)


@when("the session trades for {seconds:Count} simulated seconds")
def session_trades(context, seconds):
    trading(context).run(float(seconds))


@then("every order and fill in the exchange's records for the account is in the database")
def database_complete(context):
    s = trading(context)
    s.settle()
    s.run(2 * PERSIST_INTERVAL)  # the database writes on its own timer; no flush asked for
    check = ops.database_against_exchange(s, context.database_file)
    context.database_check = check
    context.evidence.table(
        "database against the exchange's records",
        [
            {
                "orders at the exchange": check.orders,
                "fills at the exchange": check.fills,
                "orders missing or different in the database": len(check.missing_orders),
                "fill differences": len(check.fill_differences),
            }
        ],
    )
    assert check.orders >= 20 and check.fills >= 5, (
        f"only {check.orders} orders and {check.fills} fills at the exchange: too few to judge the database"
    )
    assert not check.missing_orders, f"{len(check.missing_orders)} orders: {check.missing_orders[:5]}"
    assert not check.fill_differences, check.fill_differences[0]


@then("the positions in the database equal those the exchange's fills imply")
def database_positions(context):
    check = context.database_check
    assert check.positions_db == check.positions_exchange, (
        f"positions {check.positions_db} in the database, {check.positions_exchange} by the exchange"
    )


@then("every log line is a JSON object with a time, a level, a component and a message")
def log_structured(context):
    s = trading(context)
    lines = list(s.system.log.lines)
    bad = ops.structured(lines)
    context.evidence.table("log lines", [{"lines": len(lines), "not structured": len(bad)}])
    assert len(lines) > s.system.settings.pool_size, f"only {len(lines)} log lines: too few to judge"
    assert not bad, f"{len(bad)} log lines are not structured, e.g. {bad[0]}"


@then("no log line contains a secret")
def log_secret_free(context):
    found = ops.leaks([SECRET], list(trading(context).system.log.lines))
    assert not found, f"the venue secret appears in {len(found)} log lines, e.g. {found[0]}"


# --- backups ------------------------------------------------------------------------------------------


@given("a backup of a session's database that is {damage}")
def damaged_backup(context, damage):
    folder = Path(tempfile.mkdtemp(prefix="backup-"))
    context.add_cleanup(shutil.rmtree, folder, ignore_errors=True)
    s = ops.operated_session(context.seed, folder)
    context.trading = s
    context.add_cleanup(s.close)
    s.run(30.0)
    context.damage = damage
    context.backup_file = ops.damaged_backup(s, folder, damage)


@when("the operator restores from it")
def operator_restores(context):
    context.restore = ops.operator_restore(trading(context), context.backup_file)


@then("the restore is refused with a message naming the backup file and the damage")
def restore_refused(context):
    error = context.restore.error
    assert error is not None, f"the backup that is {context.damage} was restored"
    message = str(error)
    context.evidence.table("refusal", [{"damage": context.damage, "message": message}])
    assert str(context.backup_file) in message, f"the message does not name the backup file: {message}"
    word = ops.DAMAGES[context.damage]
    assert word in error.damage, f"the message does not say {word!r}: {message}"


@then("the current database is unchanged")
def database_unchanged(context):
    attempt = context.restore
    assert "fills" in attempt.rows_before and attempt.rows_before["orders"], (
        "the database had nothing to lose"
    )
    assert attempt.digest_after == attempt.digest_before, "the current database file changed"
    assert attempt.rows_after == attempt.rows_before, "the current database's rows changed"


@when("the exchange halts the first symbol for {seconds:Count} seconds")
def exchange_halts(context, seconds):
    context.halt = ops.halt_drill(trading(context), float(seconds))


@then("the system sends no new order in the halted symbol while it is halted")
def nothing_while_halted(context):
    drill = context.halt
    context.evidence.table(
        "exchange halt",
        [
            {
                "symbol": drill.symbol,
                "halted (s)": drill.halted_for,
                "operator order mid-halt answered": drill.operator_order,
                "orders sent after the halt was shown": drill.shown_halted_sent,
                "refused as halted (in flight before it was shown)": drill.refused_halted,
                "orders sent after the resume": drill.sent_after_resume,
                "watched after the resume (s)": drill.watched_after,
            }
        ],
    )
    assert drill.operator_order != 200, "a trader's order in the halted symbol was accepted by the system"
    assert drill.shown_halted_sent == 0, (
        f"{drill.shown_halted_sent} new orders in {drill.symbol} sent after the feed showed it halted"
    )


@then("it resumes trading the symbol once the exchange announces it trading again")
def resumes(context):
    drill = context.halt
    assert drill.sent_after_resume > 0, (
        f"no new order in {drill.symbol} in the {drill.watched_after:g} s after the exchange resumed it"
    )


@when("the database is backed up after {seconds:Count} simulated seconds and then destroyed")
def backed_up_and_destroyed(context, seconds):
    s = trading(context)
    s.run(float(seconds))
    ops.OperatorClient(s).call("viewer", "GET", "/status")  # an audit row and API keys to carry over
    copy, fills_at_crash = ops.backup_and_destroy(s, context.database_file.parent)
    context.backup_copy = copy
    context.backup_positions, context.backup_fill_ids = ops.ledger_positions(copy)
    context.fills_at_crash = fills_at_crash


@when("a fresh system is restored from the backup and trades for another {seconds:Count} simulated seconds")
def restored_and_trading(context, seconds):
    s = trading(context)
    ops.restore_and_restart(s, context.backup_copy)
    s.run(float(seconds))


@then("the restored system's positions equal those at the backup plus the fills since")
def restored_positions(context):
    s = trading(context)
    s.settle()
    change, since = ops.fills_since(s, context.backup_fill_ids)
    expected = dict(context.backup_positions)
    for symbol, qty in change.items():
        expected[symbol] = expected.get(symbol, 0) + qty
    expected = {k: v for k, v in sorted(expected.items()) if v}
    before_crash = context.fills_at_crash - len(context.backup_fill_ids)
    after_restart = since - before_crash
    held = s.system.ledger.positions()
    context.evidence.table(
        "restore from a mid-session backup",
        [
            {
                "fills in the backup": len(context.backup_fill_ids),
                "fills between the backup and the crash": before_crash,
                "fills after the restart": after_restart,
                "orders rebuilt from the venue": s.system.engine.adopted,
                "positions at the backup": json.dumps(context.backup_positions),
                "expected": json.dumps(expected),
                "restored system": json.dumps(held),
            }
        ],
    )
    assert len(context.backup_fill_ids) > 0, "the backup holds no fill: nothing to restore"
    assert before_crash > 0 and after_restart > 0, (
        f"{before_crash} fills between the backup and the crash, {after_restart} after the restart: "
        "both are needed to judge the restore"
    )
    assert held == expected, (
        f"the restored system holds {held}, the backup plus the fills since make {expected}"
    )
    lost = ops.lost_in_restore(context.backup_copy, s.system.settings.ledger_path)
    assert not any(lost.values()), f"rows of the backup missing from the restored database: {lost}"


# --- crash and restart --------------------------------------------------------------------------


@when("the system crashes after {seconds:Count} simulated seconds, losing all its memory")
def system_crashes(context, seconds):
    s = trading(context)
    s.run(float(seconds))
    context.orders_before_crash = len(s.market.exchange.records(ACCOUNT).orders)
    ops.crash(s)


@when("it restarts from its database and trades for another {seconds:Count} simulated seconds")
def system_restarts(context, seconds):
    s = trading(context)
    ops.restart(s)
    s.run(float(seconds))


@then("every order and fill the exchange recorded for the account is in the books exactly once")
def books_exactly_once(context):
    s = trading(context)
    result = s.reconcile()
    _, fill_ids = ops.ledger_positions(context.database_file)
    records = s.market.exchange.records(ACCOUNT)
    context.evidence.table(
        "crash and restart",
        [
            {
                "orders at the exchange before the crash": context.orders_before_crash,
                "orders at the exchange at the end": result.orders,
                "fills at the exchange": result.fills,
                "distinct fills in the database": len(fill_ids),
                "orders rebuilt from the venue": s.system.engine.adopted,
                "differences": len(result.differences),
            }
        ],
    )
    assert len(records.orders) > context.orders_before_crash, (
        "no order reached the exchange after the restart"
    )
    assert result.ok, result.summary()
    assert len(fill_ids) == result.fills, (
        f"{len(fill_ids)} distinct fills in the database, {result.fills} at the exchange"
    )

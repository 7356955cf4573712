"""Steps for complete sessions across profiles, and for the load table."""

from __future__ import annotations

import re

from behave import then, when

from harness.endtoend import run_sessions
from harness.measures import Measured
from steps.figures import figures


@when("{count:d} sessions of {seconds:d} seconds run across the {profiles} markets")
def many_sessions(context, count, seconds, profiles):
    names = [p for p in re.split(r",\s*|\s+and\s+", profiles) if p]
    context.sessions = run_sessions(context.seed, count, float(seconds), names)
    context.evidence.table("sessions", context.sessions)
    ok = sum(r["result"] == "succeeded" for r in context.sessions)
    figures(context)["end-to-end success rate"] = Measured(
        100.0 * ok / count,
        "%",
        f"sessions of {seconds} s in 3 symbols across {', '.join(names)} whose every order was answered and "
        f"whose orders, fills, positions and cash reconciled exactly with the exchange ({ok} of {count})",
        count,
        "sessions",
    )


@then("every session sent orders to the exchange")
def sessions_table(context):
    rows = context.sessions
    idle = [r for r in rows if r["orders"] == 0]
    assert not idle, f"sessions in which the exchange received no order: {idle}"
    for r in rows:
        if r["result"] != "succeeded":
            print(f"session {r['session']} ({r['profile']}, seed {r['seed']}) failed: {r['why']}")

"""Steps for the data flow between components: per-topic accounting and order of delivery."""

from __future__ import annotations

from behave import then

from steps.figures import require_none
from steps.session import trading


@then("the feed the system was shown had a gap, and the exchange served it a snapshot after it")
def recovered_gap(context):
    s = trading(context)
    gaps = s.tap.gaps
    context.evidence.table("gaps in the feed", [{"time": round(t, 3), "symbol": sym} for t, sym in gaps])
    assert gaps, "the feed the system was shown had no gap, so there was nothing to recover"
    served = s.market.gateway.snapshots_served
    assert served >= len({sym for _, sym in gaps}), (
        f"{len(gaps)} gaps in the feed, but the exchange served only {served} snapshots"
    )


@then("every topic's sequence numbers reached the probe in order, with no gap and no repeat")
def in_order(context):
    s = trading(context)
    rows = s.probe.table()
    context.evidence.table("data flow per topic", rows)
    assert rows and all(r["numbered"] > 0 for r in rows), f"a topic carried nothing: {rows}"
    broken = [r for r in rows if r["gaps"] or r["duplicated"] or r["lost"]]
    assert not broken, f"out of order on the bus: {broken}"


@then("the system's top of book equals the exchange's for every symbol")
def same_top(context):
    s = trading(context)
    s.close_market()
    differences = s.top_differences()
    assert not differences, "; ".join(differences)


@then(
    "all through the session the system's top of book matched the exchange's quotes, "
    "over at least {least:Count} checks"
)
def top_all_through(context, least):
    audit = trading(context).top_audit
    require_none(
        context,
        "top-of-book checks that differed from the exchange",
        audit.count,
        "checks",
        "after each quote the market data system applied, its top of book (prices and sizes) against that "
        "quote as the exchange published it; a symbol waiting for its snapshot is not compared",
        audit.checks,
        least,
        audit.differences,
    )

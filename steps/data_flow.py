"""Steps for the data flow between components: per-topic accounting and order of delivery."""

from __future__ import annotations

from behave import then

from steps.session import trading


@then("message loss and duplication are recorded per topic")
def per_topic(context):
    s = trading(context)
    rows = s.probe.table()
    context.evidence.table("data flow per topic", rows)
    assert rows and all(r["published"] > 0 for r in rows), f"a topic carried nothing: {rows}"
    bus = s.system.bus
    for name, value in (
        ("dropped", bus.dropped),
        ("duplicated", bus.duplicated),
        ("out of order", bus.out_of_order),
    ):
        context.evidence.figure(
            f"bus deliveries {name}", value, "messages", method="data flow manager counts"
        )


@then("the market data system recovered from at least one sequence gap")
def recovered_gap(context):
    s = trading(context)
    lost = s.market.gateway.feed_dropped
    md = s.system.market_data
    assert lost > 0, "the exchange's feed lost no message, so there was no gap to recover"
    assert md.gaps > 0 and md.recoveries > 0, (
        f"{lost} messages lost but {md.gaps} gaps, {md.recoveries} recoveries"
    )
    assert not any(md.recovering(symbol) for symbol in md.symbols), (
        "a symbol is still waiting for its snapshot"
    )


@then("every consumer saw every topic's sequence numbers in order without a gap")
def in_order(context):
    s = trading(context)
    rows = s.probe.table()
    broken = [r for r in rows if r["gaps"] or r["duplicated"] or r["lost"]]
    assert not broken, f"out of order on the bus: {broken}"
    bus = s.system.bus
    assert bus.out_of_order == 0 and bus.duplicated == 0, (
        f"{bus.out_of_order} out of order, {bus.duplicated} repeats"
    )


@then("the system's top of book equals the exchange's for every symbol")
def same_top(context):
    s = trading(context)
    s.close_market()
    differences = s.top_differences()
    assert not differences, "; ".join(differences)

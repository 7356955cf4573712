"""A fault campaign: many faults of several kinds, one at a time at a steady pace."""

from __future__ import annotations

from simulator.faults import FaultPlan

# One modest instance of each kind; the campaign cycles through them in this order.
KINDS: tuple[dict, ...] = (
    {"fault": "disconnect", "account": "ALLUSE"},
    {"fault": "drop_feed", "count": 20},
    {"fault": "stale_feed", "duration": 2.0},
    {"fault": "latency_spike", "factor": 10.0, "duration": 3.0},
    {"fault": "reject_storm", "duration": 2.0},
    {"fault": "crash", "duration": 2.0},
    {"fault": "slow_acks", "extra": 0.05, "duration": 3.0},
)


def campaign(count: int, kinds: int, every: float) -> FaultPlan:
    if not 1 <= kinds <= len(KINDS):
        raise ValueError(f"a campaign draws on 1 to {len(KINDS)} kinds of fault, not {kinds}")
    entries = [{"at": every * (n + 1), **KINDS[n % kinds]} for n in range(count)]
    return FaultPlan.from_entries(entries, "fault campaign")

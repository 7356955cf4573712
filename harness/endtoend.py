"""Complete trading sessions across seeds and market profiles, each judged end to end.

A session succeeds when, after it is settled, no order of the system is still waiting for an
answer and its orders, fills, positions and cash reconcile exactly with the exchange's records.
"""

from __future__ import annotations

from harness.session import SessionSpec, TradingSession
from simulator.rng import derive_seed


def run_sessions(
    base_seed: int, count: int, seconds: float, profiles: list[str], symbols: int = 3
) -> list[dict]:
    rows = []
    for n in range(count):
        profile = profiles[n % len(profiles)]
        seed = derive_seed(base_seed, f"end to end {n}") % 2**31
        session = TradingSession(SessionSpec(seed=seed, symbols=symbols, profile=profile))
        try:
            session.run(seconds)
            result = session.reconcile()
            waiting = sum(1 for o in session.system.engine.orders().values() if o.pending)
            ok = result.ok and waiting == 0
            rows.append(
                {
                    "session": n + 1,
                    "profile": profile,
                    "seed": seed,
                    "orders": result.orders,
                    "fills": result.fills,
                    "result": "succeeded" if ok else "failed",
                    "why": ""
                    if ok
                    else (result.summary() if not result.ok else f"{waiting} orders unanswered"),
                }
            )
        finally:
            session.close()
    return rows

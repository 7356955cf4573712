"""Deploying versions into a running simulated session, and judging each switch from the venue.

The versions are those of :mod:`harness.versions`. Who decided an order is read from its size at
the venue, never from the system's own attribution. From the command line, one command runs a
simulated session and deploys a version into it (``python -m harness.deployment --help``): it
prints each deployment event and the venue's orders per version as JSON lines, and exits 0 only
when the system's orders, fills and positions reconcile exactly with the exchange at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.operations import OperatorClient
from harness.session import SessionSpec, TradingSession
from harness.versions import SIZES, register_versions
from system.deployment import DeploymentEvent, GateSettings


def deployment_session(seed: int, symbols: int = 3, profile: str = "normal") -> TradingSession:
    session = TradingSession(SessionSpec(seed=seed, symbols=symbols, profile=profile))
    register_versions(session)
    return session


@dataclass(frozen=True)
class VenueOrder:
    cl_ord_id: str
    time: float  # simulated time the callback that sent it started
    version: str | None  # by its size at the exchange; None when no version sends that size
    rejected: bool
    latency: float | None  # to the venue's first answer, as the tap saw it


def venue_orders(session: TradingSession) -> list[VenueOrder]:
    """Every new order the venue received from the system, with the version its size names."""
    by_size = {size: name for name, size in SIZES.items()}
    out = []
    for cl_ord_id, sent in session.tap.orders.items():
        latency = None if sent.answered is None else sent.answered - sent.trigger
        out.append(
            VenueOrder(cl_ord_id, sent.trigger, by_size.get(sent.qty), sent.rejected is not None, latency)
        )
    return out


def share(orders: list[VenueOrder], version: str) -> tuple[int, int]:
    """(orders of ``version``, all orders) among ``orders``."""
    return sum(o.version == version for o in orders), len(orders)


def between(orders: list[VenueOrder], start: float, end: float) -> list[VenueOrder]:
    return [o for o in orders if start <= o.time < end]


def events(session: TradingSession, kind: str) -> list[DeploymentEvent]:
    return [e for e in session.system.deployment.history if e.kind == kind]


def deploy(session: TradingSession, version: str, **gates: Any) -> DeploymentEvent:
    """The one call that deploys ``version`` into the running session."""
    return session.system.deployment.deploy(version, GateSettings(**gates))


def p99(values: list[float]) -> float | None:
    """The nearest-rank 99th percentile; None of nothing."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def latencies(orders: list[VenueOrder]) -> list[float]:
    return [o.latency for o in orders if o.latency is not None]


def rejects_of(session: TradingSession, version: str) -> list[float]:
    """Simulated times at which the venue's reject of an order of ``version`` reached the system."""
    return sorted(
        o.time + o.latency
        for o in venue_orders(session)
        if o.version == version and o.rejected and o.latency is not None
    )


@dataclass(frozen=True)
class ProcedureStep:
    time: float  # simulated time the request was answered
    request: str
    status: int
    answer: dict


# The runbook's manual procedure, as the admin's signed operator API requests (docs/operations.md).
MANUAL_PROCEDURE = (
    ("GET", "/status", b""),
    ("POST", "/deploy", b'{"version": "2", "mode": "switch"}'),
    ("GET", "/status", b""),
    ("POST", "/rollback", b'{"reason": "fall back to the previous version"}'),
    ("GET", "/status", b""),
)


def manual_procedure(session: TradingSession, trade: float) -> list[ProcedureStep]:
    """Follow the manual procedure through the session's operator API as the admin, trading
    ``trade`` simulated seconds after each step."""
    client = OperatorClient(session)
    steps = []
    for method, path, body in MANUAL_PROCEDURE:
        response = client.call("admin", method, path, body)
        request = f"{method} {path} {body.decode()}".strip()
        steps.append(ProcedureStep(session.now, request, response.status, response.body))
        session.run(trade)
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.deployment",
        description="Run a simulated session, deploy a version into it, and reconcile with the exchange.",
    )
    parser.add_argument("--version", default="2", help=f"the version to deploy (one of {', '.join(SIZES)})")
    parser.add_argument("--mode", choices=("canary", "switch"), default="canary")
    parser.add_argument("--at", type=float, default=60.0, help="simulated second of the deployment")
    parser.add_argument("--seconds", type=float, default=180.0, help="simulated seconds in all")
    parser.add_argument("--canary-share", type=float, default=GateSettings.canary_share)
    parser.add_argument("--rollback-at", type=float, default=None, help="roll back by hand at this second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--snapshot", type=Path, default=None, help="save the monitoring snapshot here")
    args = parser.parse_args(argv)
    if not 0 < args.at < args.seconds <= 86_400:
        parser.error("--at must be after 0 and before --seconds (at most 86400)")
    session = deployment_session(args.seed, args.symbols)
    try:
        deployment = session.system.deployment
        session.run(args.at)
        try:
            if args.mode == "switch":
                deployment.switch(args.version)
            else:
                deployment.deploy(args.version, GateSettings(canary_share=args.canary_share))
        except ValueError as refused:  # InvalidInput: an unknown version, a bad share
            print(f"error: {refused}", file=sys.stderr)
            return 2
        if args.rollback_at is not None and args.at < args.rollback_at < args.seconds:
            session.run(args.rollback_at - session.now)
            deployment.rollback("operator: by hand")
        session.run(args.seconds - session.now)
        for event in deployment.history:
            print(json.dumps({"event": asdict(event)}))
        counts = {v: share(venue_orders(session), v)[0] for v in SIZES}
        print(json.dumps({"venue_orders_by_version": counts, "active": deployment.active}))
        if args.snapshot is not None:
            args.snapshot.parent.mkdir(parents=True, exist_ok=True)
            args.snapshot.write_text(session.system.monitoring.snapshot_json())
        result = session.reconcile()
        print(json.dumps({"reconciliation": result.summary()}))
        return 0 if result.ok else 1
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main())

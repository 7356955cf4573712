"""Deploying versions into a running simulated session, and judging each switch from the venue.

The versions are those of :mod:`harness.versions`. Who decided an order is read from its size at
the venue, never from the system's own attribution.
"""

from __future__ import annotations

from dataclasses import dataclass
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

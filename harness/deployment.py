"""Deploying versions into a running simulated session, and judging each switch from the venue.

The versions the scenarios deploy are defined here, not in the system: each is a set of strategy
parameters, so its orders are recognisable at the venue by their size alone (version 1 sends 100,
version 2 200, the slow version 300, the faulty one 150, which is off the exchange's lot of 100 and
so rejected). The slow version's variant charges the simulated host 20 ms for each decision it
takes (an evaluation that asks for something), as a build that computes that much longer would:
what the system sends meanwhile leaves later, and the venue tap's latency shows it. Who decided an
order is read from its size at the venue, never from the system's own attribution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.session import SessionSpec, TradingSession
from system.deployment import DeploymentEvent, GateSettings, Version
from system.intents import Intent, Place
from system.strategy import Strategy

LOT = 100
SLOW_SECONDS = 0.020  # what the slow version adds to each of its evaluations
SIZES = {"1": 100, "2": 200, "slow": 300, "faulty": 150}  # order size by version, at the venue


class _Slow:
    """A strategy that keeps the simulated host busy ``seconds`` longer for each decision it takes."""

    def __init__(self, inner: Strategy, charge: Callable[[float], None], seconds: float) -> None:
        self._inner, self._charge, self._seconds = inner, charge, seconds

    def on_quote(self, symbol: str, quote: Any, position: int, open_orders: Sequence[Any]) -> list[Intent]:
        intents = self._inner.on_quote(symbol, quote, position, open_orders)
        if intents:  # a decision, in the decision loop's words: an evaluation that asks for something
            self._charge(self._seconds)
        return intents


class _OffLot:
    """A strategy whose new orders are half a lot off: the faulty build; the exchange rejects them."""

    def __init__(self, inner: Strategy) -> None:
        self._inner = inner

    def on_quote(self, symbol: str, quote: Any, position: int, open_orders: Sequence[Any]) -> list[Intent]:
        return [
            Place(i.symbol, i.side, i.qty + LOT // 2, i.price, i.tif) if isinstance(i, Place) else i
            for i in self._inner.on_quote(symbol, quote, position, open_orders)
        ]


def register_versions(session: TradingSession) -> None:
    """Register the scenarios' versions in the session's system (version 1 is the one it runs)."""
    registry = session.system.deployment.registry
    charge = session.market.gateway.charge
    registry.register(Version("2", {"qty": SIZES["2"]}, description="orders of two lots"))
    registry.register(
        Version(
            "slow",
            {"qty": SIZES["slow"]},
            wrap=lambda inner: _Slow(inner, charge, SLOW_SECONDS),
            description="20 ms more compute per decision",
        )
    )
    registry.register(Version("faulty", {"qty": LOT}, wrap=_OffLot, description="orders off the lot"))


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

"""The system versions the deployment scenarios deploy, defined by the harness, not by the system.

Each is a set of strategy parameters, so its orders are recognisable at the venue by their size
alone (version 1 sends 100, version 2 200, the slow version 300, the faulty one 150, which is off
the exchange's lot of 100 and so rejected). The slow version's variant charges the simulated host
20 ms for each decision it takes (an evaluation that asks for something), as a build that computes
that much longer would: what the system sends meanwhile leaves later, and the venue tap's latency
shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.session import TradingSession
from system.deployment import Version
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

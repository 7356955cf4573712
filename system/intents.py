"""What a strategy asks the execution engine to do: place, amend or cancel an order.

Intents are in the system's own terms (a client order id it chose, integer price units); the
execution engine turns them into venue messages after the risk checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from venue.messages import Side, TimeInForce


@dataclass(frozen=True, slots=True)
class Place:
    symbol: str
    side: Side
    qty: int
    price: int | None  # price units; None for a market order
    tif: TimeInForce = TimeInForce.GTC


@dataclass(frozen=True, slots=True)
class Amend:
    cl_ord_id: str  # the order's current client id
    qty: int  # the quantity to leave open (what has filled stays filled)
    price: int | None  # None keeps the price


@dataclass(frozen=True, slots=True)
class Cancel:
    cl_ord_id: str


Intent = Place | Amend | Cancel

"""Static order checks of the exchange: quantity, lot, tick, price band and a limit order's price.

These are the rules an order can break on its own, before it reaches the book (the checks that need
state, such as an unknown symbol, a duplicate id or a halted market, belong to the exchange). They run
on the hot path of the exchange and of ``replay``, so they take plain ints and return at the first
broken rule:

    check_order(is_market, price, qty, tick, lot, band) -> RejectReason | None

- ``is_market``: True for a market order, which skips every price check (its price is ignored).
- ``price``: price units (see :mod:`venue.messages`), or None.
- ``qty``: order quantity; ``tick`` and ``lot`` are positive ints (tick in price units).
- ``band``: inclusive (low, high) price units, or None for no band.

Checks, in order: quantity not positive or not a multiple of the lot -> BAD_QUANTITY; a limit order
without a price -> MISSING_PRICE; a price that is not a positive multiple of the tick ->
PRICE_OFF_TICK; a price outside the band -> PRICE_OUTSIDE_BAND. None means the order passes.
"""

from __future__ import annotations

from venue.messages import RejectReason

# Looked up once: enum attribute access is slow next to a module global.
_BAD_QUANTITY = RejectReason.BAD_QUANTITY
_MISSING_PRICE = RejectReason.MISSING_PRICE
_PRICE_OFF_TICK = RejectReason.PRICE_OFF_TICK
_PRICE_OUTSIDE_BAND = RejectReason.PRICE_OUTSIDE_BAND


def check_order(
    is_market: bool, price: int | None, qty: int, tick: int, lot: int, band: tuple[int, int] | None
) -> RejectReason | None:
    """The first rule the order breaks, or None if it breaks none (see the module docstring)."""
    if qty <= 0 or qty % lot:
        return _BAD_QUANTITY
    if is_market:
        return None
    if price is None:
        return _MISSING_PRICE
    if price <= 0 or price % tick:
        return _PRICE_OFF_TICK
    if band is not None and not band[0] <= price <= band[1]:
        return _PRICE_OUTSIDE_BAND
    return None

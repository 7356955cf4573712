"""The order book of one symbol: price-time priority matching, pure Python, no simpy, no I/O.

Prices are integers in price units (see :mod:`venue.messages`); a market order has price ``None``.
Trades happen at the resting (maker) order's price. The book is on the hot path of both the exchange
and the ``replay`` command, so it is laid out for CPython speed rather than elegance:

- Each side keeps a sorted list of *keys* with the best price at the END, so the common operations
  (look at the best level, drop an emptied best level, add a level near the touch) are cheap list-tail
  operations. A bid's key is its price, an ask's key is minus its price; so for both sides "better"
  means a larger key, and an incoming order with limit key ``L`` crosses a level with key ``k`` when
  ``k >= L`` (``L`` is minus the limit for a buy, the limit for a sell).
- Each level is a FIFO ``deque`` of orders with its total quantity cached.
- Cancels are lazy: the order is marked dead (its ``_level`` no longer points at the level) and the
  level total is reduced at once, but the deque entry is only dropped when matching reaches it. An
  emptied level is removed eagerly, so the best level is always live and never crossed.
- ``replace`` removes its old queue entry eagerly (it is rare), so no order ever has two entries.

Because a cancelled order may still sit in a deque, a cancelled :class:`Order` object must not be
submitted again: :meth:`OrderBook.submit` refuses it (build a new ``Order``).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator

# Smaller than any key: the "limit" of a market order, which crosses every level.
_NO_LIMIT = -(1 << 126)


class Order:
    """One order. ``qty`` is the leaves quantity, reduced in place by matching.

    ``owner`` is opaque to the book (the exchange keeps its account or session there).
    """

    __slots__ = ("order_id", "is_buy", "price", "qty", "owner", "_level")

    def __init__(self, order_id: object, is_buy: bool, price: int | None, qty: int, owner: object = None):
        self.order_id = order_id
        self.is_buy = is_buy
        self.price = price
        self.qty = qty
        self.owner = owner
        # The _Level the order rests in; _NOWHERE when not resting; _CANCELLED after a cancel.
        self._level: _Level = _NOWHERE

    def __repr__(self) -> str:
        side = "buy" if self.is_buy else "sell"
        return f"Order({self.order_id!r}, {side}, price={self.price}, qty={self.qty})"


Fill = tuple[Order, int, int]
"""(resting maker order, quantity, price). The maker's ``qty`` is already reduced."""


class _Level:
    __slots__ = ("price", "total", "queue", "dead")

    def __init__(self, price: int) -> None:
        self.price = price
        self.total = 0  # sum of the live orders' qty; 0 means the level is removed
        self.queue: deque[Order] = deque()  # may hold dead (cancelled) entries, skipped lazily
        self.dead = 0  # dead entries in queue; compacted when they outnumber the live ones


# Marker levels that hold no orders: an order not resting, and an order cancelled for good.
_NOWHERE = _Level(0)
_CANCELLED = _Level(0)


class _Side:
    __slots__ = ("keys", "levels")

    def __init__(self) -> None:
        self.keys: list[int] = []  # ascending; the best level's key is keys[-1]
        self.levels: dict[int, _Level] = {}


class OrderBook:
    """The resting orders of one symbol, matched by price, then time."""

    def __init__(self, symbol: str = "") -> None:
        self.symbol = symbol
        self._bids = _Side()
        self._asks = _Side()
        self._orders: dict[object, Order] = {}

    # --- order entry ------------------------------------------------------------------------------

    def submit(self, order: Order, tif: str = "gtc") -> list[Fill]:
        """Match ``order`` against the other side; rest its leaves if it is a GTC limit order.

        ``tif`` is ``"gtc"``, ``"ioc"`` or ``"fok"`` (a ``TimeInForce`` works too). IOC leaves and
        market-order leaves are not rested: the caller cancels them. A FOK order either fills in full
        now or not at all (no fills, ``order.qty`` unchanged). Raises KeyError if an order with the
        same id is resting, ValueError for a non-positive quantity, an unknown ``tif`` or a cancelled
        ``Order`` submitted again.
        """
        oid = order.order_id
        if oid in self._orders:
            raise KeyError(oid)
        if order.qty <= 0:
            raise ValueError(f"order {oid!r}: quantity must be positive, not {order.qty}")
        if order._level is _CANCELLED:
            raise ValueError(f"order {oid!r} was cancelled: submit a new Order")
        price = order.price
        if order.is_buy:
            opp = self._asks
            limit_key = _NO_LIMIT if price is None else -price
        else:
            opp = self._bids
            limit_key = _NO_LIMIT if price is None else price
        keys = opp.keys
        crosses = bool(keys) and keys[-1] >= limit_key

        if tif == "gtc":
            fills = self._match(order, limit_key, opp) if crosses else []
            if order.qty and price is not None:
                self._rest(order)
            return fills
        if tif == "ioc":
            return self._match(order, limit_key, opp) if crosses else []
        if tif == "fok":
            if crosses and self._available(limit_key, opp, order.qty):
                return self._match(order, limit_key, opp)
            return []
        raise ValueError(f"unknown time in force: {tif!r}")

    def cancel(self, order_id: object) -> Order | None:
        """Remove a resting order and return it (its ``qty`` is what was left); None if not resting."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        level = order._level
        order._level = _CANCELLED
        level.total -= order.qty
        if not level.total:
            self._drop_level(order.is_buy, level)
        else:
            # A level that lives long under churn would otherwise collect dead entries without bound.
            level.dead += 1
            if level.dead > 32 and level.dead * 2 > len(level.queue):
                level.queue = deque(o for o in level.queue if o._level is level)
                level.dead = 0
        return order

    def replace(self, order_id: object, qty: int, price: int | None) -> tuple[Order, list[Fill]] | None:
        """Change a resting order to ``qty`` (the new total leaves) at ``price`` (None keeps the price).

        Same price and ``qty`` not higher: reduced in place, keeping its time priority. Otherwise the
        order goes to the back of the queue at its (new) price, first matching like a GTC limit order
        if that price crosses. Returns the order (``qty`` is its leaves after any fills; it is no longer
        resting if 0) and the fills, or None if ``order_id`` is not resting.
        """
        order = self._orders.get(order_id)
        if order is None:
            return None
        if qty <= 0:
            raise ValueError(f"order {order_id!r}: quantity must be positive, not {qty}")
        if price is None:
            price = order.price
            assert price is not None, "a resting order has a price"
        level = order._level
        if price == order.price and qty <= order.qty:
            level.total -= order.qty - qty
            order.qty = qty
            return order, []

        level.queue.remove(order)
        level.total -= order.qty
        if not level.total:
            self._drop_level(order.is_buy, level)
        order._level = _NOWHERE
        order.price = price
        order.qty = qty
        if order.is_buy:
            opp = self._asks
            limit_key = -price
        else:
            opp = self._bids
            limit_key = price
        keys = opp.keys
        fills = self._match(order, limit_key, opp) if keys and keys[-1] >= limit_key else []
        if order.qty:
            self._rest(order)
        else:
            del self._orders[order_id]
        return order, fills

    # --- queries ----------------------------------------------------------------------------------

    def get(self, order_id: object) -> Order | None:
        """The resting order with this id, or None."""
        return self._orders.get(order_id)

    def best_bid(self) -> tuple[int, int] | None:
        """(price, total quantity) of the best bid level, or None if no bids."""
        keys = self._bids.keys
        if not keys:
            return None
        level = self._bids.levels[keys[-1]]
        return level.price, level.total

    def best_ask(self) -> tuple[int, int] | None:
        """(price, total quantity) of the best ask level, or None if no asks."""
        keys = self._asks.keys
        if not keys:
            return None
        level = self._asks.levels[keys[-1]]
        return level.price, level.total

    def depth(self, levels: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
        """The top ``levels`` (price, total quantity) levels of (bids, asks), each best first."""
        return self._depth(self._bids, levels), self._depth(self._asks, levels)

    def __len__(self) -> int:
        return len(self._orders)

    def orders(self) -> Iterator[Order]:
        """The resting orders: bids then asks, each best price first, earliest first within a price."""
        for side in (self._bids, self._asks):
            for key in reversed(side.keys):
                level = side.levels[key]
                for order in level.queue:
                    if order._level is level:
                        yield order

    # --- internals --------------------------------------------------------------------------------

    @staticmethod
    def _depth(side: _Side, n: int) -> tuple[tuple[int, int], ...]:
        keys, levels = side.keys, side.levels
        out = []
        for i in range(len(keys) - 1, max(len(keys) - n, 0) - 1, -1):
            level = levels[keys[i]]
            out.append((level.price, level.total))
        return tuple(out)

    @staticmethod
    def _available(limit_key: int, opp: _Side, wanted: int) -> bool:
        """Whether the levels that cross ``limit_key`` hold at least ``wanted``."""
        levels = opp.levels
        for key in reversed(opp.keys):
            if key < limit_key:
                return False
            wanted -= levels[key].total
            if wanted <= 0:
                return True
        return False

    def _match(self, taker: Order, limit_key: int, opp: _Side) -> list[Fill]:
        """Fill ``taker`` against ``opp`` down to ``limit_key``; the caller checked the best level crosses."""
        fills: list[Fill] = []
        append = fills.append
        keys, levels, orders = opp.keys, opp.levels, self._orders
        qty = taker.qty
        while True:
            key = keys[-1]
            level = levels[key]
            queue = level.queue
            price = level.price
            while True:
                maker = queue[0]
                if maker._level is not level:  # cancelled: drop the dead entry now
                    queue.popleft()
                    level.dead -= 1
                    continue
                mqty = maker.qty
                if mqty > qty:
                    maker.qty = mqty - qty
                    level.total -= qty
                    append((maker, qty, price))
                    taker.qty = 0
                    return fills
                queue.popleft()
                maker.qty = 0
                maker._level = _NOWHERE
                del orders[maker.order_id]
                append((maker, mqty, price))
                qty -= mqty
                level.total -= mqty
                if not level.total:
                    break
                if not qty:
                    taker.qty = 0
                    return fills
            keys.pop()
            del levels[key]
            if not qty or not keys or keys[-1] < limit_key:
                taker.qty = qty
                return fills

    def _rest(self, order: Order) -> None:
        price = order.price
        assert price is not None, "a market order never rests"
        if order.is_buy:
            side = self._bids
            key = price
        else:
            side = self._asks
            key = -price
        level = side.levels.get(key)
        if level is None:
            level = side.levels[key] = _Level(price)
            keys = side.keys
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        level.queue.append(order)
        level.total += order.qty
        order._level = level
        self._orders[order.order_id] = order

    def _drop_level(self, is_buy: bool, level: _Level) -> None:
        side = self._bids if is_buy else self._asks
        key = level.price if is_buy else -level.price
        keys = side.keys
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]
        del side.levels[key]

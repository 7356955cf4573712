"""Property tests of the order book: random new/cancel/replace streams checked against a plain model.

The model is the rules written as directly as possible (a list of resting orders, sorted by price then
arrival on every match), so any fill, leaves quantity or resting order that differs is a book bug.
After every operation the book must also be uncrossed and conserve quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.book import Order, OrderBook


@dataclass
class Resting:
    seq: int
    oid: int
    is_buy: bool
    price: int
    qty: int


class Model:
    def __init__(self) -> None:
        self.resting: list[Resting] = []
        self.seq = 0

    def find(self, oid: int) -> Resting | None:
        return next((r for r in self.resting if r.oid == oid), None)

    def _rest(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        self.seq += 1
        self.resting.append(Resting(self.seq, oid, is_buy, price, qty))

    def _match(self, is_buy: bool, price: int | None, qty: int, fok: bool) -> tuple[list, int]:
        def crosses(r: Resting) -> bool:
            if r.is_buy == is_buy:
                return False
            return price is None or (r.price <= price if is_buy else r.price >= price)

        queue = sorted(
            (r for r in self.resting if crosses(r)), key=lambda r: (r.price if is_buy else -r.price, r.seq)
        )
        if fok and sum(r.qty for r in queue) < qty:
            return [], qty
        fills = []
        for maker in queue:
            if not qty:
                break
            take = min(qty, maker.qty)
            fills.append((maker.oid, take, maker.price))
            maker.qty -= take
            qty -= take
        self.resting = [r for r in self.resting if r.qty]
        return fills, qty

    def submit(self, oid: int, is_buy: bool, price: int | None, qty: int, tif: str) -> tuple[list, int]:
        fills, leaves = self._match(is_buy, price, qty, tif == "fok")
        if leaves and tif == "gtc" and price is not None:
            self._rest(oid, is_buy, price, leaves)
        return fills, leaves

    def cancel(self, oid: int) -> int | None:
        order = self.find(oid)
        if order is None:
            return None
        self.resting.remove(order)
        return order.qty

    def replace(self, oid: int, qty: int, price: int | None) -> tuple[list, int] | None:
        order = self.find(oid)
        if order is None:
            return None
        price = order.price if price is None else price
        if price == order.price and qty <= order.qty:
            order.qty = qty
            return [], qty
        self.resting.remove(order)
        fills, leaves = self._match(order.is_buy, price, qty, False)
        if leaves:
            self._rest(oid, order.is_buy, price, leaves)
        return fills, leaves

    def book_order(self) -> list[tuple[int, int, int]]:
        """(oid, price, qty) as OrderBook.orders() gives them: bids then asks, best first, then by time."""
        bids = sorted((r for r in self.resting if r.is_buy), key=lambda r: (-r.price, r.seq))
        asks = sorted((r for r in self.resting if not r.is_buy), key=lambda r: (r.price, r.seq))
        return [(r.oid, r.price, r.qty) for r in bids + asks]


# An id is either fresh (None) or picks one used before (by index), which may be resting or finished.
ids = st.one_of(st.none(), st.none(), st.none(), st.integers(0, 1000))
targets = st.integers(0, 1000)
prices = st.integers(97, 103)
qtys = st.integers(1, 12)
new_op = st.tuples(
    st.just("new"),
    ids,
    st.booleans(),
    st.one_of(prices, prices, prices, prices, st.none()),
    qtys,
    st.sampled_from(["gtc", "gtc", "ioc", "fok", "fok"]),
)
cancel_op = st.tuples(st.just("cancel"), targets)
replace_op = st.tuples(st.just("replace"), targets, qtys, st.one_of(prices, prices, st.none()))
# At least 20 operations: hypothesis favours short lists, which rarely build a book deep enough to
# sweep several levels or meet a cancelled order in a queue.
ops = st.lists(st.one_of(new_op, new_op, new_op, cancel_op, replace_op), min_size=20, max_size=120)


def check_invariants(book: OrderBook, model: Model) -> None:
    bid, ask = book.best_bid(), book.best_ask()
    if bid and ask:
        assert bid[0] < ask[0], f"crossed: {bid} / {ask}"
    assert [(o.order_id, o.price, o.qty) for o in book.orders()] == model.book_order()
    assert len(book) == len(model.resting)
    levels: dict[tuple[bool, int], int] = {}
    for r in model.resting:
        levels[r.is_buy, r.price] = levels.get((r.is_buy, r.price), 0) + r.qty
    bids = tuple(sorted(((p, q) for (b, p), q in levels.items() if b), reverse=True))
    asks = tuple(sorted((p, q) for (b, p), q in levels.items() if not b))
    assert book.depth(100) == (bids, asks)
    assert book.depth(2) == (bids[:2], asks[:2])
    assert bid == (bids[0] if bids else None) and ask == (asks[0] if asks else None)
    for o in book.orders():
        assert book.get(o.order_id) is o and o.qty > 0


def check_fills(fills, expected, taker_filled: int, before: dict[int, int], book: OrderBook) -> None:
    """Fills match the model; the taker's filled qty, the fills and the makers' reductions agree."""
    assert [(m.order_id, q, p) for m, q, p in fills] == expected
    assert sum(q for _, q, _ in fills) == taker_filled
    reductions = 0
    for maker in {id(m): m for m, _, _ in fills}.values():
        after = book.get(maker.order_id)
        assert maker.qty == (0 if after is None else after.qty)
        reductions += before[maker.order_id] - maker.qty
    assert reductions == taker_filled
    for maker, _, price in fills:
        assert price == maker.price, "a trade happens at the resting order's price"


@settings(max_examples=300, deadline=None)
@given(ops)
def test_book_matches_the_model(operations):
    book, model = OrderBook("T"), Model()
    used: list[int] = []
    for op in operations:
        before = {o.order_id: o.qty for o in book.orders()}
        if op[0] == "new":
            _, pick, is_buy, price, qty, tif = op
            if pick is None or not used:
                oid = len(used)
                used.append(oid)
            else:
                oid = used[pick % len(used)]
            order = Order(oid, is_buy, price, qty)
            if model.find(oid) is not None:
                try:
                    book.submit(order, tif)
                except KeyError:
                    pass
                else:
                    raise AssertionError("a duplicate resting id must raise KeyError")
                check_invariants(book, model)
                continue
            fills = book.submit(order, tif)
            expected, leaves = model.submit(oid, is_buy, price, qty, tif)
            assert order.qty == leaves
            check_fills(fills, expected, qty - leaves, before, book)
            if tif == "fok":
                assert (fills == [] and leaves == qty) or leaves == 0, "FOK is all or nothing"
            rests = leaves > 0 and tif == "gtc" and price is not None
            assert (book.get(oid) is order) == rests
        elif op[0] == "cancel":
            oid = used[op[1] % len(used)] if used else -1
            expected = model.cancel(oid)
            cancelled = book.cancel(oid)
            assert (cancelled is None) == (expected is None)
            if cancelled is not None:
                assert cancelled.order_id == oid and cancelled.qty == expected
            assert book.get(oid) is None
        else:
            _, pick, qty, price = op
            oid = used[pick % len(used)] if used else -1
            old = book.get(oid)
            expected = model.replace(oid, qty, price)
            result = book.replace(oid, qty, price)
            assert (result is None) == (expected is None)
            if result is not None:
                order, fills = result
                assert order is old, "replace keeps the same Order object"
                check_fills(fills, expected[0], qty - expected[1], before, book)
                assert order.qty == expected[1]
                assert (book.get(oid) is order) == (expected[1] > 0)
        check_invariants(book, model)


@settings(max_examples=100, deadline=None)
@given(st.lists(qtys, min_size=1, max_size=20), st.data())
def test_priority_kept_by_reduce_and_lost_by_increase(resting, data):
    """Among orders at one price, a reduced order keeps its place and an increased one goes last."""
    book = OrderBook()
    for i, qty in enumerate(resting):
        book.submit(Order(i, True, 100, qty))
    queue = [o.order_id for o in book.orders()]
    target = data.draw(st.sampled_from(queue))
    order = book.get(target)
    new_qty = data.draw(st.integers(1, 20))
    increase = new_qty > order.qty
    book.replace(target, new_qty, None)
    after = [o.order_id for o in book.orders()]
    if increase:
        queue.remove(target)
        queue.append(target)
    assert after == queue
    assert book.best_bid() == (100, sum(o.qty for o in book.orders()))

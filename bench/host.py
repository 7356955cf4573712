"""How fast this host runs plain Python right now: ``make bench`` prints it before and after its figures.

The development machines' speed varies by up to 2x between sessions and within one, so a figure
alone does not say whether the code or the host changed. The reference is a fixed interpreter-bound
loop (integer arithmetic, a dict and a list), timed three times; its median rate is the reference.
"""

from __future__ import annotations

import statistics
from time import perf_counter

_N = 1_000_000


def _loop() -> float:
    started = perf_counter()
    table: dict[int, int] = {}
    items: list[int] = []
    total = 0
    for i in range(_N):
        total += i * 7 % 13
        table[i & 1023] = total
        items.append(total)
        if len(items) > 64:
            items.clear()
    return perf_counter() - started


def reference() -> str:
    """One line: the reference loop's median rate over three runs."""
    rate = _N / statistics.median(_loop() for _ in range(3))
    return f"host reference: {rate / 1e6:.2f} M loop iterations/s (median of 3; higher is a faster host)"


if __name__ == "__main__":
    print(reference())

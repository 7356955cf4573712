"""Custom step parameter types shared by every step module (registered once, on import)."""

from __future__ import annotations

import parse
from behave import register_type


@parse.with_pattern(r"\d+(?:\.\d+)?")
def parse_price(text: str) -> str:
    return text


@parse.with_pattern(r"buys|sells|buy|sell")
def parse_side(text: str) -> str:
    return "buy" if text.startswith("buy") else "sell"


register_type(Price=parse_price, Side=parse_side)


@parse.with_pattern(r"at least|at most")
def parse_bound(text: str) -> str:
    return text


register_type(Bound=parse_bound)


@parse.with_pattern(r"\d{1,3}(?:,\d{3})+|\d+")
def parse_count(text: str) -> int:
    """A whole number as people write it: "1,000" or "1000"."""
    return int(text.replace(",", ""))


register_type(Count=parse_count)

"""The error every component raises for bad input, naming the field and where it came from, and the
checks of the fields every order-shaped input has (symbol, side, quantity, price)."""

from __future__ import annotations

from venue.messages import Side


class InvalidInput(ValueError):
    """Input refused by a component. The component stays usable after raising it."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        super().__init__(f"{where}: field {field!r}: {problem}")
        self.where = where
        self.field = field
        self.problem = problem


def require_text(where: str, field: str, value: object) -> None:
    """Refuse anything but a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(where, field, f"must be a non-empty string, got {value!r}")


def require_positive_int(where: str, field: str, value: object) -> None:
    """Refuse anything but a positive integer (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(where, field, f"must be a positive integer, got {value!r}")


def require_side(where: str, field: str, value: object) -> None:
    if not isinstance(value, Side):
        raise InvalidInput(where, field, f"must be a Side, got {value!r}")

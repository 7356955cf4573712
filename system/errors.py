"""The error every component raises for bad input: it names the field and where it came from."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input refused by a component. The component stays usable after raising it."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        super().__init__(f"{where}: field {field!r}: {problem}")
        self.where = where
        self.field = field
        self.problem = problem

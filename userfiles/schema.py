"""Schemas of the files a user hands in: frozen dataclasses whose fields carry their type and
documented range, checked by pydantic.

A dataclass decorated with :func:`checked` refuses unknown keys and non-finite numbers; its fields
use :data:`Whole`, :data:`Number`, :data:`Text` and :data:`Flag` (no coercion: ``"5"`` is not 5,
``true`` is not 1, 2.5 is not an integer; an integer is a number) with ``Field(ge=..., le=...)`` for
the range. :func:`validate` builds one from a mapping and turns pydantic's first complaint into an
:class:`~userfiles.reading.InputError` naming the key, the rule and the value given.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import ConfigDict, Strict, TypeAdapter, ValidationError, with_config

from userfiles.reading import InputError, shown

T = TypeVar("T")

Whole = Annotated[int, Strict()]
Number = Annotated[float, Strict()]  # an int is a number too
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]

checked = with_config(ConfigDict(extra="forbid", allow_inf_nan=False))


@cache
def _adapter(cls: type[T]) -> TypeAdapter[T]:
    return TypeAdapter(cls)


def _rule(error: Any, cls: type) -> str:
    """What pydantic's ``error`` says the value must be, in the words of these messages."""
    kind = error["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return f"unknown key (known: {', '.join(f.name for f in dataclasses.fields(cls))})"
    if kind == "missing":
        return "required, missing"
    if kind in ("dataclass_type", "dataclass_args_type"):
        return f"expected a mapping, got {type(error['input']).__name__}"
    message = str(error["msg"]).replace("Value error, ", "")
    return message.replace("Input should be ", "must be ").replace("String should ", "must ")


def validate(cls: type[T], data: Any, where: str) -> T:
    """``cls`` built from the mapping ``data``; an InputError naming ``where``, the key and the rule."""
    try:
        return _adapter(cls).validate_python(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        loc = first["loc"]
        # A union (a ticker or a number) reports one error per arm: say them together.
        rules = dict.fromkeys(_rule(e, cls) for e in errors if e["loc"][:1] == loc[:1])
        reason = " or ".join(rules).replace(" or must be ", " or ")
        kind = first["type"]
        if kind not in ("unexpected_keyword_argument", "extra_forbidden", "missing", "dataclass_type"):
            reason += f", got {shown(first['input'])}"
        # The key, and the index into a [low, high] pair; not the names pydantic gives union arms.
        name = loc[0] if loc else ""
        if not (isinstance(name, str) and (name.isidentifier() or not name) and len(name) <= 40):
            name = shown(name, 40)  # an odd key given by the user, quoted and cut short
        key = "".join([str(name), *(f"[{p}]" for p in loc[1:] if isinstance(p, int))])
        raise InputError(where, key, reason) from None

"""The memory a component holds, measured from outside it: the size of every object reachable from it.

A walk of the object graph from the component (``gc.get_referents``, ``sys.getsizeof``), which stops
at what the component uses but does not own: objects of the packages named as the far side (for the
system: the simulator, the harness and SimPy, which give it its venue, clock and timer), the objects
given as boundaries, and whatever no leak can live in: modules, classes, code, and a function's
globals (a function's closure and defaults are walked: a lambda can hold state). Each object counts
once, however many paths reach it.

A component's own memory report would be a claim; this is the interpreter's count of what the
component keeps alive. It does not see memory outside Python objects (an SQLite database's pages),
which the day reports as the database's size.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Iterable

# What is shared by the whole process, never a component's state.
_SHARED = (types.ModuleType, type, types.CodeType, types.FrameType, types.BuiltinFunctionType)


def _referents(obj: object) -> Iterable[object]:
    if isinstance(obj, types.FunctionType):
        # A function's globals are its module's, shared by everything the module defines.
        cells = [cell.cell_contents for cell in obj.__closure__ or () if _filled(cell)]
        return [*cells, obj.__defaults__, obj.__kwdefaults__, obj.__dict__]
    return gc.get_referents(obj)


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


FAR_SIDE = ("simulator", "harness", "simpy")  # what the system is given, never what it holds


def retained_bytes(
    root: object, far_side: tuple[str, ...] = FAR_SIDE, boundaries: Iterable[object] = ()
) -> tuple[int, int]:
    """(bytes, objects) reachable from ``root`` without passing through the far side or a boundary."""
    seen = {id(b) for b in boundaries}
    stack = [root]
    total = count = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SHARED) or obj is None:
            continue
        seen.add(id(obj))
        if type(obj).__module__.startswith(far_side):
            continue
        total += sys.getsizeof(obj)
        count += 1
        stack.extend(_referents(obj))
    return total, count

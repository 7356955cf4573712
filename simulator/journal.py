"""The event journal: one JSON line per exchange event, stamped with simulated time.

Lines are written with a fixed key order and ``repr`` floats, so two runs with the same seed write
byte-identical files. A journal without a path only counts events (for runs that do not keep one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


class Journal:
    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.events = 0
        self._out: IO[str] | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("w", encoding="utf-8", buffering=1 << 16)

    def write(self, time: float, event: str, fields: dict[str, Any]) -> None:
        self.events += 1
        out = self._out
        if out is not None:
            rest = _dumps(fields)[1:] if fields else "}"
            out.write(f'{{"t":{time!r},"ev":"{event}"{"," if fields else ""}{rest}\n')

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

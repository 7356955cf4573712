"""The event journal: one JSON line per exchange event, stamped with simulated time.

Lines are written with a fixed key order and ``repr`` floats, so two runs with the same seed write
byte-identical files. A journal without a path only counts events (for runs that do not keep one).

The file is an :class:`~userfiles.writing.OutputFile`: it is never one of the run's ``inputs``, it
takes the place of an old journal only when :meth:`Journal.close` completes it, and a write error
(disk full) is an :class:`~userfiles.writing.OutputError` naming it. A non-finite number is refused
(ValueError) rather than written as ``NaN``, which no JSON reader accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from userfiles.writing import OutputFile, PathLike

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode


class Journal:
    def __init__(self, path: str | Path | None, inputs: Iterable[PathLike | None] = ()) -> None:
        self.path = Path(path) if path is not None else None
        self.events = 0
        self._file: OutputFile | None = None
        self._out: IO[str] | None = None
        if self.path is not None:
            self._file = OutputFile(self.path, inputs, parents=True, buffering=1 << 16)
            self._out = self._file.stream

    def write(self, time: float, event: str, fields: dict[str, Any]) -> None:
        self.events += 1
        out = self._out
        if out is not None:
            rest = _dumps(fields)[1:] if fields else "}"
            try:
                out.write(f'{{"t":{time!r},"ev":"{event}"{"," if fields else ""}{rest}\n')
            except OSError as exc:
                self._out = None
                assert self._file is not None  # set with _out
                raise self._file.failed(exc) from None

    def close(self) -> None:
        """Complete the file and put it in place (an OutputError if that fails)."""
        self._out = None
        if self._file is not None:
            self._file.commit()

    def discard(self) -> None:
        """Give up the file: an old journal at the path stays as it was."""
        self._out = None
        if self._file is not None:
            self._file.discard()

"""Structured logs: one JSON object per line with the clock time, a level, the component and a message.

Every line passes a redactor before it is kept or written: any secret the log was told about (the
venue secret, the operator master key) is replaced by ``***`` wherever it appears, in the message or
in a field, so a careless caller cannot leak one. Time is the injected clock's, never the wall's.
The most recent ``keep`` lines stay in memory for whoever reads the log (an operator, a test); a
``sink`` receives each line as written (a file, stdout).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

LEVELS = ("debug", "info", "warning", "error")
REDACTED = "***"


class Clock(Protocol):
    def now(self) -> float: ...


class JsonLog:
    def __init__(
        self,
        clock: Clock,
        secrets: Iterable[str] = (),
        sink: Callable[[str], None] | None = None,
        keep: int = 100_000,
    ) -> None:
        self._clock = clock
        self._secrets: list[str] = []
        self._sink = sink
        self.lines: deque[str] = deque(maxlen=keep)
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` from every line written from now on (empty strings are ignored)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)  # a longer secret first, so no part of it survives

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def write(self, level: str, component: str, message: str, **fields: Any) -> str:
        """Log one line; returns it as kept (redacted)."""
        if level not in LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
        record = {"time": self._clock.now(), "level": level, "component": component, "message": message}
        record.update({k: v for k, v in fields.items() if k not in record})
        line = self.redact(json.dumps(record, default=str, sort_keys=False))
        self.lines.append(line)
        if self._sink is not None:
            self._sink(line)
        return line

    def info(self, component: str, message: str, **fields: Any) -> str:
        return self.write("info", component, message, **fields)

    def warning(self, component: str, message: str, **fields: Any) -> str:
        return self.write("warning", component, message, **fields)

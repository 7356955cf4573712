"""A behave formatter that says why each red scenario of an audited run went red.

One JSON line per scenario that failed or raised: its location, criteria, status, the first step
that went wrong and its message. For an assertion that is the assertion's message; for an
exception it is the exception and the last frame it passed through (a planted defect should fail an
assertion about the system, not crash the harness, and the reader of the audit must see which).
behave's own JSON formatter keeps no message for a step that raised, hence this formatter.
"""

from __future__ import annotations

import json
import re

from behave.formatter.base import Formatter

RED = frozenset(("failed", "error", "hook_error"))
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def why(error_message: str) -> str:
    """The line that says what went wrong, and for a traceback where it was raised."""
    lines = [line.strip() for line in error_message.splitlines() if line.strip()]
    asserted = [line for line in lines if line.startswith("ASSERT FAILED")]
    if asserted:
        return asserted[0]
    last = lines[-1] if lines else ""
    frames = _FRAME.findall(error_message)
    return f"{last} (raised at {frames[-1][0]}:{frames[-1][1]})" if frames else last


class FailureFormatter(Formatter):
    name = "audit-failures"
    description = "Why each red scenario went red, one JSON line per scenario."

    def __init__(self, stream_opener, config) -> None:  # noqa: ANN001 - behave's formatter API
        super().__init__(stream_opener, config)
        self.stream = self.open()
        self._scenarios: list[tuple[object, dict]] = []

    def scenario(self, scenario) -> None:  # noqa: ANN001
        self._scenarios.append((scenario, {}))

    def result(self, step) -> None:  # noqa: ANN001
        if not self._scenarios or step.status.name not in RED:
            return
        found = self._scenarios[-1][1]
        if not found:
            found["step"] = f"{step.keyword} {step.name}"
            found["message"] = why(step.error_message or "")[:400]

    def close(self) -> None:
        # Written at the end, when every scenario's status includes its after-hooks.
        for scenario, found in self._scenarios:
            status = scenario.status.name
            if status not in RED:
                continue
            tags = scenario.effective_tags
            record = {
                "location": str(scenario.location),
                "criteria": sorted(t.split(":", 1)[1] for t in tags if t.startswith("criterion:")),
                "status": status,
                "step": found.get("step", ""),
                "message": found.get("message", "a hook failed (no step did)"),
            }
            self.stream.write(json.dumps(record) + "\n")
        self._scenarios.clear()
        self.close_stream()

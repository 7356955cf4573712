"""A behave run whose selection holds no scenario is an error: it checked nothing."""

from __future__ import annotations

import subprocess
import sys


def test_an_empty_selection_fails(tmp_path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "behave",
            "--tags=@no-such-tag",
            "-f",
            "null",
            "-D",
            f"evidence={tmp_path}/e.jsonl",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "holds no scenario" in run.stdout + run.stderr

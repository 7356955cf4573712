"""The operating documents under docs/: their sections, and running every command they quote.

A command is quoted in a fenced block whose info string says how it is checked:

- ```` ```sh run ````: each line is run as written, in order, from the repository root, and must
  exit 0 within ``TIMEOUT`` seconds (a line ending in ``\\`` continues on the next);
- ```` ```sh dry-run ````: a ``make`` target too long for the tests (a certification, a report);
  ``make -n`` must accept it, so a renamed or removed target is caught.

Secrets are never written in the documents: the commands get them from the environment, which the
runner fills with the simulated exchange's credentials and a throwaway operator key, as an operator
would from a secret store. Any other fenced block that starts with ``sh`` is refused, so a command
cannot be quoted without being checked.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness.session import SECRET

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOCUMENTS = {
    "production deployment guide": "deployment-guide.md",
    "operations runbook": "operations-runbook.md",
    "security compliance notes": "security-compliance.md",
}
TIMEOUT = 120.0  # wall seconds one command may take
OUTPUT = ROOT / "build" / "ops"  # where the documents' commands write their files
_FENCE = re.compile(r"^```(.*)$")


@dataclass(frozen=True)
class Command:
    document: str  # file name under docs/
    line: int  # 1-based line of the command in the document
    kind: str  # "run" or "dry-run"
    text: str


@dataclass(frozen=True)
class Outcome:
    command: Command
    returncode: int
    seconds: float
    output: str  # the last lines of stdout and stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def sections(name: str) -> list[str]:
    """The second-level headings of document ``name`` (a key of DOCUMENTS), in lower case."""
    text = (DOCS / DOCUMENTS[name]).read_text(encoding="utf-8")
    return [line[3:].strip().lower() for line in text.splitlines() if line.startswith("## ")]


def commands(path: Path) -> list[Command]:
    """Every command quoted in ``path``; a shell block of another kind is refused by its line."""
    out: list[Command] = []
    kind: str | None = None
    pending, start = "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line.strip())
        if fence is not None:
            if kind is None:
                info = fence.group(1).split()
                if info and info[0] == "sh":
                    kind = " ".join(info[1:]) or "?"
                    if kind not in ("run", "dry-run"):
                        raise ValueError(
                            f"{path.name}:{number}: a sh block must be marked run or dry-run, not {kind!r}"
                        )
                else:
                    kind = "other"
            else:
                kind = None
            continue
        if kind in ("run", "dry-run") and line.strip() and not line.lstrip().startswith("#"):
            start = start or number
            pending += line.rstrip().removesuffix("\\") + (" " if line.rstrip().endswith("\\") else "")
            if not line.rstrip().endswith("\\"):
                out.append(Command(path.name, start, kind, " ".join(pending.split())))
                pending, start = "", 0
    return out


def all_commands() -> list[Command]:
    return [c for path in sorted(DOCS.glob("*.md")) for c in commands(path)]


def environment() -> dict[str, str]:
    """The process environment with the secrets an operator would take from the secret store."""
    return {
        **os.environ,
        "ALLUSE_VENUE_SECRET": SECRET,  # the simulated exchange's credential for the account
        "ALLUSE_OPERATOR_KEY": secrets.token_hex(16),
    }


def run(command: Command, env: dict[str, str]) -> Outcome:
    """Run one quoted command from the repository root (a dry-run one through ``make -n``)."""
    argv = shlex.split(command.text)
    if command.kind == "dry-run":
        if not argv or argv[0] != "make":
            return Outcome(command, 2, 0.0, f"a dry-run block holds make targets only, not {argv[:1]}")
        argv = ["make", "-n", *argv[1:]]
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Outcome(command, 127, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-5:])
    return Outcome(command, done.returncode, time.monotonic() - started, tail)


def run_all() -> list[Outcome]:
    """Run every quoted command, after removing what earlier runs wrote (``build/ops``), so a file a
    command reads was written by a command of this run. Runs in one checkout take turns (a lock
    file): two test runs at once would otherwise remove each other's files."""
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with (OUTPUT.parent / "ops.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(OUTPUT, ignore_errors=True)
        env = environment()
        return [run(command, env) for command in all_commands()]

"""The run-wide files of an Allure results folder: environment, executor and defect categories.

- ``environment.properties``: run seed, market profiles, commit, Python and package versions, and
  the host's reference speed (``bench/host.py``), so a reader can tell a slow host from slow code.
- ``executor.json``: what built the report (``make report``, CI or a developer's machine).
- ``categories.json``: sorts what did not pass into product defects, test defects, infrastructure
  and not built yet; the rules are those of ``allurerc.yaml`` (Allure 3 reads them there, Allure 2
  from this file).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml

from reports.certification import current_commit
from reports.results import load_evidence

PACKAGES = ("behave", "allure-behave", "simpy", "pyyaml", "tabulate")
CONFIG = Path(__file__).resolve().parent / "allurerc.yaml"  # the categories' one source


def categories() -> list[dict]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["categories"]


def host_reference(root: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(root / "bench" / "host.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout.strip().removeprefix("host reference: ") or "not measured"


def environment(root: Path, evidence: Path) -> dict[str, str]:
    records = load_evidence(evidence)
    seeds = sorted({str(r["run_seed"]) for r in records if "run_seed" in r})
    profiles = sorted(p.stem for p in (root / "simulator" / "profiles").glob("*.yaml"))
    env = {
        "run.seed": ", ".join(seeds) or "not recorded",
        "market.profiles": ", ".join(profiles) + " (each scenario names its own)",
        "commit": current_commit(root) or "unknown",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
    }
    for package in PACKAGES:
        try:
            env[f"package.{package}"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            env[f"package.{package}"] = "not installed"
    env["host.reference"] = host_reference(root)
    return env


def executor() -> dict:
    in_ci = os.environ.get("CI") == "true"
    return {
        "name": "CI (.ci/run)" if in_ci else f"make report on {platform.node()}",
        "type": "ci" if in_ci else "local",
        "reportName": "ALL-USE WS4-P6 certification",
    }


def write_all(results: Path, root: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    env = environment(root, root / "reports" / "evidence.jsonl")
    lines = [f"{key}={value}" for key, value in env.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (results / "executor.json").write_text(json.dumps(executor(), indent=2) + "\n", encoding="utf-8")
    (results / "categories.json").write_text(json.dumps(categories(), indent=2) + "\n", encoding="utf-8")

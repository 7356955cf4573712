"""behave hooks: seeds every scenario, collects its evidence and closes its simulated session.

A failing scenario prints its seed and the command that reruns it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import allure

from harness.evidence import Evidence, append_record
from simulator.rng import derive_seed

EVIDENCE = Path("reports/evidence.jsonl")


def before_all(context):
    context.base_seed = int(context.config.userdata.get("seed", "20261125"))
    EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
    EVIDENCE.write_text("")


def before_scenario(context, scenario):
    context.seed = derive_seed(context.base_seed, f"{scenario.feature.name}/{scenario.name}") % 2**31
    context.evidence = Evidence()
    context.closers = []


def after_scenario(context, scenario):
    for close in reversed(context.closers):
        close()
    criteria = sorted(t.split(":", 1)[1] for t in scenario.effective_tags if t.startswith("criterion:"))
    record = {
        "feature": scenario.feature.name,
        "scenario": scenario.name,
        "location": str(scenario.location),
        "criteria": criteria,
        "status": scenario.status.name,
        "seed": context.seed,
        **context.evidence.as_dict(),
    }
    append_record(EVIDENCE, record)
    if context.evidence.figures or context.evidence.tables:
        allure.attach(
            json.dumps(context.evidence.as_dict(), indent=2),
            name="measured figures",
            attachment_type=allure.attachment_type.JSON,
        )
    if scenario.status.name == "failed":
        print(
            f"\n  seed {context.seed} (run seed {context.base_seed}); rerun with:\n"
            f"    .venv/bin/behave -D seed={context.base_seed} {scenario.location}\n",
            file=sys.stderr,
        )

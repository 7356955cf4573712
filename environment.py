"""behave hooks: seeds every scenario, collects its evidence and closes its simulated session.

A failing scenario prints its seed and the command that reruns it. What a scenario opens is closed
by behave's ``context.add_cleanup``, so one failing close does not skip the others. The evidence
file is ``reports/evidence.jsonl`` unless ``-D evidence=PATH`` names another (the audit runs many
selections side by side). A run whose selection holds no scenario is an error, not a pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

import allure

from harness.evidence import Evidence, append_record
from reports.allure_scenario import failure_note, figures_csv, label_feature, session_journal, table_csv
from simulator.rng import derive_seed

EVIDENCE = Path("reports/evidence.jsonl")


def before_all(context):
    userdata = context.config.userdata
    context.base_seed = int(userdata.get("seed", "20261125"))
    context.evidence_path = Path(userdata.get("evidence", str(EVIDENCE)))
    context.evidence_path.parent.mkdir(parents=True, exist_ok=True)
    context.evidence_path.write_text("")
    context.tally = {"scenarios": 0}  # a dict: an attribute set in a scenario is dropped after it


def before_feature(context, feature):
    label_feature(feature)  # Allure's epic, story, severity and plan link, from the register


def before_scenario(context, scenario):
    context.seed = derive_seed(context.base_seed, f"{scenario.feature.name}/{scenario.name}") % 2**31
    context.evidence = Evidence()
    context.tally["scenarios"] += 1


def after_scenario(context, scenario):
    criteria = sorted(t.split(":", 1)[1] for t in scenario.effective_tags if t.startswith("criterion:"))
    # behave 1.3 reports a scenario with an undefined step as "error"; it did not run, it is not built.
    undefined = any(step.status.name == "undefined" for step in scenario.all_steps)
    record = {
        "feature": scenario.feature.name,
        "scenario": scenario.name,
        "location": str(scenario.location),
        "criteria": criteria,
        "status": "undefined" if undefined else scenario.status.name,
        "seed": context.seed,
        "run_seed": context.base_seed,
        **context.evidence.as_dict(),
    }
    append_record(context.evidence_path, record)
    if context.evidence.figures:
        figures = context.evidence.as_dict()["figures"]
        allure.attach(
            figures_csv(figures), name="measured figures", attachment_type=allure.attachment_type.CSV
        )
    for name, rows in context.evidence.tables.items():
        allure.attach(table_csv(rows), name=name, attachment_type=allure.attachment_type.CSV)
    if scenario.status.name in ("failed", "error") and not undefined:
        note = failure_note(context.seed, context.base_seed, str(scenario.location), session_journal(context))
        allure.attach(
            note, name="seed, rerun command, journal tail", attachment_type=allure.attachment_type.TEXT
        )
        print(f"\n  {note.splitlines()[0]}\n    {note.splitlines()[1]}\n", file=sys.stderr)


def after_all(context):
    if context.tally["scenarios"] == 0 and not context.config.dry_run:
        raise RuntimeError("the selection holds no scenario; a run that checks nothing cannot pass")

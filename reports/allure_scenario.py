"""What the behave hooks give Allure for each scenario: plan labels, a table of figures, failure notes.

Labels come from the register (``plan.yaml``), not from hand-written tags in every feature file:
before a feature runs, each scenario gets the tags allure-behave reads (``allure.label.epic:`` the
plan phase, ``allure.label.story:`` the criterion id, a severity by the criterion's weight, and
``allure.link.<id>:`` its plan section), so moving a criterion in ``plan.yaml`` moves it in the
report. The feature label is behave's own: the feature file's title, one plan area per file.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from reports.register import Register, load_register
from reports.results import criteria_of

RIG_EPIC = "The simulated exchange (test rig)"
JOURNAL_TAIL = 40


@lru_cache(maxsize=1)
def _register() -> Register:
    return load_register()


def plan_url(register: Register, anchor: str) -> str:
    """The plan's section, relative to the HTML report (reports/allure-report/index.html)."""
    return f"../../{register.plan}#{anchor}"


def plan_tags(criteria: tuple[str, ...], register: Register) -> list[str]:
    known = [register[cid] for cid in criteria if cid in register.ids]
    if not known:
        return [f"allure.label.epic:{RIG_EPIC}"]
    tags = [f"allure.label.epic:{c.phase}" for c in known]
    tags += [f"allure.label.story:{c.id}" for c in known]
    tags.append(max(known, key=lambda c: c.weight).severity)
    for c in known:
        name = c.section.replace(".", " ").replace(":", " ")
        tags.append(f"allure.link.{c.id} {name}:{plan_url(register, c.anchor)}")
    return list(dict.fromkeys(tags))


def label_feature(feature) -> None:
    """Give every scenario of a behave feature (outline rows included) its plan tags."""
    register = _register()
    for scenario in feature.walk_scenarios():
        scenario.tags.extend(plan_tags(criteria_of(scenario.effective_tags), register))


def figures_csv(figures: list[dict]) -> str:
    """The measured figures as a CSV table (Allure shows CSV attachments as tables)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "value", "unit", "target", "samples", "met", "how it was measured"])
    for f in figures:
        value = "not measured" if f["value"] is None else f"{f['value']:.6g}"
        n = "" if f.get("samples") is None else f["samples"]
        if f["value"] is None and f.get("least") is not None:
            n = f"{n or 0} (at least {f['least']} needed)"
        writer.writerow(
            [f["name"], value, f["unit"], f["target"], n, "yes" if f["passed"] else "no", f["method"]]
        )
    return out.getvalue()


def table_csv(rows: list[dict]) -> str:
    """A table the scenario recorded (a list of rows with the same keys), as CSV."""
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def session_journal(context) -> Path | None:
    """The exchange journal file of the scenario's trading session, when its session kept one."""
    session = getattr(context, "trading", None)
    spec = getattr(session, "spec", None)
    return getattr(spec, "journal", None)


def failure_note(seed: int, base_seed: int, location: str, journal: Path | None) -> str:
    """The seed, the command that reruns just this scenario, and the tail of the exchange journal."""
    lines = [
        f"scenario seed: {seed} (derived from run seed {base_seed})",
        f"rerun: .venv/bin/behave -D seed={base_seed} {location}",
    ]
    if journal is not None and journal.exists():
        tail = journal.read_text(encoding="utf-8").splitlines()[-JOURNAL_TAIL:]
        lines += ["", f"last {len(tail)} events of the exchange journal {journal}:", *tail]
    else:
        lines += ["", "exchange journal: none kept by this scenario's session"]
    return "\n".join(lines) + "\n"

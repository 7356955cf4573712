"""The register: a faithful copy of the plan's criteria, every id carried by a scenario, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reports.register import CRITERIA, SHARED_CRITERIA, RegisterError, load_register
from reports.results import planned_scenarios

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    not SHARED_CRITERIA.exists(), reason=f"the shared plan is not beside this clone ({SHARED_CRITERIA})"
)
def test_the_register_is_a_byte_identical_copy_of_the_shared_plan():
    assert CRITERIA.read_bytes() == SHARED_CRITERIA.read_bytes(), (
        f"{CRITERIA} differs from {SHARED_CRITERIA}: copy the shared file again"
    )


def test_every_register_id_is_placed_in_a_phase_with_a_weight():
    register = load_register()
    assert len(register.ids) == 64
    assert len(register.phases) == 4
    assert {c.weight for c in register.criteria} <= {1, 2, 3}
    assert [c.id for c in register.criteria if c.kind == "attestation"] == ["P4-TEAM-READINESS"]


def test_every_register_id_is_carried_by_a_scenario():
    carried = {cid for p in planned_scenarios(ROOT / "features", ROOT) for cid in p.criteria}
    missing = sorted(set(load_register().ids) - carried)
    assert not missing, f"no scenario tagged @criterion: for {', '.join(missing)}"


def test_every_criterion_tag_names_a_register_id():
    ids = set(load_register().ids)
    unknown = sorted(
        f"{p.location} @criterion:{cid}"
        for p in planned_scenarios(ROOT / "features", ROOT)
        for cid in p.criteria
        if cid not in ids
    )
    assert not unknown, f"tags naming no register id: {', '.join(unknown)}"


def test_pending_scenarios_have_an_undefined_step_so_they_show_as_not_run():
    """A feature tagged @pending describes what is not built yet: its scenarios show as not run (an
    undefined step) and never pass or fail by accident. (A @pending Examples table inside a built
    feature is different: its rows run and fail until the component exists.)"""
    from behave.parser import parse_file
    from behave.runner_util import load_step_modules
    from behave.step_registry import registry

    load_step_modules([str(ROOT / "steps")])
    pending = []
    for path in sorted((ROOT / "features").rglob("*.feature")):
        feature = parse_file(str(path))
        if "pending" in feature.tags:
            pending += list(feature.walk_scenarios())
    runnable = [str(s.location) for s in pending if all(registry.find_match(step) for step in s.all_steps)]
    assert not runnable, f"@pending scenarios whose steps are all implemented: {', '.join(runnable)}"


def _write_register(tmp_path: Path, ids: list[str]) -> Path:
    entries = [{"id": cid, "source": "s", "target": "t", "evidence": "e"} for cid in ids]
    path = tmp_path / "criteria.yaml"
    path.write_text(yaml.safe_dump({"criteria": entries}))
    return path


def _write_map(tmp_path: Path, ids: list[str]) -> Path:
    plan = {
        "plan": "plan.md",
        "phases": [
            {
                "name": "P",
                "section": "p",
                "areas": [{"name": "A", "criteria": [{"id": c, "weight": 2} for c in ids]}],
            }
        ],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def test_a_criterion_without_a_place_in_the_plan_map_is_refused_by_name(tmp_path):
    with pytest.raises(RegisterError, match="no phase, area or weight for B-2"):
        load_register(_write_register(tmp_path, ["A-1", "B-2"]), _write_map(tmp_path, ["A-1"]))


def test_a_placed_id_that_is_not_in_the_register_is_refused_by_name(tmp_path):
    with pytest.raises(RegisterError, match="C-3 not in criteria.yaml"):
        load_register(_write_register(tmp_path, ["A-1"]), _write_map(tmp_path, ["A-1", "C-3"]))

"""The audit's own logic: the catalogue is well formed and names criteria the features carry, every
defect plants and is put back, and what counts as caught, survived, timed out or void."""

from __future__ import annotations

import json
import re

import pytest

from audit.defects import CATALOGUE, MISSING, NAME, Planter, by_name, planted
from audit.failures import why
from audit.report import build, passed, table
from audit.run_one import behave_config, tag_expression
from audit.runner import (
    BROKEN,
    CAUGHT,
    NOT_RAN,
    ROOT,
    SURVIVED,
    TIMED_OUT,
    Job,
    Outcome,
    baseline_jobs,
    baseline_problems,
    criteria_by_feature,
    failure_messages,
    jobs_for,
    judge,
    red_baseline_parts,
    sources_fingerprint,
)


def tagged_criteria() -> set[str]:
    found: set[str] = set()
    for feature in (ROOT / "features").rglob("*.feature"):
        found.update(re.findall(r"@criterion:(\S+)", feature.read_text()))
    return found


# --- the catalogue --------------------------------------------------------------------------------------


def test_the_catalogue_holds_at_least_25_named_defects():
    names = [d.name for d in CATALOGUE]
    assert len(names) >= 25
    assert len(set(names)) == len(names), "two defects share a name"
    for d in CATALOGUE:
        assert NAME.match(d.name), f"{d.name!r} is not a lower-case hyphenated name"
        assert d.description.strip() and "\n" not in d.description, f"{d.name}: not a one-line description"
        assert d.criteria, f"{d.name} names no criterion to turn red"
        assert len(set(d.criteria)) == len(d.criteria), f"{d.name} names a criterion twice"


def test_every_criterion_a_defect_names_is_tagged_in_the_features():
    tagged = tagged_criteria()
    for d in CATALOGUE:
        missing = set(d.criteria) - tagged
        assert not missing, f"{d.name} names criteria no scenario carries: {sorted(missing)}"


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda d: d.name)
def test_each_defect_changes_the_system_and_is_put_back(entry):
    with planted(entry) as planter:
        replaced = planter.replaced
        assert replaced, f"{entry.name} replaced nothing: it could never be caught"
        for owner, name, before in replaced:
            assert vars(owner).get(name, MISSING) is not before, f"{entry.name}: {name} unchanged"
    first: dict[tuple[int, str], tuple[object, str, object]] = {}
    for owner, name, before in replaced:
        first.setdefault((id(owner), name), (owner, name, before))  # a second wrap sees the first
    for owner, name, before in first.values():
        assert vars(owner).get(name, MISSING) is before, f"{entry.name}: {name} not restored"


def test_an_unknown_defect_is_refused_by_name():
    with pytest.raises(KeyError, match="no defect called 'nope'"):
        by_name("nope")


class _Thing:
    def twice(self, x):
        return 2 * x

    def fails(self):
        raise AttributeError("the system's own error")


def test_a_defect_whose_own_code_fails_is_reported_broken_but_the_systems_errors_are_not():
    planter = Planter()
    planter.wrap(_Thing, "twice", lambda original, thing, x: thing.no_such_attribute)
    planter.wrap(_Thing, "fails", lambda original, thing: original(thing))
    try:
        with pytest.raises(AttributeError):
            _Thing().twice(1)
        with pytest.raises(AttributeError):
            _Thing().fails()
    finally:
        planter.restore()
    assert len(planter.broken) == 1 and planter.broken[0].startswith("twice: AttributeError")
    assert _Thing().twice(2) == 4


def test_planting_an_attribute_that_does_not_exist_is_refused():
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        Planter().set(_Thing, "missing", None)


# --- selecting and running ------------------------------------------------------------------------------


def test_the_tag_expression_selects_any_of_the_criteria():
    assert tag_expression(["A", "B-C"]) == "@criterion:A or @criterion:B-C"
    with pytest.raises(ValueError):
        tag_expression([])


def test_the_behave_run_replaces_the_configured_formatters(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    config = behave_config(["P2-WORKFLOW"], tmp_path / "e.jsonl", tmp_path / "d.json", 7)
    assert config.format == ["audit.failures:FailureFormatter"], "behave.ini's Allure formatter would write"
    assert [o.name for o in config.outputs] == [str(tmp_path / "d.json")]
    assert "format" not in config.defaults
    assert config.userdata["evidence"] == str(tmp_path / "e.jsonl")
    assert config.userdata["seed"] == "7"


def test_the_baseline_runs_each_feature_file_on_the_defects_criteria_and_the_slowest_run_starts_first():
    defects = [by_name("reconnect-replays-logon"), by_name("depth-off-by-one")]
    by_feature = {
        "features/a/x.feature": {"BASE-MD-THROUGHPUT", "OTHER"},
        "features/y.feature": {"P2-ERROR-HANDLING", "SYS-ERROR-RECOVERY"},
        "features/z.feature": {"OTHER"},
    }
    jobs = jobs_for(defects, {"depth-off-by-one": 9.0, "baseline-y": 5.0}, by_feature)
    assert [j.name for j in jobs][:2] == ["depth-off-by-one", "baseline-y"]
    base = {j.name: j for j in jobs if j.is_baseline}
    assert base == {
        "baseline-a-x": Job("baseline-a-x", None, ("BASE-MD-THROUGHPUT",), ("features/a/x.feature",)),
        "baseline-y": Job(
            "baseline-y", None, ("P2-ERROR-HANDLING", "SYS-ERROR-RECOVERY"), ("features/y.feature",)
        ),
    }
    assert {j.name for j in jobs if not j.is_baseline} == {d.name for d in defects}


def test_every_criterion_of_the_catalogue_has_a_baseline_run():
    union = {c for d in CATALOGUE for c in d.criteria}
    covered = {c for j in baseline_jobs(union, criteria_by_feature()) for c in j.criteria}
    assert covered == union


# --- verdicts -------------------------------------------------------------------------------------------


def rec(status, *criteria):
    return {"criteria": list(criteria), "status": status}


def test_caught_needs_every_named_criterion_red():
    records = [rec("failed", "A"), rec("passed", "B"), rec("error", "C")]
    assert judge(["A", "C"], records).verdict == CAUGHT
    partly = judge(["A", "B"], records)
    assert partly.verdict == SURVIVED and partly.red == ("A",)
    assert judge(["B"], records + [rec("passed", "B")]).verdict == SURVIVED


def test_a_criterion_red_in_any_of_its_scenarios_is_red():
    assert judge(["A"], [rec("passed", "A"), rec("hook_error", "A")]).red == ("A",)


def test_a_named_criterion_without_a_scenario_run_is_not_run():
    judgement = judge(["A", "B"], [rec("passed", "A"), rec("skipped", "B")])
    assert judgement.verdict == NOT_RAN and judgement.not_run == ("B",)


def test_a_time_limit_or_a_broken_defect_is_never_a_catch():
    records = [rec("failed", "A")]
    assert judge(["A"], records, timed_out=True).verdict == TIMED_OUT
    assert judge(["A"], records, broken=True).verdict == BROKEN


def test_a_baseline_with_a_red_or_unrun_criterion_voids_the_audit():
    assert baseline_problems(judge(["A"], [rec("passed", "A")])) == []
    assert baseline_problems(judge(["A"], [rec("failed", "A")])) == ["red without any defect: A"]
    assert baseline_problems(judge(["A", "B"], [rec("passed", "A")])) == ["no scenario ran for: B"]


def test_the_first_failing_step_says_why_a_criterion_went_red(tmp_path):
    records = [
        {
            "location": "f:3",
            "criteria": ["A"],
            "status": "failed",
            "step": "Then x",
            "message": "ASSERT FAILED: low",
        },
        {"location": "f:9", "criteria": ["A", "B"], "status": "error", "step": "When y", "message": "boom"},
    ]
    path = tmp_path / "failures.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert failure_messages(path) == {"A": "f:3: Then x: ASSERT FAILED: low", "B": "f:9: When y: boom"}
    assert failure_messages(tmp_path / "absent.jsonl") == {}


def test_a_failure_is_told_by_its_assertion_or_by_the_exception_and_where_it_was_raised():
    assert why("Traceback ...\nASSERT FAILED: too slow\n") == "ASSERT FAILED: too slow"
    trace = "Traceback (most recent call last):\n  File \"steps/x.py\", line 7, in f\nKeyError: 'k'\n"
    assert why(trace) == "KeyError: 'k' (raised at steps/x.py:7)"


def test_the_report_counts_catches_and_fails_on_a_survivor_or_a_void_baseline():
    a, b = by_name("depth-off-by-one"), by_name("reconnect-replays-logon")
    jobs = {j.name: j for j in jobs_for([a, b])}
    base = Job("baseline-x", None, tuple(sorted({*a.criteria, *b.criteria})), ("features/x.feature",))
    outcomes = {
        base.name: Outcome(base, [rec("passed", c) for c in base.criteria], seconds=3.0),
        a.name: Outcome(jobs[a.name], [rec("failed", *a.criteria)], seconds=1.0),
        b.name: Outcome(jobs[b.name], [rec("passed", *b.criteria)], seconds=2.0),
    }
    result = build([a, b], outcomes, seed=5, workers=2, wall_seconds=4.0)
    assert (result["planted"], result["caught"], result["seed"], result["void"]) == (2, 1, 5, False)
    assert {"name", "description", "criteria", "red", "verdict", "seconds"} <= set(result["defects"][0])
    assert [r["verdict"] for r in result["defects"]] == [CAUGHT, SURVIVED]
    assert not passed(result)
    assert "depth-off-by-one" in table(result)
    outcomes[b.name] = Outcome(jobs[b.name], [rec("failed", *b.criteria)])
    assert passed(build([a, b], outcomes, 5, 2, 4.0))
    outcomes[base.name].records[0]["status"] = "failed"
    void = build([a, b], outcomes, 5, 2, 4.0)
    assert void["void"] and not passed(void)


def test_a_source_changed_while_the_audit_ran_voids_it(tmp_path):
    source = tmp_path / "system" / "x.py"
    source.parent.mkdir()
    source.write_text("a = 1\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "audit.json").write_text("{}")  # a run product, not a source
    before = sources_fingerprint(tmp_path)
    (tmp_path / "reports" / "audit.json").write_text('{"planted": 1}')
    assert sources_fingerprint(tmp_path) == before
    source.write_text("a = 2  # edited by a colleague meanwhile\n")
    assert sources_fingerprint(tmp_path) != before

    a = by_name("depth-off-by-one")
    base = Job("baseline-x", None, a.criteria, ("features/x.feature",))
    outcomes = {
        base.name: Outcome(base, [rec("passed", *a.criteria)]),
        a.name: Outcome(Job(a.name, a.name, a.criteria), [rec("failed", *a.criteria)]),
    }
    assert passed(build([a], outcomes, 5, 2, 1.0))
    changed = build([a], outcomes, 5, 2, 1.0, sources_changed=True)
    assert changed["void"] and not passed(changed)


def test_only_baseline_parts_red_without_a_defect_are_run_again_alone() -> None:
    green = Job("baseline-a", None, ("P2-WORKFLOW",), ("features/a.feature",))
    red = Job("baseline-b", None, ("P2-LOAD-CONDITIONS",), ("features/b.feature",))
    planted = Job("some-defect", "some-defect", ("P2-LOAD-CONDITIONS",))
    outcomes = {
        green.name: Outcome(green, [rec("passed", "P2-WORKFLOW")]),
        red.name: Outcome(red, [rec("failed", "P2-LOAD-CONDITIONS")]),
        planted.name: Outcome(planted, [rec("failed", "P2-LOAD-CONDITIONS")]),
    }
    assert red_baseline_parts(outcomes) == [red]

"""Honesty of the certification: a failure lowers the score and the grade and closes the gate; what did
not run is "not run", never passed; an attestation counts only when a listed signer signed it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from reports.__main__ import main
from reports.attestations import NAMESPACE, SIGNERS, Verdict, canonical_text, judge
from reports.certification import certify, grade_of
from reports.register import load_register
from reports.render import human
from reports.results import Planned

REGISTER = load_register()
TEAM = "P4-TEAM-READINESS"


def planned_all() -> list[Planned]:
    """One scenario per register id, as if the feature files held exactly that."""
    return [
        Planned(f"features/x.feature:{n}", "X", f"proves {cid}", (cid,), frozenset({f"criterion:{cid}"}))
        for n, cid in enumerate(REGISTER.ids, 1)
    ]


def record(p: Planned, status: str = "passed", figures: list[dict] | None = None) -> dict:
    return {
        "feature": p.feature,
        "scenario": p.name,
        "location": p.location,
        "criteria": list(p.criteria),
        "status": status,
        "seed": 1,
        "run_seed": 7,
        "figures": figures or [],
        "tables": {},
    }


def attested(yes: bool = True) -> dict[str, Verdict]:
    return {TEAM: Verdict(TEAM, yes, "signed by test" if yes else "no attestation file")}


def all_passed() -> list[dict]:
    return [record(p) for p in planned_all()]


def test_every_criterion_passed_and_attested_is_gold_and_approved():
    cert = certify(REGISTER, planned_all(), all_passed(), attested())
    assert (cert.score, cert.grade, cert.approved, cert.blockers) == (100.0, "GOLD", True, ())
    assert cert.seed == 7


@pytest.mark.parametrize("cid", ["BASE-TRADING-ERRORS", "P2-DATA-FLOW", "DEL-OPERATIONS"])
def test_one_failed_criterion_lowers_the_score_and_the_grade_and_blocks_approval(cid):
    records = [record(p, "failed" if cid in p.criteria else "passed") for p in planned_all()]
    cert = certify(REGISTER, planned_all(), records, attested())
    result = next(r for r in cert.results if r.criterion.id == cid)
    assert result.status == "failed"
    assert cert.score < 100.0
    assert cert.grade == "SILVER"
    assert not cert.approved
    assert any(b.startswith(f"{cid} failed") for b in cert.blockers)


def test_an_error_in_a_step_counts_as_failed():
    records = [record(p, "error" if "P2-WORKFLOW" in p.criteria else "passed") for p in planned_all()]
    cert = certify(REGISTER, planned_all(), records, attested())
    assert next(r for r in cert.results if r.criterion.id == "P2-WORKFLOW").status == "failed"


def test_a_criterion_without_a_result_is_not_run_and_earns_nothing():
    records = [r for r in all_passed() if "P2-DATA-FLOW" not in r["criteria"]]
    cert = certify(REGISTER, planned_all(), records, attested())
    result = next(r for r in cert.results if r.criterion.id == "P2-DATA-FLOW")
    assert result.status == "not run"
    assert "no result" in result.reason
    assert cert.score < 100.0 and not cert.approved


def test_a_criterion_no_scenario_carries_is_listed_as_not_run():
    planned = [p for p in planned_all() if "BASE-METRICS" not in p.criteria]
    records = [record(p) for p in planned]
    cert = certify(REGISTER, planned, records, attested())
    result = next(r for r in cert.results if r.criterion.id == "BASE-METRICS")
    assert (result.status, result.reason) == ("not run", "no scenario carries it")
    assert len(cert.results) == len(REGISTER.ids)


@pytest.mark.parametrize("status", ["skipped", "undefined", "untested", "pending"])
def test_a_scenario_that_did_not_run_makes_its_criterion_not_run(status):
    records = [record(p, status if "BASE-CACHE-HIT" in p.criteria else "passed") for p in planned_all()]
    cert = certify(REGISTER, planned_all(), records, attested())
    assert next(r for r in cert.results if r.criterion.id == "BASE-CACHE-HIT").status == "not run"


def test_one_passing_scenario_does_not_hide_another_that_did_not_run():
    planned = planned_all() + [
        Planned("features/y.feature:3", "Y", "row 2", ("BASE-CACHE-HIT",), frozenset())
    ]
    cert = certify(REGISTER, planned, all_passed(), attested())
    assert next(r for r in cert.results if r.criterion.id == "BASE-CACHE-HIT").status == "not run"


def test_an_unattested_team_is_not_attested_and_blocks_approval_though_every_scenario_passed():
    cert = certify(REGISTER, planned_all(), all_passed(), attested(False))
    result = next(r for r in cert.results if r.criterion.id == TEAM)
    assert result.status == "not attested"
    assert not cert.approved
    assert cert.score < 100.0


def test_the_score_weighs_criteria_and_leaves_the_verdicts_out():
    failed = "OBJ-E2E"  # weight 3
    records = [record(p, "failed" if failed in p.criteria else "passed") for p in planned_all()]
    cert = certify(REGISTER, planned_all(), records, attested())
    scored = [c for c in REGISTER.criteria if c.scored]
    total = sum(c.weight for c in scored)
    assert cert.score == round(100.0 * (total - 3) / total, 1)
    # A verdict that did not run changes approval but not the score.
    verdict_missing = [r for r in all_passed() if "OBJ-GOLD" not in r["criteria"]]
    cert = certify(REGISTER, planned_all(), verdict_missing, attested())
    assert cert.score == 100.0 and not cert.approved


@pytest.mark.parametrize(
    ("score", "failures", "grade"),
    [
        (100.0, 0, "GOLD"),
        (95.0, 0, "GOLD"),
        (99.0, 1, "SILVER"),
        (94.9, 0, "SILVER"),
        (85.8, 0, "SILVER"),
        (85.7, 0, "BRONZE"),
        (70.0, 0, "BRONZE"),
        (69.9, 0, "NOT CERTIFIED"),
        (0.0, 0, "NOT CERTIFIED"),
    ],
)
def test_grade_bands(score, failures, grade):
    assert grade_of(score, failures) == grade


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (98.24543189368771, "%", "98.2%"),
        (349123.4, "updates/s", "349,123 updates/s"),
        (0.0035412, "ms", "0.00354 ms"),
        (4.3012, "ms", "4.3 ms"),
        (0.0, "%", "0%"),
        (None, "ms", "not measured"),
    ],
)
def test_figures_are_rounded_for_people(value, unit, text):
    assert human(value, unit) == text


# --- the command: files written and the exit code --------------------------------------------------


def write_run(tmp_path: Path, statuses: dict[str, str]) -> tuple[Path, Path]:
    """A features folder with one scenario per register id, and an evidence file of their results."""
    features = tmp_path / "features"
    features.mkdir()
    lines = ["Feature: Every criterion", ""]
    for cid in REGISTER.ids:
        lines += [f"  @criterion:{cid}", f"  Scenario: proves {cid}", "    Then it holds", ""]
    (features / "all.feature").write_text("\n".join(lines))
    evidence = tmp_path / "evidence.jsonl"
    with evidence.open("w") as out:
        for n, cid in enumerate(REGISTER.ids):
            location = f"features/all.feature:{4 + 4 * n}"
            status = statuses.get(cid, "passed")
            if status != "absent":
                p = Planned(location, "Every criterion", f"proves {cid}", (cid,), frozenset())
                out.write(json.dumps(record(p, status)) + "\n")
    return features, evidence


def certify_command(tmp_path: Path, features: Path, evidence: Path, attestations: Path) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        [
            "certify",
            "--evidence",
            str(evidence),
            "--features",
            str(features),
            "--attestations",
            str(attestations),
            "--audit",
            str(tmp_path / "audit.json"),
            "--campaign",
            str(tmp_path / "campaign.json"),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    return code, json.loads((out / "certification.json").read_text())


def test_the_command_exits_non_zero_and_says_why_when_one_criterion_failed(tmp_path):
    features, evidence = write_run(tmp_path, {"P2-WORKFLOW": "failed", "BASE-METRICS": "absent"})
    code, data = certify_command(tmp_path, features, evidence, tmp_path / "no-attestations")
    assert code == 1
    assert data["approved"] is False and data["grade"] == "SILVER"
    status = {c["id"]: c["status"] for c in data["criteria"]}
    assert (status["P2-WORKFLOW"], status["BASE-METRICS"], status[TEAM]) == (
        "failed",
        "not run",
        "not attested",
    )
    assert len(data["criteria"]) == 64
    md = (tmp_path / "out" / "certification.md").read_text()
    approval = md.split("(DEL-GOLIVE-APPROVAL)")[1]
    assert "P2-WORKFLOW failed" in approval and "BASE-METRICS not run" in approval and TEAM in approval


def test_the_command_refuses_to_certify_an_empty_run(tmp_path, capsys):
    features, _ = write_run(tmp_path, {})
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert (
        main(["certify", "--evidence", str(empty), "--features", str(features), "--out", str(tmp_path)]) == 2
    )
    assert "no scenario recorded" in capsys.readouterr().err


def test_the_command_names_the_line_of_a_malformed_evidence_file(tmp_path, capsys):
    features, evidence = write_run(tmp_path, {})
    evidence.write_text(evidence.read_text() + "{not json\n")
    assert (
        main(["certify", "--evidence", str(evidence), "--features", str(features), "--out", str(tmp_path)])
        == 2
    )
    assert f"{evidence}:65: not a JSON line" in capsys.readouterr().err


def test_the_command_quotes_the_audit(tmp_path):
    features, evidence = write_run(tmp_path, {})
    audit = {
        "planted": 3,
        "caught": 2,
        "defects": [
            {
                "name": "lost-fill",
                "description": "a fill lost",
                "criteria": ["P2-WORKFLOW"],
                "red": [],
                "verdict": "survived",
            }
        ],
    }
    (tmp_path / "audit.json").write_text(json.dumps(audit))
    certify_command(tmp_path, features, evidence, tmp_path / "none")
    md = (tmp_path / "out" / "certification.md").read_text()
    assert "2 of 3 planted defects caught" in md and "lost-fill" in md


def test_the_command_quotes_a_campaign_without_counting_it(tmp_path):
    features, evidence = write_run(tmp_path, {"P2-WORKFLOW": "failed"})
    campaign = {
        "seeds": list(range(1, 21)),
        "target": 0.95,
        "interval": "Wilson score, 95% two-sided",
        "certified_with_confidence": [],
        "flaky": ["P2-WORKFLOW"],
        "criteria": [{"id": "P2-WORKFLOW"}, {"id": "BASE-CACHE-HIT"}],
    }
    (tmp_path / "campaign.json").write_text(json.dumps(campaign))
    _, with_campaign = certify_command(tmp_path, features, evidence, tmp_path / "none")
    md = (tmp_path / "out" / "certification.md").read_text()
    assert "20 run seeds; 0 of 2 criteria certified with confidence" in md and "flaky: P2-WORKFLOW" in md
    (tmp_path / "campaign.json").unlink()
    _, without = certify_command(tmp_path, features, evidence, tmp_path / "none")
    assert with_campaign["score"] == without["score"] and without["campaign"] is None


# --- attestations ----------------------------------------------------------------------------------

STATEMENT = {
    "who": "ops.lead@alluse.example",
    "role": "operations lead",
    "date": "2026-12-01",
    "criteria": [TEAM],
    "statement": "The operations team has been trained on the runbooks and is ready.",
}


def test_no_attestation_file_means_not_attested(tmp_path):
    verdict = judge([TEAM], tmp_path)[TEAM]
    assert not verdict.attested and "no attestation file" in verdict.reason


def test_an_unsigned_attestation_is_not_attested(tmp_path):
    (tmp_path / "team.yaml").write_text(yaml.safe_dump(STATEMENT))
    verdict = judge([TEAM], tmp_path)[TEAM]
    assert not verdict.attested and "no signature" in verdict.reason


needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed"
)


def signer(tmp_path: Path, who: str) -> Path:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(key)], check=True)
    return key


def sign(key: Path, fields: dict) -> str:
    done = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", NAMESPACE],
        input=canonical_text(fields).encode(),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


@needs_ssh_keygen
def test_a_statement_signed_by_a_listed_signer_is_attested_and_an_edited_one_is_not(tmp_path):
    folder = tmp_path / "attestations"
    folder.mkdir()
    key = signer(tmp_path, STATEMENT["who"])
    (folder / SIGNERS).write_text(f"{STATEMENT['who']} {key.with_suffix('.pub').read_text()}")
    signed = {**STATEMENT, "signature": sign(key, STATEMENT)}
    (folder / "team.yaml").write_text(yaml.safe_dump(signed))
    assert judge([TEAM], folder)[TEAM].attested

    (folder / "team.yaml").write_text(yaml.safe_dump({**signed, "date": "2026-12-02"}))
    verdict = judge([TEAM], folder)[TEAM]
    assert not verdict.attested and "signature not valid" in verdict.reason


@needs_ssh_keygen
def test_a_statement_signed_by_someone_not_listed_is_not_attested(tmp_path):
    folder = tmp_path / "attestations"
    folder.mkdir()
    (tmp_path / "listed").mkdir()
    (tmp_path / "stranger").mkdir()
    listed = signer(tmp_path / "listed", STATEMENT["who"])
    stranger = signer(tmp_path / "stranger", "someone@else.example")
    (folder / SIGNERS).write_text(f"{STATEMENT['who']} {listed.with_suffix('.pub').read_text()}")
    (folder / "team.yaml").write_text(yaml.safe_dump({**STATEMENT, "signature": sign(stranger, STATEMENT)}))
    verdict = judge([TEAM], folder)[TEAM]
    assert not verdict.attested and "signature not valid" in verdict.reason

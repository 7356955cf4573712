"""Steps of the certification scenarios: each judges this run's results through harness.run_verdict."""

from __future__ import annotations

import tempfile
from pathlib import Path

import allure
from behave import given, then, when

from harness import run_verdict
from reports.certification import STATUSES
from reports.render import console


@given("the results the acceptance suite recorded in this run")
def judged_run(context):
    judged = context.config.userdata.get("judge")
    if not judged:
        context.scenario.skip(
            "judges a finished run: make certify runs it after the suite (behave -D judge=EVIDENCE)"
        )
        return
    context.run = run_verdict.load_run(Path(judged))


@when("the certification of this run is computed")
def compute(context):
    context.certification = run_verdict.certification(context.run)
    allure.attach(
        console(context.certification),
        name="certification of this run",
        attachment_type=allure.attachment_type.TEXT,
    )


@when("the certification command writes its report on this run's results")
def write_report(context):
    out = Path(tempfile.mkdtemp(prefix="certification-"))
    context.report = run_verdict.write_report(context.run, out)
    allure.attach(
        context.report.markdown, name="certification.md", attachment_type=allure.attachment_type.TEXT
    )


@when("the attestations kept in the project are checked")
def check_attestations(context):
    context.attestations = context.run.attestations


@then("every scenario of the feature files has a result in this run")
def suite_complete(context):
    planned = run_verdict.suite_scenarios(context.run)
    missing = run_verdict.without_result(context.run)
    context.evidence.require(
        context.evidence.figure(
            "suite scenarios with a result",
            len(planned) - len(missing),
            "scenarios",
            method=f"results in {context.run.evidence} matched by location to the scenarios of features/",
            samples=len(planned),
            least=1,
            at_least=len(planned),
        )
    )
    assert not missing, "no result for: " + "; ".join(f"{p.name} ({p.location})" for p in missing)


@then("it lists every criterion of the plan's register with its target, its status and its scenarios")
def lists_every_criterion(context):
    cert = context.certification
    listed = [r.criterion.id for r in cert.results]
    absent = [cid for cid in context.run.register.ids if cid not in listed]
    bad = [r.criterion.id for r in cert.results if r.status not in STATUSES or not r.criterion.target]
    context.evidence.table(
        "criteria by status", [{"status": s, "criteria": n} for s, n in cert.counts().items()]
    )
    assert not absent, f"criteria missing from the certification: {', '.join(absent)}"
    assert not bad, f"criteria without a status or target: {', '.join(bad)}"


@then("every performance criterion passed with all its figures measured")
def performance_met(context):
    problems = run_verdict.unmet_performance(context.certification)
    assert not problems, "performance targets not met: " + "; ".join(problems)


@then("the readiness score reaches {threshold:g}%")
def score_reaches(context, threshold):
    cert = context.certification
    scored = [r for r in cert.results if r.criterion.scored]
    context.evidence.require(
        context.evidence.figure(
            "readiness score",
            cert.score,
            "%",
            method=f"weighted share of the scored criteria passed or attested (grade {cert.grade})",
            samples=len(scored),
            least=len(scored),
            at_least=threshold,
        )
    )


@then("the report gives every criterion's status and measured figures as this run recorded them")
def report_matches_evidence(context):
    problems = run_verdict.report_mismatches(context.run, context.report)
    assert not problems, "the report differs from the evidence: " + "; ".join(problems)


@then(
    "the performance validation report lists every figure of a performance criterion with its target, "
    "value, samples and method"
)
def performance_report_complete(context):
    missing = run_verdict.performance_rows_missing(context.run, context.report)
    assert not missing, "figures missing from the performance report: " + "; ".join(missing)


@then("the security compliance report lists every security check of this run with its result")
def security_report_complete(context):
    missing = run_verdict.security_rows_missing(context.run, context.report)
    assert not missing, "security checks missing from the security compliance report: " + "; ".join(missing)


@then("approval is granted only at GOLD with nothing failed, not run or not attested")
def approval_follows_rule(context):
    problem = run_verdict.approval_rule_broken(context.report)
    assert problem is None, problem


@then("the command's exit code is 0 exactly when approval is granted")
def exit_code_follows_approval(context):
    problem = run_verdict.exit_code_wrong(context.report)
    assert problem is None, problem


@then("the go-live approval names every failed, not run and not attested criterion")
def blockers_named(context):
    missing = run_verdict.blockers_not_named(context.report)
    assert not missing, "blockers the go-live approval does not name: " + ", ".join(missing)


@then("the team's readiness is attested by a statement signed by a listed signer")
def team_attested(context):
    verdict = context.attestations["P4-TEAM-READINESS"]
    allure.attach(
        verdict.reason, name="team readiness attestation", attachment_type=allure.attachment_type.TEXT
    )
    assert verdict.attested, f"not attested: {verdict.reason}"

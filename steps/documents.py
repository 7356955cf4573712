"""Steps about the operating documents under docs/ and the go-live checklist."""

from __future__ import annotations

from behave import given, then, when

from harness import golive, runbooks


@then("the {document} in docs/ has the sections {sections}")
def has_sections(context, document, sections):
    assert document in runbooks.DOCUMENTS, (
        f"unknown document {document!r} (known: {', '.join(runbooks.DOCUMENTS)})"
    )
    wanted = [s.strip() for s in sections.split(",")]
    found = runbooks.sections(document)
    context.evidence.table(document, [{"section": s, "present": s in found} for s in wanted])
    missing = [s for s in wanted if s not in found]
    assert not missing, f"docs/{runbooks.DOCUMENTS[document]} lacks the sections {missing} (has {found})"


@when("every command quoted in the documents in docs/ is run in a fresh simulated environment")
def run_quoted(context):
    context.quoted = runbooks.run_all()


@then("each of them succeeds")
def all_succeed(context):
    outcomes = context.quoted
    context.evidence.table(
        "quoted commands",
        [
            {
                "document": o.command.document,
                "line": o.command.line,
                "kind": o.command.kind,
                "command": o.command.text,
                "exit code": o.returncode,
                "seconds": round(o.seconds, 1),
            }
            for o in outcomes
        ],
    )
    documents = {o.command.document for o in outcomes}
    assert set(runbooks.DOCUMENTS.values()) <= documents, f"documents quoting no command: {documents}"
    failed = [
        f"{o.command.document}:{o.command.line} {o.command.text!r} exit {o.returncode}: {o.output}"
        for o in outcomes
        if not o.ok
    ]
    assert not failed, f"{len(failed)} of {len(outcomes)} commands failed:\n" + "\n".join(failed)


@given("the go-live checklist of the project")
def checklist(context):
    context.checklist = golive.load()


@then("every item names at least one criterion of the plan's register")
def items_named(context):
    problems = golive.naming_problems(context.checklist, context.run.register)
    assert not problems, "; ".join(problems)


@then("every criterion it names passed in this run or is attested by a signed statement")
def items_proven(context):
    missing = golive.unproven(context.checklist, context.certification)
    context.evidence.table(
        "go-live checklist",
        [{"item": i.text, "criteria": ", ".join(i.criteria)} for i in context.checklist],
    )
    assert not missing, f"{len(missing)} criteria of the checklist are not proven: " + "; ".join(missing)

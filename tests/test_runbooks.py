"""Reading the operating documents: quoted commands, their checking, the go-live checklist."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import golive, runbooks
from reports.register import load_register

DOC = """# A runbook

```sh run
.venv/bin/python -m simulator run --seed 7 \\
    --duration 60
# a comment is not a command
```

```sh dry-run
make certify
```

```yaml
not: a command
```
"""


def test_commands_are_read_from_marked_blocks_with_continuations_joined(tmp_path: Path):
    doc = tmp_path / "guide.md"
    doc.write_text(DOC)
    found = runbooks.commands(doc)
    assert [(c.line, c.kind, c.text) for c in found] == [
        (4, "run", ".venv/bin/python -m simulator run --seed 7 --duration 60"),
        (10, "dry-run", "make certify"),
    ]


def test_a_shell_block_not_marked_for_checking_is_refused_by_its_line(tmp_path: Path):
    doc = tmp_path / "guide.md"
    doc.write_text("text\n\n```sh\nmake certify\n```\n")
    with pytest.raises(ValueError, match="guide.md:3: a sh block must be marked run or dry-run"):
        runbooks.commands(doc)


def test_a_dry_run_command_must_be_a_make_target_that_exists():
    env = runbooks.environment()
    bad = runbooks.run(runbooks.Command("x.md", 1, "dry-run", "rm -rf build"), env)
    assert bad.returncode == 2 and "make targets only" in bad.output
    missing = runbooks.run(runbooks.Command("x.md", 1, "dry-run", "make no-such-target"), env)
    assert not missing.ok


def test_every_document_quotes_commands_and_has_a_title():
    for document in runbooks.DOCUMENTS.values():
        assert runbooks.commands(runbooks.DOCS / document), f"{document} quotes no command"


def test_the_checklist_names_only_register_criteria_and_no_verdicts():
    items = golive.load()
    assert items and golive.naming_problems(items, load_register()) == []


def test_a_checklist_naming_an_unknown_or_verdict_criterion_is_reported():
    items = [golive.Item("x", ("NO-SUCH",)), golive.Item("y", ("OBJ-GOLD",)), golive.Item("z", ())]
    problems = golive.naming_problems(items, load_register())
    assert len(problems) == 3 and "not in the register" in problems[0] and "verdict" in problems[1]


def test_a_malformed_checklist_is_refused_naming_the_item(tmp_path: Path):
    bad = tmp_path / "checklist.yaml"
    bad.write_text("items:\n  - item: ok\n    criteria: [P3-CONFIG]\n  - item: no criteria key\n")
    with pytest.raises(ValueError, match="item 2: must have exactly the keys item and criteria"):
        golive.load(bad)


def test_an_item_is_proven_only_by_criteria_passed_or_attested():
    def result(cid, status):  # noqa: ANN001, ANN202
        return SimpleNamespace(criterion=SimpleNamespace(id=cid), status=status, reason="why")

    statuses = {"A": "passed", "B": "attested", "C": "not run", "D": "failed"}
    cert = SimpleNamespace(results=[result(cid, status) for cid, status in statuses.items()])
    items = [golive.Item("ab", ("A", "B")), golive.Item("cd", ("C", "D", "E"))]
    assert golive.unproven(items, cert) == [
        "'cd': C not run (why)",
        "'cd': D failed (why)",
        "'cd': E has no result",
    ]

"""The compiled matching code is used only while it matches its sources; otherwise the sources run."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import native

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    """Point the status check at binaries and a stamp under ``tmp_path``; return (binaries, stamp)."""
    binaries = [tmp_path / f"{name}{SUFFIX}" for name in (*native.MODULES, "_native__mypyc")]
    stamp = tmp_path / "_native.sha256"
    monkeypatch.setattr(native, "_binaries", lambda: binaries)
    monkeypatch.setattr(native, "_extensions", lambda: set(tmp_path.glob(f"*{SUFFIX}")))
    monkeypatch.setattr(native, "STAMP", stamp)
    monkeypatch.delenv("SIMULATOR_PURE", raising=False)
    return binaries, stamp


@pytest.mark.parametrize(
    ("built", "extra", "stamp_of", "pure", "form", "why"),
    [
        ("none", None, None, False, "sources", "not compiled"),
        ("all", None, "current", False, "compiled", "built from the current sources"),
        ("all", None, "other", False, "sources", "older than their sources"),
        ("one", None, "current", False, "sources", "incomplete"),
        ("all", "gateway", "current", False, "sources", "not built by this version: gateway"),
        ("all", None, "current", True, "sources", "SIMULATOR_PURE is set"),
    ],
    ids=["nothing built", "current build", "build of other sources", "partial build", "leftover", "pure"],
)
def test_the_compiled_modules_are_used_only_when_current(
    fake_build, tmp_path, monkeypatch, built, extra, stamp_of, pure, form, why
):
    binaries, stamp = fake_build
    for binary in {"none": [], "one": binaries[:1], "all": binaries}[built]:
        binary.touch()
    if extra is not None:
        (tmp_path / f"{extra}{SUFFIX}").touch()
    if stamp_of is not None:
        stamp.write_text((native.sources_digest() if stamp_of == "current" else "0" * 64) + "\n")
    if pure:
        monkeypatch.setenv("SIMULATOR_PURE", "1")
    got_form, got_why = native.status()
    assert got_form == form
    assert why in got_why


def test_the_source_finder_serves_only_the_compiled_modules():
    finder = native._SourceFinder()
    spec = finder.find_spec("simulator.book", None)
    assert spec is not None and spec.origin == str(native.HERE / "book.py")
    assert finder.find_spec("simulator.no_such_module", None) is None
    assert finder.find_spec("venue.messages", None) is None


@pytest.mark.parametrize("pure", [True, False])
def test_a_fresh_process_loads_the_form_the_status_names(pure):
    env = {k: v for k, v in os.environ.items() if k != "SIMULATOR_PURE"}
    if pure:
        env["SIMULATOR_PURE"] = "1"
    code = (
        "import simulator.book, simulator.replay, simulator.rules\n"
        "from simulator import native\n"
        "files = {m.__file__.endswith('.py') for m in (simulator.book, simulator.replay, simulator.rules)}\n"
        "print(native.status()[0], files)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=1)
    form, from_sources = out[0], out[1].strip()
    if pure:
        assert form == "sources"
    # Never a mix: all three from their sources, or all three compiled.
    assert from_sources == ("{True}" if form == "sources" else "{False}")


@pytest.mark.skipif(native.status()[0] != "compiled", reason="the compiled modules are not built here")
def test_the_compiled_and_the_pure_simulator_write_the_same_journal(tmp_path):
    journals = []
    for pure in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "SIMULATOR_PURE"}
        if pure:
            env["SIMULATOR_PURE"] = "1"
        path = tmp_path / f"journal-{'pure' if pure else 'compiled'}.jsonl"
        subprocess.run(
            [sys.executable, "-m", "simulator", "run", "--seed", "3", "--duration", "300", "--symbols", "2"]
            + ["--profile", "volatile", "--journal", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
        journals.append(path.read_bytes())
    assert journals[0].count(b"\n") > 1000
    assert journals[0] == journals[1]

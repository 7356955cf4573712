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


def test_nothing_built_runs_the_sources(fake_build):
    assert native.status() == ("sources", "not compiled (run make)")


def test_a_build_of_the_current_sources_is_used(fake_build):
    binaries, stamp = fake_build
    for binary in binaries:
        binary.touch()
    stamp.write_text(native.sources_digest() + "\n")
    assert native.status()[0] == "compiled"


def test_a_build_of_other_sources_is_not_used(fake_build):
    binaries, stamp = fake_build
    for binary in binaries:
        binary.touch()
    stamp.write_text("0" * 64 + "\n")
    form, why = native.status()
    assert form == "sources"
    assert "older than their sources" in why


def test_a_partial_build_is_not_used(fake_build):
    binaries, stamp = fake_build
    binaries[0].touch()
    stamp.write_text(native.sources_digest() + "\n")
    form, why = native.status()
    assert form == "sources"
    assert "incomplete" in why


def test_a_compiled_module_no_longer_on_the_list_is_not_used(fake_build, tmp_path):
    binaries, stamp = fake_build
    for binary in binaries:
        binary.touch()
    (tmp_path / f"exchange{SUFFIX}").touch()
    stamp.write_text(native.sources_digest() + "\n")
    form, why = native.status()
    assert form == "sources"
    assert "not built by this version: exchange" in why


def test_simulator_pure_runs_the_sources_whatever_is_built(fake_build, monkeypatch):
    binaries, stamp = fake_build
    for binary in binaries:
        binary.touch()
    stamp.write_text(native.sources_digest() + "\n")
    monkeypatch.setenv("SIMULATOR_PURE", "1")
    assert native.status() == ("sources", "SIMULATOR_PURE is set")


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

"""The compiled form of the simulator's hot path: build it with mypyc, and use it only while it is current.

The matching engine and what drives it (``rules``, ``book``, ``feed``, ``exchange``, ``traders``)
and the ``replay`` command are compiled by mypyc: the same sources, type-checked and translated to C.
Calls among them become C calls, which makes replay about 1.75x and the simulated market 1.3x to
1.5x faster on this project's 2-core machines. The sources stay the reference and the fallback:

- the package uses the compiled modules only when all of them are present and were built from the
  sources as they are now (a SHA-256 of the ``simulator`` and ``venue`` sources is stored at build
  time);
- otherwise it loads the sources, and if compiled modules are present but out of date it says so
  once on stderr, so an edit is never silently ignored;
- ``SIMULATOR_PURE=1`` in the environment loads the sources whatever is built (tests and
  benchmarks use it to check both forms).

``make`` builds them after installing the project, with :func:`build`; :func:`status` says which
form runs and why.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
PACKAGE = "simulator"
MODULES = ("rules", "book", "feed", "exchange", "traders", "replay")
GROUP = "_native"  # the shared library that holds the compiled code of all of them
STAMP = HERE / f"{GROUP}.sha256"
_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def sources_digest() -> str:
    """SHA-256 over what the compiled modules were built from and against: every module of the
    ``simulator`` and ``venue`` packages (the compiled code calls the others by their names)."""
    digest = hashlib.sha256()
    for path in sorted([*HERE.glob("*.py"), *(HERE.parent / "venue").glob("*.py")]):
        digest.update(f"{path.parent.name}/{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _binaries() -> list[Path]:
    """The files a build makes: one extension module per compiled module, and their shared library."""
    return [HERE / f"{name}{_SUFFIX}" for name in (*MODULES, f"{GROUP}__mypyc")]


def _extensions() -> set[Path]:
    """The extension modules now in the package directory."""
    return set(HERE.glob(f"*{_SUFFIX}"))


def status() -> tuple[str, str]:
    """("compiled" | "sources", why)."""
    if os.environ.get("SIMULATOR_PURE"):
        return "sources", "SIMULATOR_PURE is set"
    binaries = _binaries()
    found = _extensions()
    present = [b in found for b in binaries]
    leftovers = sorted(p.name.split(".")[0] for p in found - set(binaries))
    if leftovers:
        return "sources", f"compiled modules not built by this version: {', '.join(leftovers)} (run make)"
    if not any(present):
        return "sources", "not compiled (run make)"
    if not all(present) or not STAMP.exists():
        return "sources", "the compiled modules are incomplete (run make to rebuild them)"
    if STAMP.read_text().strip() != sources_digest():
        return "sources", "the compiled modules are older than their sources (run make to rebuild them)"
    return "compiled", "built from the current sources"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the package's ``.py`` sources ahead of any extension module built from them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = HERE / f"{name}.py"
        if package != PACKAGE or not source.exists():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def select() -> str:
    """Make ``import simulator.book`` (and the others) load the form :func:`status` chooses; return it."""
    form, why = status()
    if form == "sources" and not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
        if _extensions() and not os.environ.get("SIMULATOR_PURE"):
            print(f"simulator: running the pure-Python sources of the hot path: {why}", file=sys.stderr)
        sys.meta_path.insert(0, _SourceFinder())
    return form


_SETUP = """
from mypyc.build import mypycify
from setuptools import setup
setup(
    name="simulator-native",
    script_args=["build_ext", "--inplace", "--build-temp", {temp!r}, "--build-lib", {lib!r}],
    ext_modules=mypycify({paths!r}, group_name={group!r}, target_dir={c!r}),
)
"""


def build() -> int:
    """Compile the modules in place with mypyc; return 0, or 1 (and remove any half-built modules)."""
    for binary in _extensions():  # also those of modules no longer on the list
        binary.unlink()
    STAMP.unlink(missing_ok=True)
    root = HERE.parent
    work = root / "build" / "mypyc"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    digest = sources_digest()
    code = _SETUP.format(
        temp=str(work / "temp"),
        lib=str(work / "lib"),
        paths=[f"{PACKAGE}/{name}.py" for name in MODULES],
        group=f"{PACKAGE}.{GROUP}",
        c=str(work / "c"),
    )
    with open(log, "w") as out:  # mypyc names modules by their paths, so it runs from the root
        result = subprocess.run([sys.executable, "-c", code], cwd=root, stdout=out, stderr=out, check=False)
    if result.returncode != 0 or not set(_binaries()) <= _extensions():
        for binary in _extensions():
            binary.unlink()
        print(f"simulator.native: mypyc failed (see {log}); the pure-Python sources will run")
        return 1
    STAMP.write_text(digest + "\n")
    print(f"simulator.native: compiled {', '.join(MODULES)} with mypyc (log: {log.relative_to(root)})")
    return 0

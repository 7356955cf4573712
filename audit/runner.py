"""Runs the audit: the baseline and every planted defect, each in a fresh process, in parallel, and
judges what went red.

Each run is ``python -m audit.run_one`` on the scenarios of the criteria it concerns. The baseline
runs the union of every defect's criteria with no defect planted, one run per feature file, so that
its parts share the workers with the defects rather than queue behind one long run. What went red
is read from the run's evidence file, never from behave's exit status: a criterion is red when one
of its scenarios failed or raised an error. A defect is caught when every criterion it names went
red, and survives otherwise. A criterion that is red without any defect makes the audit void: a
suite that fails anyway proves nothing by failing under a defect.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from audit import run_one
from audit.defects import Defect

ROOT = Path(__file__).resolve().parent.parent
RED = frozenset(("failed", "error", "hook_error"))
NOT_RUN = frozenset(("skipped", "untested", "undefined"))

CAUGHT = "caught"
SURVIVED = "survived"
TIMED_OUT = "timed out"
NOT_RAN = "not run"  # a named criterion had no scenario in the run: the audit cannot judge it
BROKEN = "defect broken"  # the defect's own code failed (the system changed under it): nothing learned

BASELINE = "baseline"
# The scenarios the gate runs, as `make test` selects them (keep the two in step): slow ones, those
# of components not built yet (@pending) and those judging a finished run (@verdict) stay out.
SUITE_FILTER = "not @pending and not @verdict and (not @slow or @day)"
# The production day's criteria: their runs take a day of simulated time, DAY_TIMEOUT at most.
DAY_CRITERIA = frozenset({"P4-LOAD-PRODUCTION", "P4-RELIABILITY"})
DAY_TIMEOUT = 3_600.0


@dataclass(frozen=True)
class Job:
    name: str
    defect: str | None  # None: the system as it is
    criteria: tuple[str, ...]
    paths: tuple[str, ...] = ()  # feature files to run (empty: behave.ini's paths)

    @property
    def is_baseline(self) -> bool:
        return self.defect is None

    @property
    def is_day(self) -> bool:
        return bool(DAY_CRITERIA & set(self.criteria))


@dataclass
class Outcome:
    job: Job
    records: list[dict] = field(default_factory=list)  # the run's evidence, one record per scenario
    failures: dict[str, str] = field(default_factory=dict)  # criterion -> the first failure's message
    seconds: float = 0.0
    timed_out: bool = False
    returncode: int | None = None
    log: str = ""  # where the run's own output went

    @property
    def broken(self) -> bool:
        return self.returncode == run_one.BROKEN_STATUS


@dataclass(frozen=True)
class Judgement:
    red: tuple[str, ...]  # the named criteria that went red
    not_run: tuple[str, ...]  # the named criteria no scenario of the run reported on
    verdict: str


def judge(
    criteria: Iterable[str], records: Iterable[dict], timed_out: bool = False, broken: bool = False
) -> Judgement:
    """What went red of ``criteria`` in a run with these evidence records, and the verdict.

    Caught needs every named criterion red. A run whose defect's own code failed is "defect broken"
    (its red proves nothing); one cut short by its time limit is "timed out" (the suite did not fail
    in a reasonable time); one that reported nothing on a named criterion is "not run".
    """
    named = tuple(dict.fromkeys(criteria))
    red: set[str] = set()
    ran: set[str] = set()
    for record in records:
        status = record.get("status")
        for criterion in record.get("criteria", ()):
            if status in RED:
                red.add(criterion)
            if status not in NOT_RUN:
                ran.add(criterion)
    went_red = tuple(c for c in named if c in red)
    not_run = tuple(c for c in named if c not in ran)
    if broken:
        verdict = BROKEN
    elif timed_out:
        verdict = TIMED_OUT
    elif len(went_red) == len(named):
        verdict = CAUGHT
    elif not_run:
        verdict = NOT_RAN
    else:
        verdict = SURVIVED
    return Judgement(went_red, not_run, verdict)


def baseline_problems(judgement: Judgement) -> list[str]:
    """Why a baseline run voids the audit; empty when every criterion ran and stayed green."""
    problems = []
    if judgement.verdict == TIMED_OUT:
        problems.append("the baseline run timed out")
    if judgement.red:
        problems.append(f"red without any defect: {', '.join(judgement.red)}")
    if judgement.not_run:
        problems.append(f"no scenario ran for: {', '.join(judgement.not_run)}")
    return problems


# What the runs read: a change to any of these while the audit runs means its runs judged different
# systems (or different scenarios), and no verdict of it can be trusted.
SOURCES = ("audit", "config", "features", "harness", "reports", "simulator", "steps", "system", "venue")
SOURCE_FILES = ("environment.py", "behave.ini")
SOURCE_SUFFIXES = frozenset((".py", ".feature", ".ini", ".yaml", ".yml", ".so"))


def sources_fingerprint(root: Path = ROOT) -> str:
    """A digest of the path, size and modification time of every source file the runs read."""
    digest = hashlib.sha256()
    paths = [root / name for name in SOURCE_FILES]
    for folder in SOURCES:
        paths.extend(p for p in (root / folder).rglob("*") if p.suffix in SOURCE_SUFFIXES)
    for path in sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def failure_messages(path: Path) -> dict[str, str]:
    """Criterion -> why its first red scenario went red (from the run's failure records)."""
    found: dict[str, str] = {}
    for record in read_records(path):
        said = f"{record['location']}: {record['step']}: {record['message']}"
        for criterion in record["criteria"]:
            found.setdefault(criterion, said)
    return found


def run_job(job: Job, workdir: Path, seed: int, timeout: float, suite_filter: str = SUITE_FILTER) -> Outcome:
    """Run ``job`` in a fresh interpreter; its evidence, report and log go to ``workdir``."""
    evidence = workdir / f"{job.name}.evidence.jsonl"
    details = workdir / f"{job.name}.failures.jsonl"
    log = workdir / f"{job.name}.log"
    for stale in (evidence, details):
        stale.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "audit.run_one",
        f"--criteria={','.join(job.criteria)}",
        f"--evidence={evidence}",
        f"--details={details}",
        f"--seed={seed}",
        f"--filter={suite_filter}",
    ]
    if job.defect is not None:
        command.append(f"--defect={job.defect}")
    command.extend(job.paths)
    outcome = Outcome(job, log=str(log.relative_to(ROOT) if log.is_relative_to(ROOT) else log))
    started = time.perf_counter()
    with log.open("w") as out:
        try:
            outcome.returncode = subprocess.run(
                command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
    outcome.seconds = time.perf_counter() - started
    outcome.records = read_records(evidence)
    outcome.failures = failure_messages(details)
    return outcome


def criteria_by_feature(features: Path = ROOT / "features") -> dict[str, set[str]]:
    """Feature file (relative to the repository) -> the criteria its scenarios are tagged with."""
    return {
        str(path.relative_to(ROOT)): set(re.findall(r"@criterion:(\S+)", path.read_text()))
        for path in sorted(features.rglob("*.feature"))
    }


def baseline_jobs(criteria: Iterable[str], by_feature: dict[str, set[str]]) -> list[Job]:
    """One run per feature file carrying any of ``criteria``, each selecting only those criteria."""
    wanted = set(criteria)
    jobs = []
    for path, tagged in by_feature.items():
        here = tuple(sorted(wanted & tagged))
        if here:
            stem = Path(path).with_suffix("").as_posix().removeprefix("features/")
            name = f"{BASELINE}-{stem.replace('/', '-')}"
            jobs.append(Job(name, None, here, (path,)))
    return jobs


def jobs_for(
    defects: list[Defect],
    longest_first: dict[str, float] | None = None,
    by_feature: dict[str, set[str]] | None = None,
) -> list[Job]:
    """The baseline's runs over the union of the defects' criteria and one run per defect, the
    slowest first (by the seconds of the last audit, when known)."""
    union = {c for d in defects for c in d.criteria}
    jobs = baseline_jobs(union, criteria_by_feature() if by_feature is None else by_feature)
    jobs += [Job(d.name, d.name, d.criteria) for d in defects]
    known = longest_first or {}
    # The day's runs first, whatever the last audit took: they are the longest by far.
    return sorted(jobs, key=lambda job: (not job.is_day, -known.get(job.name, 0.0)))


def red_baseline_parts(outcomes: dict[str, Outcome]) -> list[Job]:
    """The baseline runs in which a criterion went red with no defect planted."""
    return [
        o.job
        for o in outcomes.values()
        if o.job.is_baseline and judge(o.job.criteria, o.records, o.timed_out).red
    ]


def run_all(
    jobs: list[Job],
    workdir: Path,
    seed: int,
    workers: int,
    timeout: float,
    progress: Callable[[Outcome], None] = lambda _outcome: None,
) -> dict[str, Outcome]:
    workdir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, Outcome] = {}
    # Threads only wait on the child processes, which do the work, so a thread pool suffices.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(run_job, job, workdir, seed, max(timeout, DAY_TIMEOUT) if job.is_day else timeout)
            for job in jobs
        ]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.job.name] = outcome
            progress(outcome)
    return outcomes

"""A certification campaign: the certification's scenarios over many run seeds, each seed a task on
Dask distributed, aggregated per criterion with a Wilson 95% interval on its pass rate.

    python -m reports campaign --seeds N [--criteria ID ...] [--profiles NAME ...]
                               [--cluster tcp://host:port] [--workers K] [--out DIR]

Each run seed is one task keyed by its seed: a worker runs the selection in a fresh process
(``python -m audit.run_one``, no defect planted) and returns, as data, the evidence records and the
run's Allure results. The driver stores the records as ``DIR/campaign-seeds/<seed>.json`` and the
Allure results in ``DIR/campaign-allure-results/``, every file named ``seed-<seed>-...``. A seed
already stored is not run again, so an interrupted campaign resumes from what it has, and a task
retried after its worker was lost replaces its own seed's files: nothing is counted twice. The
driver then writes ``DIR/campaign.json`` and ``DIR/campaign.md``. What a session journals stays on
the worker: a failed scenario's Allure results carry the tail of its journal and the command that
reruns it.

``--profiles`` selects, among the criteria's scenarios, those whose text names one of the given
market profiles ("a normal market in 3 symbols", "across the calm, ... and illiquid markets"); it
does not change the market a scenario trades. A scenario that names no market profile is left out.

Why a fresh process per task: behave registers step definitions and parse types globally, so a
second run in one process fails ("format spec 'Count' not recognised"); a fresh process also keeps a
seed's outcome independent of the seeds its worker ran before.

A criterion is "certified with confidence" only when it ran on every seed and the lower bound of the
Wilson 95% interval of its pass rate meets the target (95% by default: the plan's ">= 95%
end-to-end success"). Twenty clean seeds give a lower bound of 83.9%; 73 are needed for 95%.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from audit.run_one import tag_expression
from reports.allure_files import categories
from reports.certification import current_commit
from reports.register import load_register
from reports.results import load_evidence, outcome

ROOT = Path(__file__).resolve().parent.parent
Z95 = 1.959963984540054  # the standard normal quantile of 0.975: a two-sided 95% interval
TARGET = 0.95
# Pending scenarios cannot pass; verdicts judge one run; the production day (@day) takes 10+ minutes.
SUITE_FILTER = "not @pending and not @verdict and not @day"
SEEDS_DIR = "campaign-seeds"
ALLURE_DIR = "campaign-allure-results"
FEATURES = ROOT / "features"
PROFILES = ROOT / "simulator" / "profiles"  # the market profiles, one YAML file each


def wilson(passes: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a pass rate of ``passes`` out of ``runs``."""
    if runs <= 0 or not 0 <= passes <= runs:
        raise ValueError(f"a pass rate needs 0 <= passes <= runs and runs > 0, got {passes}/{runs}")
    p = passes / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile by linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rerun_command(seed: int, criterion: str) -> str:
    return f".venv/bin/behave -D seed={seed} --tags=@criterion:{criterion}"


# -- the task ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    criteria: tuple[str, ...]
    suite_filter: str = SUITE_FILTER
    paths: tuple[str, ...] = ()  # feature files or scenario locations (file:line); none: every feature
    profiles: tuple[str, ...] = ()  # the market profiles the paths were chosen by; none: any or none

    def as_json(self) -> dict:
        return {
            "criteria": list(self.criteria),
            "filter": self.suite_filter,
            "paths": list(self.paths),
            "profiles": list(self.profiles),
        }


# -- selection by market profile -------------------------------------------------------------------


def market_profiles() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in PROFILES.glob("*.yaml")))


def named_profiles(text: str, known: Iterable[str]) -> set[str]:
    """The market profiles a step's text names: a name, or a list of names ("calm, normal and
    volatile"), followed by "market" or "markets" (not "market data"). A configuration profile
    ("the production profile") is not a market."""
    name = "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
    names = rf"\b(?:{name})(?:(?:,\s*|,?\s+and\s+)(?:{name}))*"
    found = set()
    for listed in re.findall(rf"({names})\s+markets?\b(?!\s+data)", text):
        found.update(re.findall(rf"\b(?:{name})\b", listed))
    return found


def by_profile(selection: Selection, profiles: Iterable[str], features: Path = FEATURES) -> Selection:
    """The selection narrowed to the scenarios that ``selection`` runs and whose steps (its
    background's too) name one of ``profiles``: their locations, in file order."""
    from behave.parser import parse_file
    from behave.tag_expression import make_tag_expression

    known = market_profiles()
    wanted = tuple(dict.fromkeys(profiles))
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ValueError(f"--profiles: no market profile {', '.join(unknown)} (known: {', '.join(known)})")
    expression = make_tag_expression(tag_expression(list(selection.criteria), selection.suite_filter))
    files = [Path(p) for p in selection.paths] or sorted(features.rglob("*.feature"))
    locations = []
    for path in files:
        feature = parse_file(str(path if path.is_absolute() else ROOT / path))
        for scenario in feature.walk_scenarios() if feature else ():
            named = set().union(*(named_profiles(step.name, known) for step in scenario.all_steps))
            if scenario.should_run_with_tags(expression) and named & set(wanted):
                location = Path(scenario.location.filename).resolve().relative_to(ROOT)
                locations.append(f"{location}:{scenario.location.line}")
    if not locations:
        raise ValueError(f"--profiles: no scenario of the selection names a {' or '.join(wanted)} market")
    return Selection(selection.criteria, selection.suite_filter, tuple(locations), wanted)


def _die_with_parent() -> None:
    # A worker killed mid-task would otherwise leave its behave run going as an orphan.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_seed(seed: int, selection: Selection) -> dict:
    """One task: the selection run on ``seed`` in a fresh process on this worker; its evidence records
    and its Allure results (file name: content), named for the campaign's folder.

    Raises when the run recorded nothing (a crash, or a selection of no scenario), with the tail of
    what it printed, so the failure names its cause rather than passing as an empty seed.
    """
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"campaign-{seed}-") as tmp:
        evidence, details, allure = (
            Path(tmp) / "evidence.jsonl",
            Path(tmp) / "details.txt",
            Path(tmp) / "allure",
        )
        command = [
            sys.executable,
            "-m",
            "audit.run_one",
            "--criteria",
            ",".join(selection.criteria),
            "--evidence",
            str(evidence),
            "--details",
            str(details),
            "--seed",
            str(seed),
            "--filter",
            selection.suite_filter,
            "--allure",
            str(allure),
            *selection.paths,
        ]
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, preexec_fn=_die_with_parent, check=False
        )
        records = load_evidence(evidence)
        if not records:
            tail = (done.stdout + done.stderr)[-2000:]
            raise RuntimeError(f"seed {seed}: the run recorded no scenario (exit {done.returncode}):\n{tail}")
        return {
            "seed": seed,
            "exit": done.returncode,
            "records": records,
            "details": details.read_text(encoding="utf-8") if details.exists() else "",
            "seconds": round(time.perf_counter() - started, 3),
            "worker_pid": os.getpid(),
            "allure": keyed_allure(seed, {f.name: f.read_bytes() for f in allure.iterdir() if f.is_file()}),
        }


def _prefix_sources(node, prefix: str) -> None:
    """Prefix every attachment's file name in a result or container, its steps' too."""
    if isinstance(node, list):
        for item in node:
            _prefix_sources(item, prefix)
    elif isinstance(node, dict):
        for attachment in node.get("attachments", ()):
            attachment["source"] = prefix + attachment["source"]
        for key, value in node.items():
            if key != "attachments":
                _prefix_sources(value, prefix)


def keyed_allure(seed: int, files: dict[str, bytes]) -> dict[str, bytes]:
    """One seed's Allure results named for the campaign's folder: every file prefixed
    ``seed-<seed>-`` (attachment references rewritten to match), and each result given the run seed
    as a parameter and a history id of its own, so Allure shows a scenario's seeds side by side as
    runs with different parameters, not as retries of one another that only the last one counts."""
    prefix = f"seed-{seed}-"
    keyed = {}
    for name, content in files.items():
        if name.endswith(("-result.json", "-container.json")):
            doc = json.loads(content)
            _prefix_sources(doc, prefix)
            if name.endswith("-result.json"):
                doc["parameters"] = [*(doc.get("parameters") or []), {"name": "run seed", "value": str(seed)}]
                doc["historyId"] = hashlib.md5(f"{doc.get('historyId')}/seed {seed}".encode()).hexdigest()
            content = json.dumps(doc).encode()
        keyed[prefix + name] = content
    return keyed


# -- storage ---------------------------------------------------------------------------------------


def seed_path(out: Path, seed: int) -> Path:
    return out / SEEDS_DIR / f"{seed}.json"


def store_allure(out: Path, seed: int, files: dict[str, bytes]) -> None:
    """Put one seed's Allure results in the campaign's folder in place of any it had: a seed run
    again (a retried task, a rerun) replaces its files, never adds to them."""
    folder = out / ALLURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"seed-{seed}-*"):
        old.unlink()
    for name, content in files.items():
        (folder / name).write_bytes(content)


def allure_environment(out: Path, seeds: list[int], selection: Selection, commits: list[str]) -> None:
    """The run-wide files of the campaign's Allure folder: what was run, and the defect categories."""
    folder = out / ALLURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "campaign.seeds": f"{len(seeds)} ({seeds[0]}..{seeds[-1]})" if seeds else "none",
        "campaign.criteria": ", ".join(selection.criteria),
        "campaign.filter": selection.suite_filter,
        "campaign.profiles": ", ".join(selection.profiles) or "any",
        "commit": ", ".join(commits),
    }
    lines = [f"{key}={value}" for key, value in env.items()]
    (folder / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps(categories(), indent=2) + "\n", encoding="utf-8")


def store(out: Path, result: dict, selection: Selection, commit: str | None) -> None:
    """Write one seed's result in one step (a temporary file renamed), so a half-written file never is.
    Its Allure results go first: a seed whose record is stored has its Allure results too."""
    store_allure(out, result["seed"], result.get("allure", {}))
    path = seed_path(out, result["seed"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    record = {key: value for key, value in result.items() if key != "allure"}
    tmp.write_text(json.dumps({**record, "selection": selection.as_json(), "commit": commit}) + "\n")
    tmp.replace(path)


def stored(out: Path, seeds: Iterable[int], selection: Selection) -> dict[int, dict]:
    """The seeds already stored for this selection. A stored seed of another selection is an error:
    mixing two selections' runs in one campaign would misstate both."""
    found = {}
    for seed in seeds:
        path = seed_path(out, seed)
        if not path.exists():
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("selection") != selection.as_json():
            raise ValueError(
                f"{path}: stored for another selection ({result.get('selection')}); "
                "use another --out or remove that folder"
            )
        found[seed] = result
    return found


# -- aggregation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FigureSpread:
    scenario: str
    name: str
    unit: str
    target: str
    measured: int  # seeds on which it was measured
    not_measured: int  # seeds on which it had too few samples
    median: float | None
    p5: float | None
    p95: float | None
    worst: float | None  # the value furthest towards (or past) its bound; None for a figure with none
    worst_seed: int | None
    fewest_samples: int | None


@dataclass(frozen=True, slots=True)
class CriterionCampaign:
    id: str
    runs: int  # seeds on which it passed or failed
    passes: int
    not_run: int  # seeds on which one of its scenarios had no result
    low: float | None
    high: float | None
    certified: bool
    flaky: bool
    failing_seeds: tuple[dict, ...]  # {"seed", "scenarios", "command"}
    figures: tuple[FigureSpread, ...] = field(default=())

    @property
    def rate(self) -> float | None:
        return self.passes / self.runs if self.runs else None


def _bounds(target: str) -> tuple[float | None, float | None]:
    low = high = None
    for part in target.split(" and "):
        if part.startswith(">= "):
            low = float(part[3:])
        elif part.startswith("<= "):
            high = float(part[3:])
    return low, high


def _shortfall(value: float, low: float | None, high: float | None) -> float:
    """How far ``value`` is from leaving its bounds (negative) or past them (positive)."""
    return max(-math.inf if low is None else low - value, -math.inf if high is None else value - high)


def spread(scenario: str, samples: list[tuple[int, dict]]) -> FigureSpread:
    """The distribution over seeds of one figure of one scenario, from (seed, figure record) pairs."""
    first = samples[0][1]
    measured = [(seed, f) for seed, f in samples if f["value"] is not None]
    values = [f["value"] for _, f in measured]
    low, high = _bounds(first["target"])
    worst = worst_seed = None
    if measured and (low is not None or high is not None):
        worst_seed, worst_figure = max(measured, key=lambda sf: _shortfall(sf[1]["value"], low, high))
        worst = worst_figure["value"]
    counts = [f["samples"] for _, f in samples if f.get("samples") is not None]
    return FigureSpread(
        scenario=scenario,
        name=first["name"],
        unit=first["unit"],
        target=first["target"],
        measured=len(measured),
        not_measured=len(samples) - len(measured),
        median=quantile(values, 0.5) if values else None,
        p5=quantile(values, 0.05) if values else None,
        p95=quantile(values, 0.95) if values else None,
        worst=worst,
        worst_seed=worst_seed,
        fewest_samples=min(counts) if counts else None,
    )


def aggregate(
    results: dict[int, list[dict]], criteria: Iterable[str] | None = None, target: float = TARGET
) -> list[CriterionCampaign]:
    """Per criterion, from each seed's evidence records: runs, passes, Wilson interval, figures.

    ``criteria`` limits the report to those ids (a scenario may carry others); a requested criterion
    no seed recorded is reported with no run. Outcome of a criterion on a seed, as the certification
    has it: failed if any of its scenarios failed, else not run if one had no result there (or is
    missing from that seed while others recorded it), else passed.
    """
    seeds = sorted(results)
    wanted = set(criteria) if criteria is not None else None
    scenarios: dict[str, set[str]] = {}
    for records in results.values():
        for record in records:
            for criterion in record["criteria"]:
                if wanted is None or criterion in wanted:
                    scenarios.setdefault(criterion, set()).add(record["location"])
    for criterion in wanted or ():
        scenarios.setdefault(criterion, set())
    report = []
    for criterion in sorted(scenarios):
        passes = fails = not_run = 0
        failing: list[dict] = []
        figures: dict[tuple[str, str], list[tuple[int, dict]]] = {}
        for seed in seeds:
            own = [r for r in results[seed] if criterion in r["criteria"]]
            outcomes = {r["location"]: outcome(r["status"]) for r in own}
            for record in own:
                for figure in record.get("figures", []):
                    figures.setdefault((record["scenario"], figure["name"]), []).append((seed, figure))
            if "failed" in outcomes.values():
                fails += 1
                failed = sorted(r["scenario"] for r in own if outcome(r["status"]) == "failed")
                failing.append({"seed": seed, "scenarios": failed, "command": rerun_command(seed, criterion)})
            elif not own or "not run" in outcomes.values() or set(outcomes) != scenarios[criterion]:
                not_run += 1
            else:
                passes += 1
        runs = passes + fails
        low, high = wilson(passes, runs) if runs else (None, None)
        report.append(
            CriterionCampaign(
                id=criterion,
                runs=runs,
                passes=passes,
                not_run=not_run,
                low=low,
                high=high,
                certified=runs > 0 and not_run == 0 and low is not None and low >= target,
                flaky=passes > 0 and fails > 0,
                failing_seeds=tuple(failing),
                figures=tuple(spread(scenario, samples) for (scenario, _), samples in figures.items()),
            )
        )
    return report


# -- reports ---------------------------------------------------------------------------------------


def verdict(c: CriterionCampaign, target: float) -> str:
    if c.runs == 0:
        return "not run"
    if c.certified:
        return "certified with confidence"
    if c.not_run:
        return f"not certified: not run on {c.not_run} seeds"
    flaky = "flaky; " if c.flaky else ""
    return f"not certified: {flaky}lower bound {100 * c.low:.1f}% < {100 * target:g}%"


def as_json(report: list[CriterionCampaign], seeds: list[int], meta: dict, target: float = TARGET) -> dict:
    return {
        **meta,
        "seeds": seeds,
        "target": target,
        "interval": "Wilson score, 95% two-sided",
        "certified_with_confidence": [c.id for c in report if c.certified],
        "flaky": [c.id for c in report if c.flaky],
        "criteria": [{**asdict(c), "rate": c.rate, "verdict": verdict(c, target)} for c in report],
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.6g}"


def markdown(report: list[CriterionCampaign], seeds: list[int], meta: dict, target: float = TARGET) -> str:
    lines = [
        "# Certification campaign",
        "",
        f"{len(seeds)} run seeds ({seeds[0]}..{seeds[-1]}); commit {', '.join(meta.get('commits', []))}; "
        f"tag filter `{meta.get('selection', {}).get('filter')}`. Pass rates with a Wilson 95% interval; "
        f"a criterion is certified with confidence when it ran on every seed and the interval's lower "
        f"bound is at least "
        f"{100 * target:g}%.",
        "",
        "| criterion | runs | passes | pass rate | 95% interval | verdict | failing seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in report:
        failing = ", ".join(str(f["seed"]) for f in c.failing_seeds) or "—"
        lines.append(
            f"| {c.id} | {c.runs} | {c.passes} | {_pct(c.rate)} | {_pct(c.low)} – {_pct(c.high)} "
            f"| {verdict(c, target)} | {failing} |"
        )
    flaky = [c.id for c in report if c.flaky]
    lines += ["", f"**Flaky** (pass on some seeds, fail on others): {', '.join(flaky) or 'none'}.", ""]
    for c in report:
        if not c.figures and not c.failing_seeds:
            continue
        lines += [f"## {c.id}", ""]
        if c.figures:
            lines += [
                "| scenario | figure | target | seeds measured | not measured | median | p5 | p95 | worst "
                "(seed) | fewest samples |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for f in c.figures:
                worst = "—" if f.worst is None else f"{_num(f.worst)} ({f.worst_seed})"
                lines.append(
                    f"| {f.scenario} | {f.name} ({f.unit}) | {f.target} | {f.measured} | {f.not_measured} "
                    f"| {_num(f.median)} | {_num(f.p5)} | {_num(f.p95)} | {worst} | {f.fewest_samples} |"
                )
            lines.append("")
        for failed in c.failing_seeds:
            lines.append(
                f"- seed {failed['seed']} failed {'; '.join(failed['scenarios'])}: `{failed['command']}`"
            )
        if c.failing_seeds:
            lines.append("")
    return "\n".join(lines)


# -- the driver ------------------------------------------------------------------------------------


def run_tasks(
    client,
    seeds: list[int],
    selection: Selection,
    out: Path,
    commit: str | None,
    on_done: Callable[[dict | None], None] | None = None,
) -> list[str]:
    """Submit one task per seed to ``client`` (a dask.distributed Client); store each result as it
    comes. A lost worker's task is resubmitted by the scheduler itself; a task that raised is reported
    (the returned messages) and left unstored, so the next campaign runs it again. ``on_done`` gets
    each stored result, or None for a task that raised."""
    from distributed import as_completed

    campaign_id = uuid.uuid4().hex[:12]  # a fresh key per campaign: a cached result is never reused
    futures = [
        client.submit(run_seed, seed, selection, key=f"campaign-{campaign_id}-seed-{seed}", pure=False)
        for seed in seeds
    ]
    failures = []
    for future in as_completed(futures):
        if future.status == "error":
            failures.append(f"{future.key}: {future.exception()}")
            result = None
        else:
            result = future.result()
            store(out, result, selection, commit)
        future.release()
        if on_done is not None:
            on_done(result)
    return failures


def estimates(report: list[CriterionCampaign]) -> list[str]:
    """Each criterion's running estimate: passes out of runs and its Wilson 95% interval so far."""
    return [
        f"{c.id:28} {c.passes:>4}/{c.runs:<4} 95% interval {_pct(c.low)} – {_pct(c.high)}"
        + ("  flaky" if c.flaky else "")
        if c.runs
        else f"{c.id:28} not run yet"
        for c in report
    ]


class Progress:
    """The progress display: a bar of seeds done, with the runs that had a failed scenario and the
    tasks that raised, and each criterion's running estimate. On a terminal the estimates are live
    lines under the bar; elsewhere (a CI log) they are printed as a block at every tenth of the seeds."""

    def __init__(
        self,
        total: int,
        have: dict[int, dict],
        criteria: tuple[str, ...],
        enabled: bool,
        target: float = TARGET,
        file=None,
    ):
        from tqdm import tqdm

        self.file = file if file is not None else sys.stderr
        self.results = {seed: r["records"] for seed, r in have.items()}
        self.criteria = criteria
        self.target = target
        self.total = total
        self.enabled = enabled
        self.live = enabled and self.file.isatty()
        self.tenths_shown = 10 * len(have) // total
        self.failed_runs = sum(1 for r in have.values() if r["exit"] != 0)
        self.errors = 0
        self.bar = tqdm(
            total=total, initial=len(have), unit="seed", desc="campaign", disable=not enabled, file=self.file
        )
        self.lines = [
            tqdm(
                total=0,
                position=n + 1,
                bar_format="{desc}",
                leave=False,
                file=self.file,
                disable=not self.live,
            )
            for n in range(len(criteria))
        ]
        self.show()

    def __call__(self, result: dict | None) -> None:
        if result is None:
            self.errors += 1
        else:
            self.results[result["seed"]] = result["records"]
            self.failed_runs += result["exit"] != 0
        self.bar.update(1)
        self.show()

    def show(self) -> None:
        report = aggregate(self.results, self.criteria, self.target)
        self.bar.set_postfix(
            failed_runs=self.failed_runs,
            task_errors=self.errors,
            certified=f"{sum(c.certified for c in report)}/{len(report)}",
        )
        lines = estimates(report)
        if self.live:
            for line, text in zip(self.lines, lines, strict=True):
                line.set_description_str(text)
            return
        tenths = 10 * self.bar.n // self.total
        if self.enabled and tenths > self.tenths_shown:
            self.tenths_shown = tenths
            self.bar.write(
                "\n".join([f"running estimates after {self.bar.n} seeds:", *lines]), file=self.file
            )

    def close(self) -> None:
        for line in reversed(self.lines):
            line.close()
        self.bar.close()


def campaign(
    seeds: list[int],
    selection: Selection,
    out: Path,
    *,
    cluster: str | None = None,
    workers: int | None = None,
    client=None,
    target: float = TARGET,
    progress: bool = True,
) -> dict:
    """Run the seeds not yet stored in ``out``, then aggregate every requested seed; the campaign's JSON.

    ``client``: a dask Client to use as it is; else one on ``cluster`` (a scheduler address), else on
    a local cluster of ``workers`` processes (default: this machine's cores), one thread each.
    """
    commit = current_commit(ROOT)
    have = stored(out, seeds, selection)
    todo = [s for s in seeds if s not in have]
    failures: list[str] = []
    if todo:
        bar = Progress(len(seeds), have, selection.criteria, progress, target)
        try:
            failures = _with_client(
                client, cluster, workers, lambda c: run_tasks(c, todo, selection, out, commit, bar)
            )
        finally:
            bar.close()
    results = stored(out, seeds, selection)
    report = aggregate({s: r["records"] for s, r in results.items()}, selection.criteria, target)
    done = sorted(results)
    meta = {
        "selection": selection.as_json(),
        "commits": sorted({r.get("commit") or "unknown" for r in results.values()}),
        "task_errors": failures,
        "missing_seeds": [s for s in seeds if s not in results],
    }
    data = as_json(report, done, meta, target)
    out.mkdir(parents=True, exist_ok=True)
    allure_environment(out, done, selection, meta["commits"])
    (out / "campaign.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if done:
        (out / "campaign.md").write_text(markdown(report, done, meta, target) + "\n", encoding="utf-8")
    return data


def _with_client(client, cluster: str | None, workers: int | None, job):
    if client is not None:
        return job(client)
    from distributed import Client, LocalCluster

    if cluster:
        with Client(cluster) as remote:
            return job(remote)
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local) as own,
    ):
        return job(own)


def add_parser(commands) -> None:
    p = commands.add_parser("campaign", help="run the certification's scenarios over many seeds on Dask")
    p.add_argument("--seeds", type=int, required=True, help="how many run seeds")
    p.add_argument("--first-seed", type=int, default=1, help="the first run seed (default 1)")
    p.add_argument("--criteria", nargs="+", help="criterion ids (default: every criterion of the register)")
    p.add_argument(
        "--phases",
        nargs="+",
        type=int,
        metavar="N",
        help="the criteria of these phases of the plan (ids P<N>-..., those a campaign can run), "
        "besides any --criteria",
    )
    p.add_argument(
        "--profiles",
        nargs="+",
        metavar="PROFILE",
        help="only the scenarios whose text names one of these market profiles (a normal market in 3 "
        "symbols, ...; the market a scenario trades is not changed; a scenario that names none is "
        f"left out); known: {', '.join(market_profiles())}",
    )
    p.add_argument("--filter", default=SUITE_FILTER, help=f"behave tag expression (default: {SUITE_FILTER})")
    p.add_argument("--cluster", help="a Dask scheduler address, tcp://host:port (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local worker processes (default: this machine's cores)")
    p.add_argument("--target", type=float, default=TARGET, help="target pass rate (default 0.95)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help=f"where campaign.json/.md, {SEEDS_DIR}/ and {ALLURE_DIR}/ go (default: reports)",
    )


def main(args: argparse.Namespace) -> int:
    """``python -m reports campaign``: 0 when every criterion is certified with confidence, else 1."""
    if args.seeds < 1:
        print("campaign: --seeds must be at least 1", file=sys.stderr)
        return 2
    register = load_register().criteria
    unknown = sorted(set(args.criteria or ()) - {c.id for c in register})
    if unknown:
        print(f"campaign: --criteria: not in the register: {', '.join(unknown)}", file=sys.stderr)
        return 2
    runnable = [c.id for c in register if c.kind == "automatic" and not c.verdict]
    phased = [c for c in runnable if any(c.startswith(f"P{n}-") for n in args.phases or ())]
    missing = sorted(n for n in set(args.phases or ()) if not any(c.startswith(f"P{n}-") for c in phased))
    if missing:
        print(f"campaign: --phases: no criterion of phase {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    chosen = [*(args.criteria or ()), *(c for c in phased if c not in (args.criteria or ()))]
    criteria = tuple(chosen or runnable)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    try:
        selection = Selection(criteria, args.filter)
        if args.profiles:
            selection = by_profile(selection, args.profiles)
        data = campaign(
            seeds, selection, args.out, cluster=args.cluster, workers=args.workers, target=args.target
        )
    except ValueError as exc:
        print(f"campaign: {exc}", file=sys.stderr)
        return 2
    for c in data["criteria"]:
        print(f"{c['id']:28} {c['passes']:>4}/{c['runs']:<4} {c['verdict']}")
    for error in data["task_errors"]:
        print(f"task failed: {error}", file=sys.stderr)
    print(f"campaign: {args.out / 'campaign.md'}")
    certified = set(data["certified_with_confidence"])
    return 0 if data["criteria"] and all(c["id"] in certified for c in data["criteria"]) else 1

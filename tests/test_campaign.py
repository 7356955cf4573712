"""The campaign: Wilson intervals against published values, aggregation of synthetic evidence, Allure
results keyed by seed, selection by market profile, the progress display, and a real two-worker Dask
cluster running a cheap selection over a few seeds, undisturbed and with a worker killed
mid-campaign (same result), and resumed from partial results."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import threading
import time

import psutil
import pytest

from reports.campaign import (
    ALLURE_DIR,
    Progress,
    Selection,
    aggregate,
    by_profile,
    campaign,
    keyed_allure,
    named_profiles,
    quantile,
    rerun_command,
    seed_path,
    store_allure,
    wilson,
)


@pytest.mark.parametrize(
    ("passes", "runs", "low", "high"),
    [
        (20, 20, 0.838875, 1.0),  # the example: 20 clean sessions bound the rate at 84%
        (8, 10, 0.490162, 0.943318),  # statsmodels proportion_confint(8, 10, method="wilson")
        (0, 10, 0.0, 0.277533),
        (95, 100, 0.888250, 0.978456),
    ],
)
def test_wilson_interval_matches_known_values(passes, runs, low, high):
    got = wilson(passes, runs)
    assert got == pytest.approx((low, high), abs=1e-6)


def test_73_clean_seeds_are_the_fewest_that_bound_the_rate_at_95_percent():
    assert wilson(72, 72)[0] < 0.95 <= wilson(73, 73)[0]


def test_wilson_refuses_an_impossible_rate():
    with pytest.raises(ValueError, match="3/2"):
        wilson(3, 2)


def test_quantile_interpolates_like_numpy():
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile(list(range(101)), 0.05) == pytest.approx(5.0)
    assert quantile([7.0], 0.95) == 7.0


def record(location: str, status: str, criteria=("C-1",), figures=()) -> dict:
    return {
        "scenario": f"scenario at {location}",
        "location": location,
        "criteria": list(criteria),
        "status": status,
        "figures": list(figures),
    }


def latency(value: float | None, samples: int = 200) -> dict:
    return {"name": "p99 latency", "value": value, "unit": "ms", "target": "<= 10", "passed": True,
            "samples": samples, "least": 100, "method": "venue tap"}  # fmt: skip


def test_aggregation_counts_runs_passes_flakiness_figures_and_failing_seeds():
    results = {
        seed: [
            record("a.feature:3", "failed" if seed in (4, 9) else "passed", figures=[latency(float(seed))]),
            record("a.feature:9", "passed"),
            record("b.feature:5", "passed", criteria=("C-2",)),
        ]
        for seed in range(1, 11)
    }
    results[10][0]["figures"] = [latency(None, samples=12)]  # too few samples: not measured
    by_id = {c.id: c for c in aggregate(results)}
    c1, c2 = by_id["C-1"], by_id["C-2"]
    assert (c1.runs, c1.passes, c1.not_run) == (10, 8, 0)
    assert (c1.low, c1.high) == pytest.approx(wilson(8, 10))
    assert c1.flaky and not c1.certified
    assert [f["seed"] for f in c1.failing_seeds] == [4, 9]
    assert c1.failing_seeds[0]["command"] == ".venv/bin/behave -D seed=4 --tags=@criterion:C-1"
    assert c1.failing_seeds[0]["scenarios"] == ["scenario at a.feature:3"]
    (fig,) = c1.figures
    assert (fig.measured, fig.not_measured, fig.fewest_samples) == (9, 1, 12)
    assert fig.median == 5.0 and fig.p5 == pytest.approx(1.4) and fig.p95 == pytest.approx(8.6)
    assert (fig.worst, fig.worst_seed) == (9.0, 9)  # "<= 10": the largest value is the worst
    assert (c2.runs, c2.passes, c2.flaky, c2.certified) == (10, 10, False, False)  # 10 seeds bound 72%


def test_a_criterion_is_certified_only_when_its_lower_bound_meets_the_target():
    clean = {seed: [record("a.feature:3", "passed")] for seed in range(73)}
    assert aggregate(clean)[0].certified
    assert not aggregate(clean, target=0.96)[0].certified
    assert not aggregate({s: r for s, r in clean.items() if s < 72})[0].certified


def test_a_scenario_missing_or_skipped_on_a_seed_is_not_run_there_and_blocks_certification():
    results = {seed: [record("a.feature:3", "passed"), record("a.feature:9", "passed")] for seed in range(80)}
    results[5] = [record("a.feature:3", "passed")]  # the second scenario left no record on seed 5
    results[6][1]["status"] = "skipped"
    (c,) = aggregate(results)
    assert (c.runs, c.passes, c.not_run, c.certified) == (78, 78, 2, False)


def test_a_requested_criterion_no_seed_recorded_is_reported_with_no_run():
    (c,) = aggregate({1: [record("a.feature:3", "passed", criteria=("OTHER",))]}, criteria=["C-1"])
    assert (c.id, c.runs, c.low, c.certified) == ("C-1", 0, None, False)


def allure_result(source: str, step_source: str) -> bytes:
    return json.dumps({
        "name": "a scenario", "historyId": "h1", "parameters": [{"name": "load", "value": "peak"}],
        "attachments": [{"name": "figures", "source": source, "type": "text/csv"}],
        "steps": [{"name": "a step", "attachments": [{"name": "t", "source": step_source}], "steps": []}],
    }).encode()  # fmt: skip


def test_a_seeds_allure_results_are_prefixed_by_seed_with_their_references_and_a_history_of_their_own():
    files = {
        "r1-result.json": allure_result("a1-attachment.csv", "a2-attachment.csv"),
        "a1-attachment.csv": b"x",
    }
    seven, eight = keyed_allure(7, files), keyed_allure(8, files)
    assert set(seven) == {"seed-7-r1-result.json", "seed-7-a1-attachment.csv"}
    assert seven["seed-7-a1-attachment.csv"] == b"x"
    result = json.loads(seven["seed-7-r1-result.json"])
    assert result["attachments"][0]["source"] == "seed-7-a1-attachment.csv"
    assert result["steps"][0]["attachments"][0]["source"] == "seed-7-a2-attachment.csv"
    assert result["parameters"] == [{"name": "load", "value": "peak"}, {"name": "run seed", "value": "7"}]
    other = json.loads(eight["seed-8-r1-result.json"])
    assert len({result["historyId"], other["historyId"], "h1"}) == 3, "two seeds are two runs, not retries"


def test_a_seed_stored_again_replaces_its_allure_files_and_leaves_the_other_seeds(tmp_path):
    store_allure(tmp_path, 1, {"seed-1-old-result.json": b"{}", "seed-1-old-attachment.csv": b"o"})
    store_allure(tmp_path, 10, {"seed-10-x-result.json": b"{}"})
    store_allure(tmp_path, 1, {"seed-1-new-result.json": b"{}"})
    names = sorted(p.name for p in (tmp_path / ALLURE_DIR).iterdir())
    assert names == ["seed-1-new-result.json", "seed-10-x-result.json"]


def test_market_profiles_are_read_from_a_steps_words_and_configuration_profiles_are_not_markets():
    known = ("calm", "normal", "volatile", "flash_crash", "illiquid", "production")
    assert named_profiles("a normal market in 3 symbols at peak load", known) == {"normal"}
    assert named_profiles("a live simulated session in a calm market of 1 symbol", known) == {"calm"}
    text = "20 sessions of 60 seconds run across the calm, normal, volatile, flash_crash and illiquid markets"
    assert named_profiles(text, known) == {"calm", "normal", "volatile", "flash_crash", "illiquid"}
    assert (
        named_profiles("the trading system trades on it configured by the production profile", known) == set()
    )
    assert named_profiles("a normal market data feed", known) == set()  # market data is not a market


def test_selection_by_profile_keeps_the_scenarios_naming_it_and_refuses_a_selection_of_none():
    chosen = by_profile(CHEAP, ["normal"])
    assert len(chosen.paths) == 10 and all(
        p.startswith("features/phase1/components.feature:") for p in chosen.paths
    )
    assert (chosen.criteria, chosen.profiles, chosen.as_json()["profiles"]) == (
        CHEAP.criteria,
        ("normal",),
        ["normal"],
    )
    with pytest.raises(ValueError, match="no scenario of the selection names a calm market"):
        by_profile(CHEAP, ["calm"])
    with pytest.raises(ValueError, match="no market profile windy"):
        by_profile(CHEAP, ["windy", "normal"])


def test_the_progress_shows_seeds_done_failed_runs_task_errors_and_every_criterions_interval():
    out = io.StringIO()  # not a terminal: the estimates are printed at every tenth of the seeds
    bar = Progress(2, {}, ("C-1", "C-2"), enabled=True, file=out)
    bar(
        {
            "seed": 1,
            "exit": 1,
            "records": [record("a.feature:3", "failed"), record("b.feature:5", "passed", ["C-2"])],
        }
    )
    bar(None)  # a task that raised
    bar.close()
    text = out.getvalue()
    assert "2/2" in text and "failed_runs=1" in text and "task_errors=1" in text
    assert "running estimates after 1 seeds:" in text
    assert "C-1                             0/1    95% interval 0.0% – 79.3%" in text
    assert "C-2                             1/1    95% interval 20.7% – 100.0%" in text


# -- a real local cluster --------------------------------------------------------------------------

CHEAP = Selection(("P1-COMPONENT-ERRORS",))  # ten outline rows, under a second of behave per seed
SEEDS = [1, 2, 3, 4]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        distributed.Client(c) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def undisturbed(client, tmp_path_factory):
    out = tmp_path_factory.mktemp("undisturbed")
    return out, campaign(SEEDS, CHEAP, out, client=client, progress=False)


def stored_records(out, seeds):
    return {s: json.loads(seed_path(out, s).read_text())["records"] for s in seeds}


def allure_results(out, seed):
    return sorted((out / ALLURE_DIR).glob(f"seed-{seed}-*-result.json"))


def test_a_campaign_on_two_workers_writes_every_seed_and_its_report(undisturbed):
    out, data = undisturbed
    assert data["seeds"] == SEEDS and data["task_errors"] == [] and data["missing_seeds"] == []
    (c,) = data["criteria"]
    assert (c["id"], c["runs"], c["passes"]) == ("P1-COMPONENT-ERRORS", 4, 4)
    assert c["low"] == pytest.approx(wilson(4, 4)[0])
    assert "not certified: lower bound 51.0% < 95%" in (out / "campaign.md").read_text()
    pids = {json.loads(seed_path(out, s).read_text())["worker_pid"] for s in SEEDS}
    assert len(pids) == 2, "both workers ran seeds"
    for records in stored_records(out, SEEDS).values():
        assert len(records) == 10 and {r["status"] for r in records} == {"passed"}


def test_each_seeds_allure_results_come_back_into_the_campaigns_one_folder(undisturbed):
    out, _ = undisturbed
    folder = out / ALLURE_DIR
    assert {"categories.json", "environment.properties"} <= {p.name for p in folder.iterdir()}
    assert "campaign.seeds=4 (1..4)" in (folder / "environment.properties").read_text()
    for seed in SEEDS:
        results = [json.loads(p.read_text()) for p in allure_results(out, seed)]
        assert len(results) == 10 and {r["status"] for r in results} == {"passed"}
        assert all({"name": "run seed", "value": str(seed)} in r["parameters"] for r in results)
        sources = [a["source"] for r in results for a in r.get("attachments", [])]
        assert sources and all((folder / s).is_file() and s.startswith(f"seed-{seed}-") for s in sources)
    assert not list(folder.glob("*.tmp")) and not (out / "campaign-seeds" / "1.json").read_text().count(
        '"allure"'
    )


def kill_a_worker_running_a_seed(client):
    """SIGKILL a worker process whose task is inside its behave run; (pid, seed, that run) or None."""
    for pid in client.run(os.getpid).values():
        for child in psutil.Process(pid).children():
            try:
                command = child.cmdline()
            except psutil.NoSuchProcess:  # a run that ended as we looked
                continue
            if "audit.run_one" in command:
                os.kill(pid, signal.SIGKILL)
                return pid, int(command[command.index("--seed") + 1]), child
    return None


def test_a_worker_killed_mid_campaign_is_retried_and_the_result_equals_an_undisturbed_run(
    client, undisturbed, tmp_path
):
    out = tmp_path / "disturbed"
    finished: dict = {}
    runner = threading.Thread(
        target=lambda: finished.update(data=campaign(SEEDS, CHEAP, out, client=client, progress=False))
    )
    runner.start()
    killed = None  # (worker pid, the seed its behave run was running)
    deadline = time.monotonic() + 40
    while killed is None and time.monotonic() < deadline:
        if seed_path(out, SEEDS[0]).parent.exists():  # mid-campaign: a seed is already stored
            killed = kill_a_worker_running_a_seed(client)
        time.sleep(0.05)
    runner.join(timeout=90)
    assert killed is not None, "no worker was running a seed to kill"
    pid, seed, behave_run = killed
    behave_run.wait(timeout=10)  # its behave run died with it, not left running as an orphan
    data = finished["data"]
    assert data["task_errors"] == [] and data["missing_seeds"] == []
    assert json.loads(seed_path(out, seed).read_text())["worker_pid"] != pid, "the lost seed was rerun"
    base_out, base = undisturbed
    assert stored_records(out, SEEDS) == stored_records(base_out, SEEDS)
    assert data["criteria"] == base["criteria"]
    assert [len(allure_results(out, s)) for s in SEEDS] == [10] * len(SEEDS), "no seed's results twice"


def test_a_campaign_resumes_from_the_seeds_it_has(client, undisturbed, tmp_path):
    base_out, base = undisturbed
    out = tmp_path / "resumed"
    (out / "campaign-seeds").mkdir(parents=True)
    for seed in SEEDS[:3]:
        shutil.copy(seed_path(base_out, seed), seed_path(out, seed))
    before = {s: seed_path(out, s).stat().st_mtime_ns for s in SEEDS[:3]}
    data = campaign(SEEDS, CHEAP, out, client=client, progress=False)
    assert {s: seed_path(out, s).stat().st_mtime_ns for s in SEEDS[:3]} == before, "stored seeds not rerun"
    assert data["criteria"] == base["criteria"]
    # Everything stored: no cluster is needed (this address does not exist).
    again = campaign(SEEDS, CHEAP, out, cluster="tcp://127.0.0.1:9", progress=False)
    assert again["criteria"] == base["criteria"]


def test_a_campaign_by_profile_runs_only_the_scenarios_naming_it(client, tmp_path):
    selection = by_profile(Selection(("P3-SECURITY",)), ["calm"])
    data = campaign([5], selection, tmp_path, client=client, progress=False)
    (records,) = stored_records(tmp_path, [5]).values()
    assert sorted(r["location"] for r in records) == sorted(selection.paths) and len(records) == 3
    assert data["selection"]["profiles"] == ["calm"] and len(allure_results(tmp_path, 5)) == 3


def test_seeds_stored_for_another_selection_are_refused(undisturbed):
    out, _ = undisturbed
    with pytest.raises(ValueError, match="another selection"):
        campaign(SEEDS, Selection(("P1-COMPONENT-ERRORS", "BASE-ALERT-RULES")), out, progress=False)


def test_the_rerun_command_names_the_seed_and_the_criterion():
    assert rerun_command(17, "P2-X") == ".venv/bin/behave -D seed=17 --tags=@criterion:P2-X"


def test_the_command_refuses_a_criterion_not_in_the_register(capsys, tmp_path):
    from reports.__main__ import main

    assert main(["campaign", "--seeds", "2", "--criteria", "P9-NOPE", "--out", str(tmp_path)]) == 2
    assert "not in the register: P9-NOPE" in capsys.readouterr().err
    assert not (tmp_path / "campaign-seeds").exists()


def test_the_command_refuses_a_market_profile_that_does_not_exist(capsys, tmp_path):
    from reports.__main__ import main

    argv = ["campaign", "--seeds", "2", "--criteria", "P1-COMPONENT-ERRORS", "--profiles", "windy"]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert "no market profile windy (known: calm, flash_crash, illiquid, normal, production, volatile)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "campaign-seeds").exists()


def test_phases_select_the_runnable_criteria_of_those_phases(capsys, tmp_path, monkeypatch):
    from reports import campaign as module
    from reports.__main__ import main

    chosen = {}

    def record(seeds, selection, out, **_kw):
        chosen["criteria"] = selection.criteria
        return {"criteria": [], "task_errors": [], "certified_with_confidence": []}

    monkeypatch.setattr(module, "campaign", record)
    assert main(["campaign", "--seeds", "1", "--phases", "1", "2", "--out", str(tmp_path)]) == 1
    assert chosen["criteria"] == (
        "P1-AVAILABILITY",
        "P1-BASIC-FUNCTION",
        "P1-API-CONSISTENCY",
        "P1-COMPONENT-PERFORMANCE",
        "P1-COMPONENT-ERRORS",
        "P2-WORKFLOW",
        "P2-OPTIMIZERS-TOGETHER",
        "P2-ERROR-HANDLING",
        "P2-LOAD-CONDITIONS",
        "P2-PERF-MAINTAINED",
        "P2-CROSS-COMPONENT",
        "P2-DATA-FLOW",
        "P2-MONITORING-ANALYTICS",
        "P2-ALERT-RESPONSE",
    )
    assert (
        main(["campaign", "--seeds", "1", "--criteria", "OBJ-E2E", "--phases", "1", "--out", str(tmp_path)])
        == 1
    )
    assert chosen["criteria"][:2] == ("OBJ-E2E", "P1-AVAILABILITY")


def test_the_command_refuses_a_phase_with_no_criterion(capsys, tmp_path):
    from reports.__main__ import main

    assert main(["campaign", "--seeds", "2", "--phases", "9", "--out", str(tmp_path)]) == 2
    assert "--phases: no criterion of phase 9" in capsys.readouterr().err

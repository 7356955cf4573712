"""Steps for the Performance Dashboard: drawn from a recorded session, set beside the sources it
shows, attached to the report and opened in a real browser."""

from __future__ import annotations

from pathlib import Path

import allure
from behave import then, when

from harness import dashboard
from steps.session import trading


def _drawn(context) -> tuple[dashboard.Dashboard, list[Path], Path]:
    if getattr(context, "dashboard_files", None) is None:
        board = dashboard.build(context.dashboard_recorder)
        # Beside the run's evidence file, under its name: runs side by side (the audit's) share no folder.
        evidence = context.evidence_path
        out = evidence.parent / "dashboard" / evidence.name.split(".")[0] / f"seed-{context.seed}"
        pngs, page = dashboard.render(board, out, f"Performance dashboard, seed {context.seed}")
        context.dashboard_files = board, pngs, page
    return context.dashboard_files


@when("the performance dashboard records the session for {seconds:d} simulated seconds")
def records(context, seconds):
    session = trading(context)
    context.dashboard_recorder = dashboard.Recorder(session)
    session.run(seconds)


@then("it holds these 7 charts, each showing what the session measured:")
def holds_charts(context):
    board, _, _ = _drawn(context)
    wanted = [row["chart"] for row in context.table]
    have = [chart.title for chart in board.charts]
    assert wanted == have, f"the dashboard holds {have}, the scenario names {wanted}"
    rows = dashboard.check(board, context.dashboard_recorder)
    context.evidence.table(
        "each chart beside its sources",
        [
            {k: (v if k != "chart shows" and k != "source holds" else str(v)[:200]) for k, v in r.items()}
            for r in rows
        ],
    )
    for chart, row in zip(board.charts, rows, strict=True):
        fig = context.evidence.figure(
            f"{chart.title}: agrees with its sources",
            1.0 if row["agree"] else 0.0,
            "agrees",
            method=f"{chart.source}; checked: {row['checked']}, read again from the sources at the end",
            samples=chart.samples,
            least=dashboard.LEAST[chart.title],
            at_least=1.0,
        )
        context.evidence.require(fig)


@then("the charts and the dashboard page are attached to the report")
def attached(context):
    board, pngs, page = _drawn(context)
    for chart, png in zip(board.charts, pngs, strict=True):
        allure.attach.file(str(png), name=chart.title, attachment_type=allure.attachment_type.PNG)
    allure.attach.file(str(page), name="performance dashboard", attachment_type=allure.attachment_type.HTML)
    inlined = page.read_text(encoding="utf-8").count('src="data:image/png;base64,')
    assert inlined == len(board.charts), f"the page inlines {inlined} images of {len(board.charts)} charts"


@then("a headless browser opens the dashboard page and shows its 7 charts")
def in_browser(context):
    board, _, page = _drawn(context)
    if dashboard.browser() is None:
        context.scenario.skip("chromium is not installed (apt-get install -y chromium): not run")
        return
    shot = dashboard.screenshot(page, page.with_name("screenshot.png"))
    allure.attach.file(
        str(shot), name="the dashboard in Chromium", attachment_type=allure.attachment_type.PNG
    )
    share = dashboard.coloured_share(shot)
    context.evidence.table("screenshot", [{"file": str(shot), "coloured share": round(share, 4)}])
    fig = context.evidence.figure(
        "share of the browser's screenshot in colour",
        100.0 * share,
        "%",
        method="headless Chromium's screenshot of the page at 1400 x 2400: pixels whose colour channels "
        "differ by more than 25% (chart lines, areas, the health map; text and broken images are grey)",
        samples=len(board.charts),
        least=7,
        at_least=100.0 * dashboard.LEAST_COLOURED,
    )
    context.evidence.require(fig)

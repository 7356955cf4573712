"""The Performance Dashboard: its charts follow the session they were drawn from, agree with their
sources, and the page is self-contained."""

from __future__ import annotations

import re

import pytest

from harness import dashboard
from harness.session import SessionSpec, TradingSession
from simulator.faults import FaultPlan


def _recorded(seed: int, faults: list[dict] | None = None, seconds: float = 60.0) -> dashboard.Recorder:
    plan = FaultPlan.from_entries(faults, "the test's faults") if faults else None
    session = TradingSession(SessionSpec(seed=seed, symbols=3, faults=plan))
    recorder = dashboard.Recorder(session)
    session.run(seconds)
    return recorder


@pytest.fixture(scope="module")
def calm() -> dashboard.Recorder:
    return _recorded(11)


@pytest.fixture(scope="module")
def faulted() -> dashboard.Recorder:
    return _recorded(12, [{"at": 20, "fault": "stale_feed", "duration": 10}])


def _chart(board: dashboard.Dashboard, title: str) -> dashboard.Chart:
    return next(chart for chart in board.charts if chart.title == title)


def test_every_chart_agrees_with_its_sources(calm, faulted):
    for recorder in (calm, faulted):
        board = dashboard.build(recorder)
        assert [c.title for c in board.charts] == list(dashboard.CHARTS)
        rows = dashboard.check(board, recorder)
        assert [r["chart"] for r in rows if not r["agree"]] == [], rows


def test_the_charts_data_changes_with_the_session(calm, faulted):
    one, two = dashboard.build(calm), dashboard.build(faulted)
    for title in (
        "order latency over time",
        "profit and loss, and position",
        "market data rate and cache hit rate",
    ):
        assert _chart(one, title).lines[0].ys != _chart(two, title).lines[0].ys, title
    assert _chart(one, "alerts over time").rows == []
    alerts = _chart(two, "alerts over time")
    assert "fault: stale_feed" in alerts.rows and "market_data_staleness: firing" in alerts.rows
    # The feed withheld from 20 s to 30 s shows as silence: no message in the seconds 21, 22 and 23.
    rate = _chart(two, "market data rate and cache hit rate").lines[0]
    assert [y for x, y in zip(rate.xs, rate.ys, strict=True) if 21 <= x <= 24] == [0.0] * 3


def test_a_chart_drawn_from_constants_is_caught(calm, monkeypatch):
    def constant(answered):
        return dashboard.Chart(dashboard.CHARTS[0], "ms", [dashboard.Line("each order", [1.0], [2.5])], "", 1)

    monkeypatch.setattr(dashboard, "_latency_chart", constant)
    rows = dashboard.check(dashboard.build(calm), calm)
    assert [r["chart"] for r in rows if not r["agree"]] == ["order latency over time"]


def test_the_page_inlines_every_chart(calm, tmp_path):
    pngs, page = dashboard.render(dashboard.build(calm), tmp_path, "test <page>")
    assert len(pngs) == 7 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    text = page.read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 7
    assert re.findall(r'src="(?!data:)', text) == []  # nothing fetched from elsewhere
    assert "test &lt;page&gt;" in text


@pytest.mark.skipif(dashboard.browser() is None, reason="chromium is not installed")
def test_the_page_renders_in_chromium(calm, tmp_path):
    _, page = dashboard.render(dashboard.build(calm), tmp_path, "test")
    shot = dashboard.screenshot(page, tmp_path / "shot.png")
    assert dashboard.coloured_share(shot) >= dashboard.LEAST_COLOURED
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r"base64,[^\"]+", "base64,AAAA", page.read_text()), encoding="utf-8")
    assert (
        dashboard.coloured_share(dashboard.screenshot(broken, tmp_path / "broken.png"))
        < dashboard.LEAST_COLOURED
    )


def test_a_missing_browser_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(dashboard, "browser", lambda: None)
    with pytest.raises(FileNotFoundError, match="chromium"):
        dashboard.screenshot(tmp_path / "page.html", tmp_path / "shot.png")

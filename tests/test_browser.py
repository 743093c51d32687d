"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright (issue 15).

Playwright's own browser download is not used: ``executable_path`` is Debian's ``chromium``.
Without Playwright or Chromium these tests skip, unless ``REQUIRE_BROWSER=1`` (``.ci/run`` sets
it), where a missing browser fails. The screenshot is kept in ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app

from .history import CONFIG, write_history

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
runner = CliRunner()


def _browser_or_skip() -> tuple[Any, str]:
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    chromium = shutil.which("chromium")
    if reason is None and chromium is None:
        reason = "no chromium on PATH (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1: {reason}")
        pytest.skip(reason)
    return sync_playwright, str(chromium)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright, chromium = _browser_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()


def _write_big(folder: Path, sites: int) -> None:
    """One process, one path used at ``sites`` sites (line numbers 1..sites)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = 1_796_083_200 * 10**9  # 2026-12-01

    def attr(key: str, value: object) -> dict[str, Any]:
        kind = "intValue" if isinstance(value, int) else "stringValue"
        return {"key": key, "value": {kind: str(value)}}

    points = [{"attributes": [attr("ssot.legacy.module", "big.old"), attr("ssot.canonical.module", "big.new"),
                              attr("code.file.path", f"/srv/big/m{i % 97}.py"), attr("code.line.number", i),
                              attr("code.function.name", f"f{i % 13}")],
               "startTimeUnixNano": str(start), "timeUnixNano": str(start + 10**10), "asInt": str(1 + i % 7)}
              for i in range(1, sites + 1)]
    line = {"resourceMetrics": [{"resource": {"attributes": [attr("service.name", "big"),
                                                             attr("service.instance.id", "big-1")]},
                                 "scopeMetrics": [{"metrics": [{"name": "ssot.legacy.uses", "sum": {
                                     "aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points}}]}]}]}
    (folder / "big.metrics.jsonl").write_text(json.dumps(line) + "\n")


def _render(traces: Path, out: Path, *extra: str) -> Path:
    result = runner.invoke(app, ["report", str(traces), "--format", "html", "--output", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("browser")
    write_history(root / "traces")
    (root / "ssot-runtime.toml").write_text(CONFIG)
    page = _render(root / "traces", root / "report.html", "--config", str(root / "ssot-runtime.toml"))
    return root, page


class Opened:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []


@pytest.fixture
def opened(browser: Any, history: tuple[Path, Path]) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    seen = Opened(page)
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    url = history[1].resolve().as_uri()

    def route(r: Any) -> None:
        if r.request.url != url:
            seen.requests.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)
    page.goto(url)
    page.wait_for_load_state("load")
    yield seen
    context.close()


def _rows(page: Any, path: str) -> list[list[str]]:
    table = page.locator(f'section.path:has(h3 code:text-is("{path}")) table.sites-table tbody tr')
    return [json.loads(row) for row in table.evaluate_all(
        "rows => rows.map(r => JSON.stringify(Array.from(r.cells).map(c => c.textContent)))")]


def test_the_page_loads_offline_without_errors(opened: Opened) -> None:
    assert opened.page.title() == "Legacy import paths: the burn-down"
    assert opened.console == [] and opened.errors == []
    assert opened.requests == []  # nothing but the file itself: no script, style, font or image fetched


def test_the_chart_has_one_point_per_bucket_of_the_history(opened: Opened, history: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["report", str(history[0] / "traces"), "--by", "day", "--format", "json"])
    series = json.loads(result.stdout)
    assert len(series["buckets"]) == 30
    points = opened.page.locator("svg.chart.total circle.pt")
    assert points.count() == len(series["buckets"])
    buckets = points.evaluate_all("cs => cs.map(c => [c.dataset.bucket, Number(c.dataset.uses)])")
    assert buckets == [list(pair) for pair in zip(series["buckets"], series["total"]["uses"], strict=True)]
    # The path that reaches zero: its last ten points are on the axis.
    manager = opened.page.locator('section.path:has(h3 code:text-is("app.ws.manager")) svg.chart circle.pt')
    assert manager.count() == 30
    assert manager.evaluate_all("cs => cs.slice(20).every(c => c.dataset.uses === '0')")
    box = opened.page.locator("svg.chart.total").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150  # drawn, not collapsed


def test_sorting_the_sites_table(opened: Opened) -> None:
    page = opened.page
    section = 'section.path:has(h3 code:text-is("app.ws.manager"))'
    assert [r[4] for r in _rows(page, "app.ws.manager")] == ["504", "414", "342"]  # uses, most first
    page.click(f'{section} th[data-column="file"]')
    assert [r[0] for r in _rows(page, "app.ws.manager")] == [f"/srv/app/src/app/manager_{i}.py" for i in range(3)]
    assert page.get_attribute(f'{section} th[data-column="file"]', "aria-sort") == "ascending"
    page.click(f'{section} th[data-column="file"]')
    assert [r[0][-4:-3] for r in _rows(page, "app.ws.manager")] == ["2", "1", "0"]
    page.click(f'{section} th[data-column="uses"]')
    assert [r[4] for r in _rows(page, "app.ws.manager")] == ["504", "414", "342"]
    page.click(f'{section} th[data-column="uses"]')
    assert [r[4] for r in _rows(page, "app.ws.manager")] == ["342", "414", "504"]


def test_filtering_the_sites_table_by_file_or_function(opened: Opened) -> None:
    page = opened.page
    section = 'section.path:has(h3 code:text-is("app.ws.unified_manager"))'
    page.fill(f"{section} input.filter", "handler_1")
    rows = _rows(page, "app.ws.unified_manager")
    assert [r[2] for r in rows] == ["handler_1"]
    assert page.text_content(f"{section} .status") == "sites 1-1 of 1 (filtered from 3)"
    page.fill(f"{section} input.filter", "unified_manager_2.py")
    assert [r[0] for r in _rows(page, "app.ws.unified_manager")] == ["/srv/app/src/app/unified_manager_2.py"]
    page.fill(f"{section} input.filter", "nothing-like-this")
    assert _rows(page, "app.ws.unified_manager") == []
    assert page.text_content(f"{section} .status") == "no site matches"
    page.fill(f"{section} input.filter", "")
    assert len(_rows(page, "app.ws.unified_manager")) == 3


def test_the_overdue_deadline_stands_out(opened: Opened) -> None:
    page = opened.page
    overdue = page.locator('section.path:has(h3 code:text-is("app.ws.manager")) .deadline.overdue')
    assert overdue.count() == 1 and overdue.is_visible()
    assert re.fullmatch(r"remove after 2026-11-15: overdue by \d+ days", overdue.text_content() or "")
    assert overdue.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(207, 34, 46)"
    assert page.locator(".deadline.overdue").count() == 2  # the overview row and the path's rule
    later = page.locator('section.path:has(h3 code:text-is("app.legacy.models")) .deadline')
    assert later.count() == 1 and "overdue" not in (later.get_attribute("class") or "")


def test_a_screenshot_is_kept(opened: Opened, capsys: pytest.CaptureFixture[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report-html.png"
    opened.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 20_000
    with capsys.disabled():
        print(f"\nscreenshot of the HTML report: {target}")


def test_ten_thousand_sites_stay_responsive(browser: Any, tmp_path: Path) -> None:
    _write_big(tmp_path / "traces", 10_000)
    page_file = _render(tmp_path / "traces", tmp_path / "big.html")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(page_file.resolve().as_uri())
    page.wait_for_selector("table.sites-table tbody tr")
    loaded = time.perf_counter() - t0
    assert page.locator("table.sites-table tbody tr").count() == 50  # one page in the DOM, not 10,000 rows
    assert page.text_content(".status") == "sites 1-50 of 10000"
    page.click("th[data-column='line']")  # a number column: highest first
    assert [int(r[1]) for r in _rows(page, "big.old")] == list(range(10_000, 9_950, -1))
    page.click("th[data-column='line']")
    lines = [int(r[1]) for r in _rows(page, "big.old")]
    assert lines == list(range(1, 51))  # numeric order, not text order (1, 10, 100, ...)
    page.click("button.next")
    assert [int(r[1]) for r in _rows(page, "big.old")] == list(range(51, 101))
    t0 = time.perf_counter()
    page.fill("input.filter", "m5.py")
    filtered = time.perf_counter() - t0
    assert {r[0] for r in _rows(page, "big.old")} == {"/srv/big/m5.py"}
    status = page.text_content(".status") or ""
    assert status == f"sites 1-50 of {sum(1 for i in range(1, 10_001) if i % 97 == 5)} (filtered from 10000)"
    assert errors == []
    assert loaded < 10 and filtered < 2, (loaded, filtered)  # generous: a shared, loaded machine
    page.close()

"""`report --format html`: one self-contained page with the burn-down, deadlines, sites and plan (issue 15)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssot_runtime.analysis import html
from ssot_runtime.analysis.report import build_report
from ssot_runtime.cli import app
from ssot_runtime.config import parse_config
from ssot_runtime.traces.read import Filters, read
from ssot_runtime.traces.timeline import Timeline

from .history import CONFIG, write_history

runner = CliRunner()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("html")
    write_history(root / "traces")
    (root / "ssot-runtime.toml").write_text(CONFIG)
    out = root / "report.html"
    result = runner.invoke(app, ["report", str(root / "traces"), "--format", "html", "--output", str(out),
                                 "--config", str(root / "ssot-runtime.toml")])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"html report written to {out.resolve()}\n"
    return out.read_text()


def test_the_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://|//cdn|<link\b|<img\b|<iframe\b|@import|url\(", page)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r'href="(?!#)', page)  # only links within the page
    assert "fetch(" not in page and "XMLHttpRequest" not in page


def test_the_total_chart_has_one_point_per_day(page: str) -> None:
    total = page.split('class="chart total"', 1)[1].split("</svg>", 1)[0]
    points = re.findall(r'<circle class="pt[^"]*" [^>]*data-bucket="([^"]+)" data-uses="(\d+)"', total)
    assert [b for b, _ in points] == [f"2026-11-{d:02d}T00:00:00Z" for d in range(1, 31)]
    assert int(points[0][1]) == 378 and int(points[-1][1]) == 84


def test_each_path_has_its_rule_deadline_and_chart(page: str) -> None:
    manager = page.split('<h3><code>app.ws.manager</code>', 1)[1].split("</section>", 1)[0]
    assert "see #1196" in manager and "(error)" in manager
    assert re.search(r'<span class="deadline overdue">remove after 2026-11-15: overdue by \d+ days</span>', manager)
    assert "since then no use in 60 processes over 10 days" in manager  # it reached zero on day 20
    zeros = re.findall(r'<circle class="pt zero"', manager)
    assert len(zeros) == 10
    # The deadline on the chart: at the 15th day's point.
    mark = re.search(r'<line class="deadline-mark" x1="([\d.]+)"', manager)
    day15 = re.search(r'cx="([\d.]+)" cy="[\d.]+" r="3" data-bucket="2026-11-15T00:00:00Z"', manager)
    assert mark and day15 and mark.group(1) == day15.group(1)
    assert "deadline-mark" not in models_section(page)  # 2099: beyond the data, no mark
    models = page.split('<h3><code>app.legacy.models</code>', 1)[1].split("</section>", 1)[0]
    assert "overdue" not in models and re.search(r"remove after 2099-01-01 \(\d+ days left\)", models)
    assert "rule <code>app.legacy.*</code>" in models and "&rarr; <code>app.core.models</code>" in page


def models_section(page: str) -> str:
    return page.split('<h3><code>app.legacy.models</code>', 1)[1].split("</section>", 1)[0]


def test_a_configured_path_without_use_shows_the_evidence(page: str) -> None:
    unused = page.split('<section id="unused">', 1)[1].split("</section>", 1)[0]
    assert "no use in 180 processes over 29.5 days" in unused and "(2026-11-01 to 2026-11-30)" in unused
    assert "app.core.interfaces:ManagerProtocol" in unused


def test_the_sites_are_embedded_as_data(page: str) -> None:
    raw = page.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(raw)
    assert data["pageSize"] == 50
    manager = next(p for p in data["paths"] if p["legacy"] == "app.ws.manager")
    assert manager["sites"][0][:5] == ["/srv/app/src/app/manager_0.py", 10, "handler_0", "", 504]


def test_text_from_the_traces_is_escaped(tmp_path: Path) -> None:
    write_history(tmp_path / "traces", days=2, sites=1)
    for path in (tmp_path / "traces").iterdir():
        path.write_text(path.read_text().replace("handler_0", "</script><b>x</b>"))
    timeline = Timeline()
    agg = read([str(tmp_path / "traces")], Filters(), timeline=timeline)
    doc = build_report(agg)
    text = html.render(doc, timeline.series(agg, "day"), agg, cfg=parse_config({}), today=dt.date(2026, 11, 3))
    assert "</script><b>" not in text and "\\u003c/script>\\u003cb>x\\u003c/b>" in text
    assert text.count("</script>") == 2  # the data and the code, nothing else closes a script


def test_html_to_a_terminal_is_refused(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    (tmp_path / "t.jsonl").write_text("")
    leader, follower = pty.openpty()
    try:
        result = subprocess.run([str(Path(sys.executable).parent / "ssot-runtime"), "report", str(tmp_path / "t.jsonl"),
                                 "--format", "html"], stdout=follower, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert result.stderr == ("ssot-runtime: error: --format html writes a page, not terminal text: give --output FILE "
                             "(or redirect stdout)\n")


def test_html_to_stdout_when_redirected(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("")
    result = runner.invoke(app, ["report", str(tmp_path / "t.jsonl"), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>") and "no process evidence in the data" in result.stdout


def _page(tmp_path: Path, *args: str) -> str:
    write_history(tmp_path / "traces", days=3)
    (tmp_path / "c.toml").write_text(CONFIG)
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(tmp_path / "traces"), "--format", "html", "--output", str(out),
                                 "--config", str(tmp_path / "c.toml"), *args])
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_a_path_filtered_out_is_not_called_unused(tmp_path: Path) -> None:
    text = _page(tmp_path, "--legacy", "app.ws.*", "--service", "api")
    assert '<p class="filters">Only services api; legacy paths app.ws.*.</p>' in text
    unused = text.split('<section id="unused">', 1)[1].split("</section>", 1)[0] if 'id="unused"' in text else ""
    assert "app.legacy" not in unused  # filtered out, not unused
    assert "app.core.interfaces:ManagerProtocol" not in unused  # its module is outside the glob too
    assert "<h3><code>app.legacy.models</code>" not in text


def test_top_shows_fewer_sites_but_claims_nothing_unused(tmp_path: Path) -> None:
    text = _page(tmp_path, "--top", "1")
    raw = text.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0]
    assert all(len(p["sites"]) == 1 for p in json.loads(raw)["paths"])
    unused = text.split('<section id="unused">', 1)[1].split("</section>", 1)[0]
    assert "app.ws.manager" not in unused and "app.legacy" not in unused
    assert "app.core.interfaces:ManagerProtocol" in unused


def test_no_process_evidence_concludes_nothing(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("")
    (tmp_path / "c.toml").write_text(CONFIG)
    result = runner.invoke(app, ["report", str(tmp_path / "t.jsonl"), "--format", "html", "--config",
                                 str(tmp_path / "c.toml")])
    assert result.exit_code == 0, result.output
    unused = result.stdout.split('<section id="unused">', 1)[1].split("</section>", 1)[0]
    assert '<strong class="unknown">no process evidence in the data: nothing to conclude</strong>' in unused
    assert "no use in" not in result.stdout
    assert result.stdout.count('<circle class="pt') == 0  # no bucket, no point

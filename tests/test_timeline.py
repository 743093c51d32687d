"""`report --by hour|day|week`: uses per bucket from the points' own windows, across every file (issue 15)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app
from ssot_runtime.traces.read import Filters, read
from ssot_runtime.traces.timeline import Timeline

from .history import CONFIG, HOUR_NS, START, write_history

runner = CliRunner()
BASE = int(START.timestamp()) * 10**9


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[int]]]:
    root = tmp_path_factory.mktemp("history")
    expected = write_history(root / "traces")
    (root / "ssot-runtime.toml").write_text(CONFIG)
    return root, expected


def series(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_by_day_json_has_every_day_and_each_paths_uses(history: tuple[Path, dict[str, list[int]]]) -> None:
    root, expected = history
    doc = series(str(root / "traces"), "--by", "day")
    assert doc["schema"] == "ssot-runtime/series/v1" and doc["by"] == "day"
    assert doc["buckets"] == [(START + dt.timedelta(days=d)).strftime("%Y-%m-%dT00:00:00Z") for d in range(30)]
    got = {p["legacy"]: p["uses"] for p in doc["legacy_paths"]}
    assert got == expected
    manager = next(p for p in doc["legacy_paths"] if p["legacy"] == "app.ws.manager")
    assert manager["last_use"] == "2026-11-20T00:00:00Z" and manager["uses"][20:] == [0] * 10  # reaches zero
    assert manager["canonical"] == "app.ws.websocket_manager" and manager["total"] == sum(expected["app.ws.manager"])
    assert doc["total"]["uses"] == [sum(v[d] for v in expected.values()) for d in range(30)]
    assert doc["total"]["processes"] == [6] * 30  # 3 services x 2 processes a day
    assert doc["spanning"] == 0
    assert [p["legacy"] for p in doc["legacy_paths"]] == sorted(expected, key=lambda k: -sum(expected[k]))


def test_by_day_text_shows_the_totals_and_a_bar_per_day(history: tuple[Path, dict[str, list[int]]]) -> None:
    root, expected = history
    result = runner.invoke(app, ["report", str(root / "traces"), "--by", "day"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    total = sum(map(sum, expected.values()))
    assert out.startswith(f"Uses per day, 2026-11-01 to 2026-11-30 (30 days, UTC): {total} uses\n")
    first = sum(v[0] for v in expected.values())
    assert f"│ 2026-11-01 │  {first} │         6 │" in out
    row = next(line for line in out.splitlines() if "app.ws.manager " in line)
    assert "2026-11-20" in row and row.rstrip(" │").endswith("·" * 10)  # the last 10 days: no use


def test_by_hour_and_week_cover_the_same_uses(history: tuple[Path, dict[str, list[int]]]) -> None:
    root, expected = history
    hours = series(str(root / "traces"), "--by", "hour")
    weeks = series(str(root / "traces"), "--by", "week")
    total = sum(map(sum, expected.values()))
    assert sum(hours["total"]["uses"]) == sum(weeks["total"]["uses"]) == total
    assert hours["buckets"][0] == "2026-11-01T02:00:00Z"  # the first process's first hour
    assert all(b.endswith(":00:00Z") for b in hours["buckets"])
    assert len(hours["buckets"]) == (dt.datetime(2026, 11, 30, 14) - dt.datetime(2026, 11, 1, 2)).days * 24 + 13
    # ISO weeks start on Monday; 2026-11-01 is a Sunday, so the first week starts on 2026-10-26.
    assert weeks["buckets"][0] == "2026-10-26T00:00:00Z"
    assert all(dt.date.fromisoformat(b[:10]).weekday() == 0 for b in weeks["buckets"])
    assert weeks["total"]["uses"][0] == sum(v[0] for v in expected.values())


def test_since_and_until_clip_the_buckets(history: tuple[Path, dict[str, list[int]]]) -> None:
    root, expected = history
    doc = series(str(root / "traces"), "--by", "day", "--since", "2026-11-10", "--until", "2026-11-12T23:59")
    assert doc["buckets"] == ["2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z", "2026-11-12T00:00:00Z"]
    assert {p["legacy"]: p["uses"] for p in doc["legacy_paths"]} == {k: v[9:12] for k, v in expected.items()}


def _batch(points: list[dict[str, Any]], temporality: int = 1, instance: str = "p1") -> str:
    for point in points:
        point["attributes"] = [{"key": "ssot.legacy.module", "value": {"stringValue": "old.mod"}},
                               {"key": "ssot.canonical.module", "value": {"stringValue": "new.mod"}},
                               {"key": "code.file.path", "value": {"stringValue": "/app/x.py"}},
                               {"key": "code.line.number", "value": {"intValue": "3"}}]
    return json.dumps({"resourceMetrics": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "svc"}},
        {"key": "service.instance.id", "value": {"stringValue": instance}}]}, "scopeMetrics": [{"metrics": [
            {"name": "ssot.legacy.uses", "sum": {"aggregationTemporality": temporality, "isMonotonic": True,
                                                 "dataPoints": points}}]}]}]}) + "\n"


def _timeline(path: Path, by: str) -> dict[str, Any]:
    timeline = Timeline()
    agg = read([str(path)], Filters(), timeline=timeline)
    return timeline.series(agg, by)


def test_a_window_over_midnight_counts_where_it_ends_and_is_told(tmp_path: Path) -> None:
    midnight = BASE + 24 * HOUR_NS
    second = 10**9
    (tmp_path / "t.jsonl").write_text(
        _batch([{"startTimeUnixNano": str(midnight - 5 * second), "timeUnixNano": str(midnight + 5 * second),
                 "asInt": "7"},
                {"startTimeUnixNano": str(midnight - 20 * second), "timeUnixNano": str(midnight - 10 * second),
                 "asInt": "2"}]))
    doc = _timeline(tmp_path / "t.jsonl", "day")
    assert doc["buckets"] == ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"]
    assert doc["legacy_paths"][0]["uses"] == [2, 7]
    assert doc["spanning"] == doc["legacy_paths"][0]["spanning"] == 7
    weeks = _timeline(tmp_path / "t.jsonl", "week")  # Sunday 2026-11-01 to Monday: a new ISO week too
    assert weeks["legacy_paths"][0]["uses"] == [2, 7] and weeks["spanning"] == 7
    text = runner.invoke(app, ["report", str(tmp_path / "t.jsonl"), "--by", "day"]).stdout
    assert "7 uses came in points whose time window crosses a day boundary" in text


def test_cumulative_series_count_their_growth_in_each_window(tmp_path: Path) -> None:
    day = 24 * HOUR_NS
    start = BASE + HOUR_NS
    (tmp_path / "t.jsonl").write_text(
        _batch([{"startTimeUnixNano": str(start), "timeUnixNano": str(start + day), "asInt": "8"}], 2)
        + _batch([{"startTimeUnixNano": str(start), "timeUnixNano": str(start + HOUR_NS), "asInt": "5"}], 2)
        + _batch([{"startTimeUnixNano": str(start), "timeUnixNano": str(start + 2 * day), "asInt": "8"}], 2)
        # a second process, restarted: its own series
        + _batch([{"startTimeUnixNano": str(start + day), "timeUnixNano": str(start + 2 * day), "asInt": "4"}], 2,
                 "p2"))
    doc = _timeline(tmp_path / "t.jsonl", "day")
    assert doc["legacy_paths"][0]["uses"] == [5, 3, 4]
    assert sum(doc["legacy_paths"][0]["uses"]) == series(str(tmp_path / "t.jsonl"))["totals"]["uses"]


SCRIPT = ": a script reads --format json"


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "month"], "--by must be one of hour, day, week, not 'month'"),
    (["--by", "day", "--format", "markdown"], "--by gives the series as table, json or html, not markdown" + SCRIPT),
    (["--by", "day", "--format", "csv"], "--by gives the series as table, json or html, not csv" + SCRIPT),
    (["--format", "pdf"], "--format must be one of table, markdown, json, csv, html, not 'pdf'"),
    (["--by", "day", "--top", "3"], "--top limits the sites shown, and the --by series has none: drop one of them"),
])
def test_a_bad_by_or_format_is_one_line_naming_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "t.jsonl").write_text("")
    result = runner.invoke(app, ["report", str(tmp_path / "t.jsonl"), *args])
    assert result.exit_code == 2
    assert result.output == f"ssot-runtime: error: {message}\n"


def test_an_empty_source_gives_an_empty_series(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("")
    doc = series(str(tmp_path / "t.jsonl"), "--by", "week")
    assert doc["buckets"] == [] and doc["legacy_paths"] == [] and doc["total"] == {"uses": [], "processes": []}
    text = runner.invoke(app, ["report", str(tmp_path / "t.jsonl"), "--by", "week"]).stdout
    assert text == "Uses per week: no use and no process in the data\n"


def test_output_writes_the_series_and_says_where(tmp_path: Path, history: tuple[Path, dict[str, list[int]]]) -> None:
    root, _ = history
    target = tmp_path / "series.json"
    result = runner.invoke(app, ["report", str(root / "traces"), "--by", "day", "--format", "json",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"json report written to {target.resolve()}\n"
    assert json.loads(target.read_text())["by"] == "day"
    bad = runner.invoke(app, ["report", str(root / "traces"), "--output", str(tmp_path / "no" / "such" / "r.txt")])
    assert bad.exit_code == 2
    assert bad.output.startswith(f"ssot-runtime: error: --output {tmp_path / 'no' / 'such' / 'r.txt'}: cannot write")


def test_the_series_schema_is_documented_key_by_key(history: tuple[Path, dict[str, list[int]]]) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "report-schema.md").read_text()
    doc = series(str(history[0] / "traces"), "--by", "day")

    def keys(value: Any, prefix: str = "") -> set[str]:
        found: set[str] = set()
        if isinstance(value, dict):
            for key, item in value.items():
                found |= {f"{prefix}{key}"} | keys(item, f"{prefix}{key}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            found |= keys(value[0], f"{prefix[:-1]}[].")
        return found

    section = text.split("ssot-runtime/series/v1", 1)[1]
    for key in keys(doc):
        assert f"`{key}`" in section, key

"""Defects a new user's review found: bad input is one clear line, exit 2; nothing read that is not traces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app

from .test_cli import traces  # noqa: F401  (the fixture)

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def one_line_error(result: Any, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and "╭" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


# (5) a malformed configuration found from the working directory is refused by every reader


@pytest.mark.parametrize("command", [
    ["report", "TRACES"], ["report", "TRACES", "--format", "html", "--output", "OUT"], ["check", "TRACES"],
    ["plan", "TRACES"], ["scan", ".", "--traces", "TRACES"], ["fix", ".", "--only-seen", "TRACES"],
    ["report"], ["check"],
])
def test_a_malformed_discovered_config_is_refused_by_every_reader(
        traces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:  # noqa: F811
    work = tmp_path / "work"
    work.mkdir()
    (work / "ssot-runtime.toml").write_text('mode = "redirect"\n[redirects\n')
    monkeypatch.chdir(work)
    args = [str(traces) if a == "TRACES" else str(tmp_path / "r.html") if a == "OUT" else a for a in command]
    one_line_error(invoke(*args), "ssot-runtime.toml")
    assert not (tmp_path / "r.html").exists()


# (14) a baseline or a JSON report kept in the traces folder is not read as traces


def test_a_baseline_inside_the_traces_folder_is_not_read_as_traces(traces: Path) -> None:  # noqa: F811
    baseline = traces / "baseline.json"
    written = invoke("check", str(traces), "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    result = invoke("check", str(traces), "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stderr and "check passed" in result.stdout


def test_a_json_report_inside_the_traces_folder_is_not_read_as_traces(traces: Path) -> None:  # noqa: F811
    before = invoke("report", str(traces), "--format", "json")
    (traces / "report.json").write_text(before.stdout)
    (traces / "notes.txt").write_text("not traces\n")
    after = invoke("report", str(traces), "--format", "json")
    assert after.exit_code == 0, after.output
    assert "skipped" not in after.stderr
    assert "report.json" in after.stderr  # said, not silently lost
    assert json.loads(after.stdout)["totals"] == json.loads(before.stdout)["totals"]


# (16) one clean line


def test_writing_into_a_missing_folder_names_the_users_path(traces: Path, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "nonexistent" / "b.json"
    line = one_line_error(invoke("check", str(traces), "--write-baseline", str(target)), str(target))
    assert ".tmp" not in line and "Errno" not in line and "no such folder" in line
    config = tmp_path / "nonexistent" / "x.toml"
    src = tmp_path / "code" / "pkg"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "new.py").write_text("class Thing: ...\n")
    (src / "old.py").write_text("from pkg.new import *\n")
    line = one_line_error(invoke("discover", str(src.parent), "-c", str(config), "--write"), str(config))
    assert ".tmp" not in line and "Errno" not in line


def test_strict_names_the_line_and_the_expected_structure(tmp_path: Path) -> None:
    wrong = tmp_path / "w.jsonl"
    wrong.write_text('{"resourceMetrics": []}\n{"resourceMetrics": ["x"]}\n')
    line = one_line_error(invoke("report", "--strict", str(wrong)), f"{wrong}:2")
    assert "has no attribute" not in line and "resourceMetrics" in line and "expected" in line


@pytest.mark.parametrize("args", [["report", "--top", "0"], ["check", "--max-uses", "-1"]])
def test_an_out_of_range_number_is_one_line(traces: Path, args: list[str]) -> None:  # noqa: F811
    one_line_error(invoke(*args, str(traces)), args[1])


# (17) filters and empty folders


def test_since_after_until_is_refused(traces: Path) -> None:  # noqa: F811
    one_line_error(invoke("report", str(traces), "--since", "2026-12-02", "--until", "2026-12-01"),
                   "--since", "--until")


@pytest.mark.parametrize("filters", [["--since", "2099-01-01"], ["--service", "nosuch"]])
def test_filters_that_leave_nothing_say_so(traces: Path, filters: list[str]) -> None:  # noqa: F811
    result = invoke("report", str(traces), *filters)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert "no process evidence in the data" not in first
    assert "left no process evidence" in first and filters[0] in first and filters[1] in first


@pytest.mark.parametrize("command", [
    ["report", "EMPTY"], ["plan", "EMPTY"], ["scan", "SRC", "--traces", "EMPTY"], ["audit", "SRC", "--traces", "EMPTY"],
    ["fix", "SRC", "--only-seen", "EMPTY"], ["check", "EMPTY"],
])
def test_an_empty_traces_folder_is_said_plainly(tmp_path: Path, command: list[str]) -> None:
    empty, src = tmp_path / "empty", tmp_path / "src"
    empty.mkdir()
    src.mkdir()
    (src / "a.py").write_text("x = 1\n")
    args = [str(empty) if a == "EMPTY" else str(src) if a == "SRC" else a for a in command]
    one_line_error(invoke(*args), f"no trace data in {empty}")


def test_check_allow_empty_still_passes_on_an_empty_folder(tmp_path: Path) -> None:
    assert invoke("check", str(tmp_path), "--allow-empty").exit_code == 0


# (18) display


def test_scan_says_1_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("import oldpkg.legacy\n")
    config = tmp_path / "c.toml"
    config.write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    result = invoke("scan", str(src), "-c", str(config))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n1 reference in 1 file (1 read)\n"), result.stdout


SHOP = {
    "shop/__init__.py": "", "shop/core/__init__.py": "", "shop/new/__init__.py": "", "shop/app/__init__.py": "",
    "shop/core/models.py": "class Product: ...\nItem = Product\n",
    "shop/new/things.py": "X = 1\n",
    "shop/app/two.py": "from shop.old.things import X; from shop.core.models import Item\n",
    "shop/app/star.py": "from shop.core.models import *\n\ndef make():\n    return Item()\n",
}
SHOP_TOML = '[redirects]\n"shop.core.models:Item" = "shop.core.models:Product"\n"shop.old.*" = "shop.new.*"\n'


@pytest.fixture
def shop(make_tree: Any, telemetry_output: Path) -> tuple[Path, Path, Path]:
    """A symbol rule within one module, a prefix rule, a line using both, a star import: traced."""
    import sys

    import ssot_runtime

    root = make_tree(SHOP)
    config = root / "ssot-runtime.toml"
    config.write_text(SHOP_TOML)
    with ssot_runtime.tracking(config) as hook:
        for name in ("two", "star"):
            source = root / "shop" / "app" / f"{name}.py"
            space = {"__name__": f"shop.app.{name}"}
            exec(compile(source.read_text(), str(source), "exec"), space)
            if name == "star":
                space["make"]()
        hook.flush()
    for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
        del sys.modules[name]
    return root, config, telemetry_output


def test_a_symbol_rule_heading_shows_the_names(shop: tuple[Path, Path, Path]) -> None:
    root, config, out = shop
    table = invoke("report", str(out), "--root", str(root), "-c", str(config)).stdout
    assert "shop.core.models -> shop.core.models" not in table
    # (the star import of the live module reads Item, and is no use of it: two.py's is the one)
    assert "shop.core.models:Item -> shop.core.models:Product  (1 use, 1 site, 1 process)" in table.splitlines()
    markdown = invoke("report", str(out), "--root", str(root), "-c", str(config), "-f", "markdown").stdout
    assert "## `shop.core.models:Item` -> `shop.core.models:Product`\n" in markdown


def test_the_html_shows_rules_as_written_and_counts_each_paths_own_uses(
        shop: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, config, out = shop
    page_file = tmp_path / "r.html"
    result = invoke("report", str(out), "--root", str(root), "-c", str(config), "-f", "html", "-o", str(page_file))
    assert result.exit_code == 0, result.output
    page = page_file.read_text()
    assert "rule <code>shop.old.*</code> &rarr; <code>shop.new.*</code>" in page
    assert "<h3><code>shop.core.models:Item</code> &rarr; <code>shop.core.models:Product</code></h3>" in page
    # two.py:1 holds one use of each path: each path's batch counts its own
    assert "2 uses of this path" not in page
    assert page.count("(1 use of this path; 1 use of other paths)") == 2


def test_a_star_import_of_a_live_module_is_not_in_the_plan(shop: tuple[Path, Path, Path]) -> None:
    """The review saw it under "Not placed ... changed" with a wrong reason: a star import reads
    every name and is no use of the legacy one (see docs/uses.md), so the plan has nothing for it."""
    root, config, out = shop
    plan = json.loads(invoke("plan", str(out), "--root", str(root), "-c", str(config), "-f", "json").stdout)
    files = [c["file"] for c in plan["unresolved"]] + [
        e["file"] for b in plan.get("batches", []) for e in b.get("edits", b.get("changes", []))]
    assert "shop/app/star.py" not in files and "shop/app/two.py" in files


def test_the_html_names_the_filters_that_left_nothing(traces: Path, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "c.toml"
    config.write_text('[redirects]\n"app.ws.unified_manager" = "app.ws.websocket_manager"\n')
    page = tmp_path / "r.html"
    result = invoke("report", str(traces), "-c", str(config), "--service", "nosuch", "-f", "html", "-o", str(page))
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert "the filters --service nosuch left no process evidence: nothing to conclude" in text
    assert "no process evidence in the data" not in text

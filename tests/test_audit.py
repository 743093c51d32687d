"""``audit`` and ``check --audit`` on the fixture project (tests/fixtures/consolidation) and its hand-written map."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssot_runtime.analysis.audit import build_audit, check_baseline
from ssot_runtime.analysis.interfaces import differences
from ssot_runtime.analysis.sources import Definition, build_index
from ssot_runtime.cli import app
from ssot_runtime.config import load_config

from .projects import clean_env

ROOT = Path(__file__).resolve().parent.parent


def docs_samples(after: str) -> list[list[str]]:
    """The ```text blocks of docs/discover-and-audit.md after a heading, as lines."""
    text = (ROOT / "docs" / "discover-and-audit.md").read_text().split(after, 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0].strip().splitlines() for block in text.split("```text\n")[1:]]
FIXTURE = ROOT / "tests" / "fixtures" / "consolidation"
CLI = str(Path(sys.executable).parent / "ssot-runtime")
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture whose ssot-runtime.toml is the hand-written map; the working directory."""
    target = tmp_path / "consolidation"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "hand-written.toml").rename(target / "ssot-runtime.toml")
    monkeypatch.chdir(target)
    return target


def audit_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["audit", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_every_import_path_of_the_manager(project: Path) -> None:
    doc = audit_json("app")
    manager = next(o for o in doc["objects"] if o["object"] == "app.ws.websocket_manager:WebSocketManager")
    paths = {(p["path"], p["how"], p["rule"], p["file"], p["line"], p["via"]) for p in manager["import_paths"]}
    assert paths == {
        ("app.ws.websocket_manager:WebSocketManager", "canonical", None, "app/ws/websocket_manager.py", 4,
         "definition"),
        ("app.ws.attr:Manager", "configured", "app.ws.attr:Manager", "app/ws/attr.py", 6, "alias line"),
        ("app.ws.attr:WebSocketManager", "configured", "app.ws.attr", "app/ws/attr.py", 5, "alias line"),
        ("app.ws.lazy:WebSocketManager", "configured", "app.ws.lazy", "app/ws/lazy.py", 9, "__getattr__"),
        ("app.ws.manager:WebSocketManager", "configured", "app.ws.manager", "app/ws/manager.py", 5, "re-export"),
        ("app.ws.star:UnifiedWebSocketManager", "configured", "app.ws.star", "app/ws/star.py", 1, "star import"),
        ("app.ws.star:WebSocketManager", "configured", "app.ws.star", "app/ws/star.py", 1, "star import"),
        ("app.ws.swapped:UnifiedWebSocketManager", "configured", "app.ws.swapped", "app/ws/swapped.py", 5,
         "forwarded"),
        ("app.ws.swapped:WebSocketManager", "configured", "app.ws.swapped", "app/ws/swapped.py", 5, "forwarded"),
        ("app.ws.unified_manager_compat:UnifiedWebSocketManager", "configured",
         "app.ws.unified_manager_compat:UnifiedWebSocketManager", "app/ws/unified_manager_compat.py", 3, "re-export"),
        ("app.ws.websocket_manager:UnifiedWebSocketManager", "configured",
         "app.ws.websocket_manager:UnifiedWebSocketManager", "app/ws/websocket_manager.py", 23, "alias line"),
        ("app.ws:WebSocketManager", "unconfigured", None, "app/ws/__init__.py", 3, "re-export"),
    }
    assert manager["import_paths_count"] == 12 and doc["objects"][0] is not None
    assert doc["objects"][0]["object"] == "app.ws.websocket_manager:WebSocketManager"  # the most paths first
    # the package's re-export is the only path in no rule: the one candidate for the map
    assert [(p["path"], p["object"]) for p in doc["unconfigured"]] == [
        ("app.ws:WebSocketManager", "app.ws.websocket_manager:WebSocketManager")]


def test_duplicates_and_what_blocks_merging_them(project: Path) -> None:
    doc = audit_json("app")
    assert [d["name"] for d in doc["duplicates"]] == ["ManagerProtocol", "WebSocketManager"]  # app.ws's re-export: not
    protocol = doc["duplicates"][0]
    assert [(d["object"], d["file"], d["line"]) for d in protocol["definitions"]] == [
        ("app.core.interfaces:ManagerProtocol", "app/core/interfaces.py", 8),
        ("app.ws.protocols:ManagerProtocol", "app/ws/protocols.py", 6)]
    core, ws = "app.core.interfaces", "app.ws.protocols"
    assert protocol["differences"] == [
        {"member": "add_connection", "in": {
            core: "(self, ws: object) -> None",
            ws: "(self, ws: object, user_id: str, *, room: str | None = None) -> None"}},
        {"member": "close", "in": {core: None, ws: "(self) -> None"}},
        {"member": "send", "in": {core: "(self, user_id: str, message: str, retries: int = 0) -> int",
                                  ws: "(self, user_id: str, message: str) -> int"}},
        {"member": "timeout", "in": {core: "attribute: float", ws: None}},
    ]
    manager = doc["duplicates"][1]
    assert {d["member"] for d in manager["differences"]} == {"add_connection", "broadcast", "connections",
                                                             "max_clients", "sockets"}
    assert [d["import_paths_count"] for d in manager["definitions"]] == [1, 12]


def test_the_formats(project: Path) -> None:
    doc = audit_json("app")
    assert doc["schema"] == "ssot-runtime/audit/v1"
    assert doc["totals"] == {"objects": 7, "import_paths": 27, "objects_with_several_paths": 6, "duplicates": 2,
                             "unconfigured": 1, "loaded_twice": None, "unused": None, "unread": 0}
    assert doc["unused"] is None and doc["loaded_twice"] is None  # no traces given
    table = runner.invoke(app, ["audit", "app"]).stdout
    assert table.startswith("7 objects reached by 27 import paths, 2 duplicate names, 1 unconfigured re-export\n")
    assert "WebSocketManager: 12 import paths -> 1 object (app.ws.websocket_manager:WebSocketManager)" in table
    markdown = runner.invoke(app, ["audit", "app", "--format", "markdown"]).stdout
    assert "### `WebSocketManager`: 12 import paths -> 1 object\n" in markdown
    assert "| `add_connection` | `(self, ws: object) -> None` | `(self, ws: object, user_id: str, *, room: str \\| " \
           "None = None) -> None` |" in markdown  # a | in a cell is escaped
    rows = list(csv.reader(io.StringIO(runner.invoke(app, ["audit", "app", "--format", "csv"]).stdout)))
    assert rows[0] == ["section", "name", "path", "how", "rule", "file", "line", "detail"]
    assert sum(1 for r in rows if r[0] == "import_path") == 27
    assert sum(1 for r in rows if r[0] == "duplicate") == 4
    written = runner.invoke(app, ["audit", "app", "--format", "json", "--output", "audit.json"])
    assert written.stdout == f"json audit written to {project / 'audit.json'}\n"
    assert json.loads((project / "audit.json").read_text()) == doc
    unwritable = runner.invoke(app, ["audit", "app", "--output", "nowhere/audit.txt"])
    assert unwritable.exit_code == 2 and unwritable.stderr.startswith("ssot-runtime: error: --output "
                                                                        "nowhere/audit.txt: cannot write: ")
    bad = runner.invoke(app, ["audit", "app", "--format", "yaml"])
    assert bad.exit_code == 2 and bad.stderr == "ssot-runtime: error: --format must be one of table, markdown, " \
                                                "json, csv, not 'yaml'\n"


def run_main(project: Path, output: str) -> None:
    result = subprocess.run([CLI, "run", "--output", output, "--", sys.executable, "main.py"], cwd=project,
                            env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_unused_legacy_paths_with_their_evidence(project: Path) -> None:
    run_main(project, "traces")
    doc = audit_json("app", "--traces", "traces")
    unused = doc["unused"]
    assert unused["evidence"]["processes"] == 1 and unused["evidence"]["start"] <= unused["evidence"]["end"]
    # main.py uses every shim but app.ws.swapped (and reads no attr.WebSocketManager, which is no rule)
    assert [(p["rule"], p["file"], p["mode"]) for p in unused["legacy_paths"]] == [
        ("app.ws.swapped", "app/ws/swapped.py", "redirect")]
    assert unused["undecided"] == []
    markdown = runner.invoke(app, ["audit", "app", "--traces", "traces", "--format", "markdown"]).stdout
    assert "## Configured legacy paths without use: ready to delete\n\nEvidence: no use in 1 process, " in markdown
    (project / "empty.jsonl").write_text("")  # read, and no process in it (an empty folder: no trace data)
    nothing = audit_json("app", "--traces", "empty.jsonl")["unused"]
    assert nothing == {"evidence": {"processes": 0, "start": None, "end": None}, "legacy_paths": [], "undecided": [],
                       "note": "no process evidence in the traces: nothing can be called unused"}


def test_check_audit_ratchet(project: Path) -> None:
    run_main(project, "traces")
    first = runner.invoke(app, ["check", "traces", "--audit"])
    assert first.exit_code == 1  # no baseline: every duplicate and unconfigured re-export is new
    assert "app/ws/__init__.py:3: new unconfigured re-export: app.ws:WebSocketManager -> " \
           "app.ws.websocket_manager:WebSocketManager (re-export); add a rule for it, or allow it with " \
           "--write-baseline" in first.stdout
    # a duplicate the baseline does not know: one finding, that cannot say which definition is the new one
    assert "new duplicate: class WebSocketManager, defined in 2 modules the baseline does not list it for: " \
           "app.services.manager:WebSocketManager at app/services/manager.py:4, " \
           "app.ws.websocket_manager:WebSocketManager at app/ws/websocket_manager.py:4" in first.stdout
    assert first.stdout.count("new duplicate") == 2 and "new definition" not in first.stdout
    written = runner.invoke(app, ["check", "traces", "--audit", "--write-baseline", "baseline.json"])
    assert written.exit_code == 0 and "2 duplicates, 1 unconfigured re-exports" in written.stdout
    assert json.loads((project / "baseline.json").read_text())["audit"] == {
        "duplicates": {"ManagerProtocol": ["app.core.interfaces", "app.ws.protocols"],
                       "WebSocketManager": ["app.services.manager", "app.ws.websocket_manager"]},
        "unconfigured": ["app.ws:WebSocketManager"]}
    assert runner.invoke(app, ["check", "traces", "--audit", "--baseline", "baseline.json"]).exit_code == 0
    (project / "app" / "extra.py").write_text("class ManagerProtocol:\n    pass\n\n\nOld = ManagerProtocol\n")
    worse = runner.invoke(app, ["check", "traces", "--audit", "--baseline", "baseline.json"])
    assert worse.exit_code == 1
    assert "app/extra.py:1: new definition of a duplicate: class app.extra:ManagerProtocol, also defined as " \
           "app.core.interfaces:ManagerProtocol, app.ws.protocols:ManagerProtocol" in worse.stdout
    assert "app/extra.py:5: new unconfigured re-export: app.extra:Old -> app.extra:ManagerProtocol (alias line)" \
        in worse.stdout
    assert "check failed: 2 audit findings beyond the baseline" in worse.stderr
    assert all(line in worse.stdout.splitlines() for line in docs_samples("## `check --audit`")[0])  # as documented
    # without --audit the same baseline checks the uses only
    assert runner.invoke(app, ["check", "traces", "--baseline", "baseline.json"]).exit_code == 0


def test_a_baseline_without_audit_allows_nothing() -> None:
    doc = build_audit(build_index([str(FIXTURE / "app")]), load_config(str(FIXTURE / "hand-written.toml")))
    offending, gone = check_baseline(doc, None)
    assert len(offending) == 3 and gone == []  # one per duplicate name, one re-export
    allowed = {"duplicates": {"Gone": ["x.y"]}, "unconfigured": ["x:y"]}
    assert check_baseline(doc, allowed)[1] == ["duplicate Gone", "unconfigured re-export x:y"]


# -- interfaces: pure logic ---------------------------------------------------------------------------

def _definition(source: str, module: str) -> Definition:
    import ast

    node = ast.parse(source).body[0]
    assert isinstance(node, (ast.ClassDef, ast.FunctionDef))
    return Definition(module, node.name, "class" if isinstance(node, ast.ClassDef) else "function", 1, node)


_methods = st.dictionaries(st.sampled_from(["send", "close", "add", "__call__", "_private"]),
                           st.sampled_from(["(self)", "(self, x)", "(self, x: int) -> int", "(self, *, y=1)"]),
                           max_size=4)


@given(a=_methods, b=_methods)
def test_differences_are_exactly_the_members_that_differ(a: dict[str, str], b: dict[str, str]) -> None:
    def source(methods: dict[str, str]) -> str:
        body = "".join(f"    def {name}{sig}: ...\n" for name, sig in methods.items()) or "    pass\n"
        return f"class C:\n{body}"

    found = differences([_definition(source(a), "m.a"), _definition(source(b), "m.b")])
    public = {n for n in {*a, *b} if not n.startswith("_") or n.startswith("__")}
    expected = {n for n in public if a.get(n) != b.get(n)}
    assert {d["member"] for d in found} == expected
    assert differences([_definition(source(a), "m.a"), _definition(source(a), "m.b")]) == []


# -- one file loaded under two module names: noted at exit ------------------------------------------

def test_the_exit_note_groups_module_objects_by_file() -> None:
    import types

    from ssot_runtime.hook.duplicates import loaded_twice

    first, second, alias = types.ModuleType("app.m"), types.ModuleType("m"), types.ModuleType("x")
    for module in (first, second):
        module.__file__ = "/src/app/m.py"
        module.Thing = type("Thing", (), {"__module__": module.__name__})
        module.Other = first.Thing  # an object of the other module: not defined by this one
    alias.__file__ = "/src/x.py"
    noted = loaded_twice({"app.m": first, "m": second, "x": alias, "x_again": alias, "odd": object()})
    assert [(n.file, n.modules, n.classes) for n in noted] == [("/src/app/m.py", ("app.m", "m"), ("Thing",))]
    for module in (first, second):  # an alias of a class: the same class under another name, not a second class
        module.Alias = module.Thing
    assert [n.classes for n in loaded_twice({"app.m": first, "m": second})] == [("Thing",)]


def test_a_file_imported_under_two_names_under_run(project: Path) -> None:
    result = subprocess.run([CLI, "run", "--output", "twice", "--", sys.executable, "twice.py"], cwd=project,
                            env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "False\n", result.stderr  # two class objects
    assert f"ssot-runtime: 2 files loaded under two module names (a module object and a class " \
           f"object per name each; see " \
           f"ssot-runtime audit --traces {project / 'twice'}):\n" \
           f"  {project / 'app/ws/__init__.py'}: app.ws, ws\n" \
           f"  {project / 'app/ws/websocket_manager.py'}: app.ws.websocket_manager, ws.websocket_manager\n" \
        in result.stderr
    doc = audit_json("app", "--traces", "twice")
    assert doc["loaded_twice"] == [
        {"file": "app/ws/__init__.py", "modules": ["app.ws", "ws"], "processes": 1, "classes": []},
        {"file": "app/ws/websocket_manager.py", "modules": ["app.ws.websocket_manager", "ws.websocket_manager"],
         "processes": 1, "classes": ["WebSocketManager"]}]  # UnifiedWebSocketManager is its alias
    markdown = runner.invoke(app, ["audit", "app", "--traces", "twice", "--format", "markdown"]).stdout
    assert "- `app/ws/websocket_manager.py` as `app.ws.websocket_manager`, `ws.websocket_manager` (1 process); " \
           "classes defined twice: `WebSocketManager`" in markdown
    table = runner.invoke(app, ["audit", "app", "--traces", "twice"]).stdout
    assert "as app.ws.websocket_manager, ws.websocket_manager (1 process); classes defined twice: WebSocketManager" \
        in table
    rows = csv.reader(io.StringIO(runner.invoke(app, ["audit", "app", "--traces", "twice", "--format", "csv"]).stdout))
    assert [r[7] for r in rows if r[0] == "loaded_twice"] == [
        "1 process", "1 process; classes defined twice: WebSocketManager"]
    # main.py imports each file once: nothing noted
    run_main(project, "once")
    assert audit_json("app", "--traces", "once")["loaded_twice"] == []


def test_the_pytest_plugin_notes_it_too(project: Path) -> None:
    (project / "test_twice.py").write_text("import runpy\n\ndef test_twice():\n    runpy.run_path('twice.py')\n")
    env = clean_env(SSOT_RUNTIME_OUTPUT=str(project / "session"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_twice.py",
                             "--ssot-runtime"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [e["file"] for e in audit_json("app", "--traces", "session")["loaded_twice"]] == [
        "app/ws/__init__.py", "app/ws/websocket_manager.py"]


# -- the new-user review: a "ready to delete" verdict is never wrong ---------------------------------

def corrupt_the_uses_line(project: Path, traces: str) -> Path:
    """The metrics file's first line (the uses) cut short; its evidence line kept."""
    metrics = next((project / traces).glob("*.metrics.jsonl"))
    lines = metrics.read_text().splitlines(keepends=True)
    assert "ssot.legacy.uses" in lines[0] and "ssot.legacy.uses" not in "".join(lines[1:])
    metrics.write_text(lines[0][: len(lines[0]) // 2] + "\n" + "".join(lines[1:]))
    return metrics


def test_audit_refuses_the_unused_verdict_from_traces_that_did_not_parse(project: Path) -> None:
    run_main(project, "traces")
    metrics = corrupt_the_uses_line(project, "traces")
    for fmt in ("table", "json", "markdown", "csv"):
        result = runner.invoke(app, ["audit", "app", "--traces", "traces", "--format", fmt])
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and f"traces/{metrics.name}:1; the uses it held are unknown" \
            in result.stderr
        assert result.stderr.startswith("ssot-runtime: error: audit: skipped 1 line that is not OTLP/JSON: ")
    # the document built from such data makes no claim either
    from ssot_runtime.traces.read import Filters, read

    doc = build_audit(build_index(["app"]), load_config("ssot-runtime.toml"), agg=read(["traces"], Filters()))
    assert doc["unused"]["legacy_paths"] == [] and f"(the first: traces/{metrics.name}:1)" in doc["unused"]["note"]
    # without --traces the audit still answers
    assert runner.invoke(app, ["audit", "app"]).exit_code == 0


def test_the_html_report_says_why_it_calls_nothing_unused_when_lines_were_skipped(project: Path) -> None:
    run_main(project, "traces")
    corrupt_the_uses_line(project, "traces")
    result = runner.invoke(app, ["report", "traces", "--format", "html", "--output", "report.html"])
    assert result.exit_code == 0, result.output
    page = (project / "report.html").read_text()
    assert "no use in" not in page
    assert "1 line of the traces did not parse" in page


def test_an_observe_rule_for_a_module_that_replaces_itself_is_never_ready_to_delete(project: Path) -> None:
    config = project / "ssot-runtime.toml"
    config.write_text(config.read_text().replace('"app.ws.swapped" = { to = "app.ws.websocket_manager", '
                                                 'mode = "redirect" }', '"app.ws.swapped" = { to = '
                                                 '"app.ws.websocket_manager", mode = "observe" }'))
    run_main(project, "traces")
    unused = audit_json("app", "--traces", "traces")["unused"]
    assert unused["legacy_paths"] == []
    assert [(p["rule"], p["mode"], p["reason"]) for p in unused["undecided"]] == [
        ("app.ws.swapped", "observe", "observe mode cannot see the uses of a module that replaces itself in "
         "sys.modules (app/ws/swapped.py:5): run it in redirect mode to count them")]
    markdown = runner.invoke(app, ["audit", "app", "--traces", "traces", "--format", "markdown"]).stdout
    assert "- `app.ws.swapped` (mode observe): not decided: observe mode cannot see" in markdown


def test_an_unused_path_says_what_can_go_and_its_real_mode(project: Path) -> None:
    config = project / "ssot-runtime.toml"
    config.write_text(config.read_text() + '"app.ws.protocols:Unused" = "app.ws.protocols:ManagerProtocol"\n')
    (project / "app" / "ws" / "protocols.py").write_text(
        (project / "app" / "ws" / "protocols.py").read_text() + "\n\nUnused = ManagerProtocol\n")
    run_main(project, "traces")
    doc = audit_json("app", "--traces", "traces")
    paths = {p["rule"]: p for p in doc["unused"]["legacy_paths"]}
    assert set(paths) == {"app.ws.swapped", "app.ws.protocols:Unused"}
    live = paths["app.ws.protocols:Unused"]
    line = (project / "app" / "ws" / "protocols.py").read_text().splitlines().index("Unused = ManagerProtocol") + 1
    assert (live["mode"], live["file"], live["line"]) == ("redirect", "app/ws/protocols.py", line)
    assert live["remove"] == f"the rule and the alias line at app/ws/protocols.py:{line} can go (the module stays)"
    assert paths["app.ws.swapped"]["remove"] == "the rule and app/ws/swapped.py can go"
    rows = [r for r in csv.reader(io.StringIO(runner.invoke(
        app, ["audit", "app", "--traces", "traces", "--format", "csv"]).stdout)) if r[0] == "unused"]
    assert sorted((r[2], r[3]) for r in rows) == [("app.ws.protocols:Unused", "redirect"),
                                                  ("app.ws.swapped", "redirect")]
    table = runner.invoke(app, ["audit", "app", "--traces", "traces"]).stdout
    assert f"app.ws.protocols:Unused (mode redirect): the rule and the alias line at " \
           f"app/ws/protocols.py:{line} can go" in table


def test_one_new_duplicate_is_one_finding_not_one_per_definition(project: Path) -> None:
    run_main(project, "traces")
    assert runner.invoke(app, ["check", "traces", "--audit", "--write-baseline", "baseline.json"]).exit_code == 0
    (project / "app" / "extra.py").write_text("def format_text(text: str) -> str:\n    return text\n")
    worse = runner.invoke(app, ["check", "traces", "--audit", "--baseline", "baseline.json"])
    assert worse.exit_code == 1
    found = [line for line in worse.stdout.splitlines() if line.startswith("new") or ": new" in line]
    assert found == ["new duplicate: function format_text, defined in 2 modules the baseline does not list it for: "
                     "app.core.interfaces:format_text at app/core/interfaces.py:16, "
                     "app.extra:format_text at app/extra.py:1"]
    assert "check failed: 1 audit finding beyond the baseline" in worse.stderr
    assert docs_samples("## `check --audit`")[1] == found  # the docs show the message as it is


def test_a_file_that_does_not_parse_is_said_by_audit_and_fails_check_audit(project: Path) -> None:
    run_main(project, "traces")
    assert runner.invoke(app, ["check", "traces", "--audit", "--write-baseline", "baseline.json"]).exit_code == 0
    (project / "app" / "broken.py").write_text("class Broken(\n")
    result = runner.invoke(app, ["audit", "app", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["totals"]["unread"] == 1
    assert [(u["module"], u["file"], u["line"]) for u in doc["unread"]] == [("app.broken", "app/broken.py", 1)]
    assert result.stderr.startswith("not read: app/broken.py:1: app.broken: does not parse: ")
    table = runner.invoke(app, ["audit", "app"]).stdout
    assert ", 1 file not read (they do not parse)\n" in table and "not read: app/broken.py:1: " in table
    checked = runner.invoke(app, ["check", "traces", "--audit", "--baseline", "baseline.json"])
    assert checked.exit_code == 1 and "app/broken.py:1: not audited: does not parse: " in checked.stdout


def test_signatures_are_written_as_pep_8_writes_them() -> None:
    import ast

    from ssot_runtime.analysis.interfaces import signature

    source = "def f(a, /, b: int = 1, c=2, *args: str, d: str | None = None, e=3, **kw: object) -> None: ..."
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert signature(node) == "(a, /, b: int = 1, c=2, *args: str, d: str | None = None, e=3, **kw: object) -> None"
    bare = ast.parse("def g(*, key, value: int = 0): ...").body[0]
    assert isinstance(bare, ast.FunctionDef) and signature(bare) == "(*, key, value: int = 0)"


def test_the_html_report_shows_the_audits_figures(project: Path) -> None:
    """`report --format html --audit FILE` (issue 15: "the audit's figures when present")."""
    run_main(project, "traces")
    written = runner.invoke(app, ["audit", "app", "--traces", "traces", "--format", "json", "--output", "audit.json"])
    assert written.exit_code == 0, written.output
    audit = json.loads((project / "audit.json").read_text())
    result = runner.invoke(app, ["report", "traces", "--format", "html", "--output", "page.html", "--audit",
                                 "audit.json"])
    assert result.exit_code == 0, result.output
    page = (project / "page.html").read_text()
    from ssot_runtime.analysis.audit import headline

    section = page[page.index('<section id="audit">'):page.index("</section>", page.index('<section id="audit">'))]
    assert headline(audit).replace("'", "&#x27;") in section
    manager = next(o for o in audit["objects"] if o["object"] == "app.ws.websocket_manager:WebSocketManager")
    assert f'<code>app.ws.websocket_manager:WebSocketManager</code></td><td class="num">' \
           f'{manager["import_paths_count"]} paths &rarr; 1 object' in section
    for dup in audit["duplicates"]:
        assert f"<code>{dup['name']}</code>" in section
    for item in audit["unconfigured"]:
        assert f"<code>{item['path']}</code>" in section
    plain = runner.invoke(app, ["report", "traces", "--format", "html", "--output", "plain.html"])
    assert plain.exit_code == 0 and 'id="audit"' not in (project / "plain.html").read_text()


def test_an_audit_file_that_is_not_one_is_one_line(project: Path) -> None:
    run_main(project, "traces")
    (project / "report.json").write_text(runner.invoke(app, ["report", "traces", "--format", "json"]).stdout)
    (project / "broken.json").write_text("{")
    cases = {
        ("--format", "html", "-o", "p.html", "--audit", "report.json"):
            "--audit report.json: expected an ssot-runtime/audit/v1 document (audit --format json), found "
            "'ssot-runtime/report/v1'",
        ("--format", "html", "-o", "p.html", "--audit", "missing.json"):
            "--audit missing.json: cannot read it: No such file or directory",
        ("--format", "json", "--audit", "report.json"):
            "--audit adds the audit's figures to the html page: with --format html only (the audit's own "
            "formats: ssot-runtime audit --format ...)",
    }
    for args, message in cases.items():
        result = runner.invoke(app, ["report", "traces", *args])
        assert result.exit_code == 2 and result.stderr == f"ssot-runtime: error: {message}\n", result.output
    broken = runner.invoke(app, ["report", "traces", "--format", "html", "-o", "p.html", "--audit", "broken.json"])
    assert broken.exit_code == 2 and broken.stderr.startswith("ssot-runtime: error: --audit broken.json: not JSON (")

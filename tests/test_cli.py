"""The command line: report, config and run."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ssot_runtime
from ssot_runtime.cli import app

from .conftest import CONFIG

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "ssot-runtime")


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def traces(app: Path, tmp_path: Path, telemetry_output: Path) -> Path:
    """Traces of a real run in this process: 1 import, 2 from-import names, 30 reads."""
    source = tmp_path / "user_app.py"
    source.write_text(textwrap.dedent("""
        import app.ws.unified_manager as legacy
        from app.ws.unified_manager import UnifiedWebSocketManager, helper
        from app.legacy.models import VALUE

        def handle():
            return legacy.helper()

        for _ in range(30):
            handle()
    """))
    with ssot_runtime.tracking({**CONFIG, "service_name": "api"}) as hook:
        exec(compile(source.read_text(), str(source), "exec"), {"__name__": "user_app"})
        hook.flush()
    return telemetry_output


def report_json(*args: str) -> dict[str, Any]:
    result = invoke("report", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_report_json_has_the_contract_shape(traces: Path, tmp_path: Path) -> None:
    doc = report_json(str(traces))
    assert doc["schema"] == "ssot-runtime/report/v1"
    assert doc["sources"] == {"files": 2, "lines": doc["sources"]["lines"], "skipped_lines": 0}
    assert doc["totals"] == {"legacy_paths": 2, "sites": 5, "uses": 34}
    first, second = doc["legacy_paths"]
    assert (first["legacy"], first["canonical"], first["uses"]) == ("app.ws.unified_manager",
                                                                   "app.ws.websocket_manager", 33)
    assert (second["legacy"], second["uses"]) == ("app.legacy.models", 1)
    assert first["sites_count"] == 4 and first["files_count"] == 1
    assert first["services"] == ["api"] and first["processes"] == 1
    assert first["import_seconds"]["count"] == 1 and first["import_seconds"]["max"] > 0
    assert first["first_seen"].endswith("Z") and first["last_seen"] >= first["first_seen"]
    top = first["sites"][0]
    assert set(top) >= {"file", "line", "function", "symbol", "canonical_symbol", "uses", "first_seen", "last_seen"}
    assert (top["file"], top["line"], top["function"], top["symbol"], top["uses"]) == (
        str(tmp_path / "user_app.py"), 7, "user_app.handle", "helper", 30)
    renamed = next(s for s in first["sites"] if s["symbol"] == "UnifiedWebSocketManager")
    assert renamed["canonical_symbol"] == "WebSocketManager"
    module_use = next(s for s in first["sites"] if s["symbol"] is None)
    assert module_use["uses"] == 1
    assert [s["uses"] for s in first["sites"]] == sorted((s["uses"] for s in first["sites"]), reverse=True)


def test_report_paths_filters_and_top(traces: Path, tmp_path: Path) -> None:
    doc = report_json(str(traces), "--root", str(tmp_path), "--top", "1")
    assert [len(p["sites"]) for p in doc["legacy_paths"]] == [1, 1]
    assert doc["legacy_paths"][0]["sites"][0]["file"] == "user_app.py"
    mapped = report_json(str(traces), "--path-map", f"{tmp_path}/=src/")
    assert mapped["legacy_paths"][0]["sites"][0]["file"] == "src/user_app.py"
    only = report_json(str(traces), "--legacy", "app.legacy.*")
    assert [p["legacy"] for p in only["legacy_paths"]] == ["app.legacy.models"]
    assert report_json(str(traces), "--service", "other")["totals"]["uses"] == 0
    assert report_json(str(traces), "--since", "2999-01-01")["totals"]["uses"] == 0
    assert report_json(str(traces), "--until", "2000-01-01")["totals"]["uses"] == 0
    assert report_json(str(traces), "--since", "2000-01-01T00:00:00Z")["totals"]["uses"] == 34


def test_report_reads_globs_gzip_and_stdin(traces: Path, tmp_path: Path) -> None:
    (metrics,) = traces.glob("*.metrics.jsonl")
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(metrics.read_bytes()))
    assert report_json(str(packed))["totals"]["uses"] == 34
    assert report_json(str(traces / "*.metrics.jsonl"))["totals"]["uses"] == 34
    result = invoke("report", "-", "--format", "json", input=metrics.read_text())
    assert json.loads(result.stdout)["totals"]["uses"] == 34
    # Two copies of the same process's file are two readings of the same delta points.
    nested = tmp_path / "nested" / "deeper"
    nested.mkdir(parents=True)
    shutil.copy(metrics, nested / "copy.metrics.jsonl")
    assert report_json(str(tmp_path / "nested"))["totals"]["uses"] == 34


def test_report_formats(traces: Path) -> None:
    table = invoke("report", str(traces)).stdout
    assert "app.ws.unified_manager -> app.ws.websocket_manager" in table and "helper" in table
    markdown = invoke("report", str(traces), "--format", "markdown").stdout
    assert markdown.startswith("# Legacy import paths still in use") and "| file:line |" in markdown
    csv_text = invoke("report", str(traces), "--format", "csv").stdout.splitlines()
    assert csv_text[0] == "legacy,canonical,symbol,canonical_symbol,file,line,function,uses,first_seen,last_seen"
    assert len(csv_text) == 1 + 5
    assert invoke("report", str(traces), "--format", "xml").exit_code == 2


def test_bad_lines_are_skipped_and_counted_or_fatal_with_strict(traces: Path, tmp_path: Path) -> None:
    (metrics,) = traces.glob("*.metrics.jsonl")
    broken = tmp_path / "broken.jsonl"
    good = len(metrics.read_text().splitlines())  # the flush's line and the exit's (process evidence)
    broken.write_text(metrics.read_text() + "{not json\n" + '{"resourceMetrics": [{"scopeMetrics": 3}]}\n')
    result = invoke("report", str(broken), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sources"]["skipped_lines"] == 2
    assert f"{broken}:{good + 1}" in result.stderr and f"{broken}:{good + 2}" in result.stderr
    strict = invoke("report", str(broken), "--strict")
    assert strict.exit_code == 2 and f"{broken}:{good + 1}" in strict.stderr
    assert invoke("report", str(tmp_path / "missing")).exit_code == 2


def _collector_line(value: int, time_ns: int, start_ns: int, line: int) -> str:
    """A line as the Collector's file exporter writes it: cumulative, older code.* names."""
    point = {"attributes": [
        {"key": "ssot.legacy.module", "value": {"stringValue": "old.mod"}},
        {"key": "ssot.canonical.module", "value": {"stringValue": "new.mod"}},
        {"key": "ssot.mode", "value": {"stringValue": "warn"}},
        {"key": "code.filepath", "value": {"stringValue": "/app/svc/handlers.py"}},
        {"key": "code.lineno", "value": {"intValue": str(line)}},
        {"key": "code.function", "value": {"stringValue": "handle"}}],
        "startTimeUnixNano": str(start_ns), "timeUnixNano": str(time_ns), "asInt": str(value)}
    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "billing"}}]},
        "scopeMetrics": [{"scope": {"name": "ssot_runtime"}, "metrics": [{
            "name": "ssot.legacy.uses", "unit": "{use}",
            "sum": {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [point]}}]}]}]}) + "\n"


def test_report_reads_the_collector_file_exporter_layout(tmp_path: Path) -> None:
    second = 1_800_000_000_000_000_000
    lines = [
        _collector_line(10, second + 60 * 10**9, second, 12),
        _collector_line(25, second + 120 * 10**9, second, 12),  # cumulative: the latest counts
        _collector_line(4, second + 600 * 10**9, second + 500 * 10**9, 12),  # the process restarted
        _collector_line(7, second + 120 * 10**9, second, 40),
    ]
    path = tmp_path / "collector.json"
    path.write_text("".join(lines))
    doc = report_json(str(path), "--path-map", "/app/=src/")
    (entry,) = doc["legacy_paths"]
    assert entry["uses"] == 25 + 4 + 7 and entry["services"] == ["billing"]
    assert [(s["file"], s["line"], s["uses"]) for s in entry["sites"]] == [
        ("src/svc/handlers.py", 12, 29), ("src/svc/handlers.py", 40, 7)]
    assert entry["sites"][0]["function"] == "handle"


def test_config_command(tmp_path: Path, app: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[redirects]\n"app.ws.unified_manager" = "app.ws.websocket_manager"\n')
    result = invoke("config", "--config", str(good))
    assert result.exit_code == 0 and "ok: 1 rule from" in result.stdout
    missing = tmp_path / "missing.toml"
    missing.write_text('[redirects]\n"app.old" = "app.not_there"\n')
    result = invoke("config", "--config", str(missing))
    assert result.exit_code == 1 and "app.not_there" in result.stdout
    shadowed = tmp_path / "shadowed.toml"
    shadowed.write_text('[redirects]\n"app.helpers" = "app.core.models"\n')
    assert "still exists on disk" in invoke("config", "--config", str(shadowed)).stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("bogus = 1\n")
    result = invoke("config", "--config", str(bad))
    assert result.exit_code == 2 and str(bad) in result.stderr and "Traceback" not in result.stderr


def test_config_checks_canonical_symbols_and_live_modules_from_the_project_root(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src" / "app" / "ws").mkdir(parents=True)
    for init in ("app", "app/ws"):
        (root / "src" / init / "__init__.py").write_text("")
    (root / "src" / "app" / "ws" / "websocket_manager.py").write_text("class WebSocketManager:\n    pass\n")
    (root / "src" / "app" / "ws" / "unified_manager.py").write_text("class WebSocketManagerMode:\n    pass\n")
    (root / "src" / "app" / "broken.py").write_text("raise RuntimeError('boom')\n")
    good = ('"app.ws.unified_manager:UnifiedWebSocketManager" = "app.ws.websocket_manager:WebSocketManager"\n')
    config = root / "ssot-runtime.toml"
    config.write_text("[redirects]\n" + good)
    assert "ok: 1 rule from" in invoke("config", "--config", str(config)).stdout  # src/ is on sys.path
    config.write_text("[redirects]\n" + good +
                      '"app.ws.unified_manager:Old" = "app.ws.websocket_manager:WebSocketManagr"\n'
                      '"app.broken:Thing" = "app.ws.websocket_manager:WebSocketManager"\n'
                      '"app.ws.unified_manager:Other" = "app.nowhere:Thing"\n')
    result = invoke("config", "--config", str(config))
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1 and len(errors) == 3, result.stdout
    assert errors[0] == (f"error: {config}, key 'redirects.app.ws.unified_manager:Old': "
                         "canonical 'app.ws.websocket_manager' has no 'WebSocketManagr'")
    assert "key 'redirects.app.broken:Thing': live module 'app.broken' does not import: RuntimeError: boom" \
        in errors[1]
    assert "key 'redirects.app.ws.unified_manager:Other': canonical module 'app.nowhere' does not import" in errors[2]


# -- run, in real processes ---------------------------------------------------------------------
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("def work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    return root


def cli_run(root: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}
    environ["PYTHONPATH"] = str(root)
    environ.update(env or {})
    return subprocess.run([CLI, "run", "--output", str(root / "out"), "--", *command], cwd=root, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_run_covers_child_processes_and_reports_them(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "main.py").write_text(textwrap.dedent("""
        import multiprocessing, subprocess, sys
        import oldpkg.legacy

        def task(n):
            import oldpkg.legacy
            return oldpkg.legacy.work()

        if __name__ == "__main__":
            oldpkg.legacy.work()
            subprocess.run([sys.executable, "-c", "import oldpkg.legacy as L; L.work(); L.work()"], check=True)
            subprocess.run([sys.executable, "-m", "oldpkg.legacy"], check=True)
            pool = multiprocessing.get_context("spawn").Pool(1)
            assert pool.map(task, [1, 2]) == [1, 1]
            pool.close(); pool.join()
    """))
    result = cli_run(root, sys.executable, "main.py")
    assert result.returncode == 0, result.stderr
    assert f"traces in {root / 'out'}" in result.stderr
    doc = report_json(str(root / "out"))
    (entry,) = doc["legacy_paths"]
    # main: import + work; -c: import + 2 reads; -m: 1; spawn worker: main's import + 2 tasks x (import + read).
    assert entry["uses"] == 2 + 3 + 1 + 1 + 4
    assert entry["processes"] == 4


def test_run_passes_exit_status_and_signals_through(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert cli_run(root, sys.executable, "-c", "raise SystemExit(3)").returncode == 3
    killed = cli_run(root, sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert killed.returncode == -signal.SIGTERM
    assert cli_run(root, "no-such-program-here").returncode == 127
    assert cli_run(root).returncode == 2


def test_run_keeps_the_users_sitecustomize(tmp_path: Path) -> None:
    root = project(tmp_path)
    user_site = tmp_path / "usersite"
    user_site.mkdir()
    (user_site / "sitecustomize.py").write_text("import sys\nprint('user sitecustomize ran in', sys.argv[0])\n")
    result = cli_run(root, sys.executable, "-c", "import oldpkg.legacy; print('ok')",
                     env={"PYTHONPATH": os.pathsep.join([str(root), str(user_site)])})
    assert result.returncode == 0, result.stderr
    # The child runs it (the ssot-runtime command's own interpreter does too, as it would anyway).
    assert result.stdout.splitlines()[-2:] == ["user sitecustomize ran in -c", "ok"]


def test_run_refuses_a_bad_config(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "ssot-runtime.toml").write_text("bogus = 1\n")
    result = cli_run(root, sys.executable, "-c", "pass")
    assert result.returncode == 2 and "bogus" in result.stderr and "Traceback" not in result.stderr


def test_the_example_sitecustomize_is_the_one_run_uses() -> None:
    packaged = ROOT / "src" / "ssot_runtime" / "_startup" / "sitecustomize.py"
    assert packaged.read_text() == (ROOT / "sitecustomize_example" / "sitecustomize.py").read_text()


def test_check_is_a_ratchet(traces: Path, tmp_path: Path) -> None:
    result = invoke("check", str(traces))
    assert result.exit_code == 1 and "new legacy path" in result.stdout  # no baseline: nothing allowed
    baseline = tmp_path / "baseline.json"
    assert invoke("check", str(traces), "--write-baseline", str(baseline)).exit_code == 0
    assert json.loads(baseline.read_text())["schema"] == "ssot-runtime/baseline/v1"
    passed = invoke("check", str(traces), "--baseline", str(baseline))
    assert passed.exit_code == 0 and "check passed" in passed.stdout
    assert invoke("check", str(traces), "--baseline", str(baseline), "--max-uses", "10").exit_code == 1
    # A baseline with one site fewer: that site is new; one more: it is listed as gone.
    data = json.loads(baseline.read_text())
    sites = data["legacy_paths"]["app.ws.unified_manager"]["sites"]
    removed = sites.pop(0)
    sites.append("old/file.py::old.function::helper")
    baseline.write_text(json.dumps(data))
    failed = invoke("check", str(traces), "--baseline", str(baseline))
    assert failed.exit_code == 1 and "new site" in failed.stdout and removed.split("::")[0] in failed.stdout
    assert "gone: old/file.py" in failed.stdout
    baseline.write_text("{}")
    assert invoke("check", str(traces), "--baseline", str(baseline)).exit_code == 2


def test_plan_applied_to_the_demo_leaves_its_tests_green_and_no_legacy_use(tmp_path: Path) -> None:
    from ssot_runtime.analysis import plan as _plan

    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "sitecustomize_example", demo, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}

    def run_demo(output: Path) -> None:
        result = subprocess.run([CLI, "run", "--config", "ssot-runtime.toml", "--output", str(output), "--",
                                 sys.executable, "main.py"], cwd=demo, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr

    run_demo(tmp_path / "before")
    before = report_json(str(tmp_path / "before"))
    assert before["totals"]["legacy_paths"] == 4
    result = runner.invoke(app, ["plan", str(tmp_path / "before"), "--root", str(demo), "--config",
                                 str(demo / "ssot-runtime.toml"), "--format", "json", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["unresolved"] == []
    assert [b["priority"] for b in plan["batches"]][:1] == ["critical"]
    assert all(len(b["files"]) <= 2 for b in plan["batches"])
    assert plan["batches"][0]["verify"] == "python -m pytest -q tests"
    changes = [c for b in plan["batches"] for c in b["changes"]]
    assert {"file": "chat/routes/chat.py", "line": 4, "legacy": "chat.ws.unified_manager", "status": "replace",
            "before": "from chat.ws.unified_manager import UnifiedWebSocketManager",
            "after": "from chat.ws.websocket_manager import WebSocketManager as UnifiedWebSocketManager",
            "uses": 1} in [{k: v for k, v in c.items() if k != "sites"} for c in changes]
    assert _plan.apply_plan(plan, str(demo)) == len(changes)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=demo,
                           env=env, capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    run_demo(tmp_path / "after")
    assert report_json(str(tmp_path / "after"))["totals"]["uses"] == 0


def test_plan_lists_missing_and_changed_sources(traces: Path, tmp_path: Path) -> None:
    (tmp_path / "user_app.py").write_text("# rewritten since the trace\n" * 12)
    result = invoke("plan", str(traces), "--root", str(tmp_path), "--format", "json")
    plan = json.loads(result.stdout)
    assert {c["status"] for c in plan["unresolved"]} == {"changed"}
    (tmp_path / "user_app.py").unlink()
    plan = json.loads(invoke("plan", str(traces), "--root", str(tmp_path), "--format", "json").stdout)
    assert {c["status"] for c in plan["unresolved"]} == {"missing"} and plan["batches"] == []


def test_run_mode_option(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "helper_mod.py").write_text("import oldpkg.legacy\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}
    environ["PYTHONPATH"] = str(root)
    warned = subprocess.run([CLI, "run", "--mode", "warn", "--output", str(root / "out"), "--", sys.executable,
                             "-c", "import helper_mod"], cwd=root, env=environ, capture_output=True, text=True,
                            timeout=120)
    assert warned.returncode == 0 and "helper_mod.py:1: LegacyImportWarning" in warned.stderr
    refused = subprocess.run([CLI, "run", "--mode", "error", "--output", str(root / "out"), "--", sys.executable,
                              "-c", "import helper_mod"], cwd=root, env=environ, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1 and "LegacyImportError" in refused.stderr
    assert invoke("run", "--mode", "loud", "--", "true").exit_code == 2

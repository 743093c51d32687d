"""No evidence is not "no uses": every process under the hook leaves evidence that it ran (issue 12)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app

from .otlp_receivers import HttpReceiver
from .projects import clean_env, legacy_project

runner = CliRunner()
CLI = str(Path(sys.executable).parent / "ssot-runtime")
SPAN = re.compile(r"in (\d+) process(?:es)?, \d{4}-\d\d-\d\d \d\d:\d\d - (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC")


project = legacy_project


def python(root: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=root, capture_output=True, text=True,
                          env=clean_env(PYTHONPATH=str(root), **env), timeout=60)


def run(root: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "run", "--output", str(root / "out"), "--", *command], cwd=root,
                          capture_output=True, text=True, env=clean_env(PYTHONPATH=str(root), **env), timeout=60)


def report(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


ZERO_USE = """
    import sys, ssot_runtime
    ssot_runtime.install({"redirects": {"oldpkg.legacy": "newpkg.canonical"}})
    import newpkg.canonical
    print("sdk at start-up:", any(name.startswith("opentelemetry") for name in sys.modules))
"""


def test_a_process_with_no_use_leaves_its_resource_times_and_a_zero(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = root / "out"
    result = python(root, ZERO_USE, SSOT_RUNTIME_OUTPUT=str(out))
    assert result.returncode == 0, result.stderr
    assert "sdk at start-up: False" in result.stdout  # the import path paid nothing: all at exit
    (metrics,) = out.glob("*.metrics.jsonl")
    (line,) = metrics.read_text().splitlines()
    (rm,) = json.loads(line)["resourceMetrics"]
    resource = {a["key"]: a["value"] for a in rm["resource"]["attributes"]}
    assert {"service.name", "service.instance.id", "process.pid", "host.name"} <= set(resource)
    (metric,) = rm["scopeMetrics"][0]["metrics"]
    assert metric["name"] == "ssot.process.uses"
    (point,) = metric["gauge"]["dataPoints"]
    assert point["asInt"] == "0"
    start = int(next(a["value"]["intValue"] for a in point["attributes"]
                     if a["key"] == "ssot.process.start_unix_nano"))
    assert 0 < start <= int(point["timeUnixNano"])
    doc = report(str(out))
    assert doc["totals"]["uses"] == 0
    assert doc["coverage"]["processes"] == 1 and doc["coverage"]["processes_with_evidence"] == 1
    assert doc["coverage"]["start"] <= doc["coverage"]["end"]


def test_a_process_with_no_use_leaves_evidence_over_otlp(tmp_path: Path) -> None:
    root = project(tmp_path)
    receiver = HttpReceiver()
    try:
        code = ZERO_USE.replace('{"redirects"', '{"exporters": ["otlp"], "redirects"')
        result = python(root, code, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for(lambda r: bool(r.metrics), timeout=10)
        points = [(metric.name, point.as_int) for request in receiver.metrics for rm in request.resource_metrics
                  for sm in rm.scope_metrics for metric in sm.metrics for point in metric.gauge.data_points]
        assert points == [("ssot.process.uses", 0)]
    finally:
        receiver.stop()


def test_report_and_check_say_how_many_processes_and_which_span(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = root / "out"
    assert python(root, ZERO_USE, SSOT_RUNTIME_OUTPUT=str(out)).returncode == 0
    assert python(root, ZERO_USE, SSOT_RUNTIME_OUTPUT=str(out)).returncode == 0
    checked = runner.invoke(app, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "check passed: 0 legacy uses in 2 processes, " in checked.stdout
    assert SPAN.search(checked.stdout) and SPAN.search(checked.stdout).group(1) == "2"  # type: ignore[union-attr]
    used = python(root, ZERO_USE + "    import oldpkg.legacy\n", SSOT_RUNTIME_OUTPUT=str(out))
    assert used.returncode == 0, used.stderr
    for fmt in ("table", "markdown"):
        text = " ".join(runner.invoke(app, ["report", str(out), "--format", fmt]).stdout.split())
        assert "1 legacy use in 3 processes, " in text and SPAN.search(text)
        assert "1 use at 1 site in 1 file" in text or "(1 use, 1 site, 1 process)" in text
        assert "1 uses" not in text and "1 sites" not in text and "1 processes" not in text
    assert report(str(out))["coverage"]["processes"] == 3


def test_check_fails_without_process_evidence_or_on_unreadable_lines(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["check", str(empty)])
    assert result.exit_code == 2 and f"no trace data in {empty}" in result.stderr and "--allow-empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert runner.invoke(app, ["check", str(empty), "--allow-empty"]).exit_code == 0
    assert runner.invoke(app, ["check", str(tmp_path / "wrong")]).exit_code == 2
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "x.jsonl").write_text("garbage line\n" * 5000)
    bad = runner.invoke(app, ["check", str(garbage)])
    assert bad.exit_code == 2 and "skipped 5000 lines" in bad.stderr and "--skip-bad-lines" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    skipped = runner.invoke(app, ["check", str(garbage), "--skip-bad-lines"])
    assert skipped.exit_code == 2 and "no process evidence" in skipped.stderr  # garbage is no evidence either
    assert runner.invoke(app, ["check", str(garbage), "--skip-bad-lines", "--allow-empty"]).exit_code == 0


@pytest.mark.parametrize("command", [
    ["report"], ["plan"], ["check", "--skip-bad-lines", "--allow-empty"], ["scan", "SRC", "--traces"],
    ["fix", "SRC", "--only-seen"],
])
def test_every_reader_command_reports_skipped_lines_the_same_way(tmp_path: Path, command: list[str]) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.py").write_text("x = 1\n")
    traces = tmp_path / "traces.jsonl"
    traces.write_text('{"resourceMetrics": []}\nnot json\n')
    config = tmp_path / "ssot-runtime.toml"
    config.write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    args = [str(source) if part == "SRC" else part for part in command]
    if args[-1] in ("--traces", "--only-seen"):
        args.append(str(traces))
    else:
        args.insert(1, str(traces))
    result = runner.invoke(app, [*args, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"warning: skipped 1 line that is not OTLP/JSON: {traces}:2\n" in result.stderr


@pytest.mark.parametrize("mode", ["redirect", "warn", "observe"])
@pytest.mark.parametrize("how", ["-c", "stdin", "-W error -c"])
def test_code_from_the_command_line_is_counted_in_every_mode(tmp_path: Path, mode: str, how: str) -> None:
    root = project(tmp_path, f'mode = "{mode}"\n')
    (root / "oldpkg").mkdir()
    (root / "oldpkg" / "__init__.py").write_text("")
    (root / "oldpkg" / "legacy.py").write_text("from newpkg.canonical import *\n")  # observe runs the shim
    code = "import oldpkg.legacy as legacy; legacy.X"
    if how == "stdin":
        result = subprocess.run([CLI, "run", "--output", str(root / "out"), "--", sys.executable, "-"], input=code,
                                cwd=root, capture_output=True, text=True, env=clean_env(PYTHONPATH=str(root)),
                                timeout=60)
    else:
        result = run(root, sys.executable, *how.split()[:-1], "-c", code)
    assert (result.returncode == 0) == (how != "-W error -c" or mode != "warn"), result.stderr
    doc = report(str(root / "out"))
    (entry,) = doc["legacy_paths"]
    expected = 1 if how == "-W error -c" and mode == "warn" else 2  # -W error: the import raised, counted
    assert entry["uses"] == expected
    assert {s["file"] for s in entry["sites"]} == {"<stdin>" if how == "stdin" else "<string>"}


def _other_interpreter() -> str | None:
    """An interpreter that honours PYTHONPATH but cannot import ssot_runtime (the base of this venv)."""
    for candidate in (os.path.join(sys.base_prefix, "bin", "python3"), "/usr/bin/python3"):
        if os.path.exists(candidate) and os.path.realpath(candidate) != os.path.realpath(sys.executable):
            probe = subprocess.run([candidate, "-c", "import ssot_runtime"], capture_output=True,
                                   env=clean_env(), timeout=30)
            if probe.returncode != 0:
                return candidate
    return None


def test_run_says_when_the_hook_did_not_start_and_check_fails(tmp_path: Path) -> None:
    other = _other_interpreter()
    if other is None:
        pytest.skip("no interpreter without ssot_runtime here")
    root = project(tmp_path)
    result = run(root, other, "-c", "print('app ran')")
    assert result.returncode == 0 and "app ran" in result.stdout
    assert "the hook did not start in this process" in result.stderr and "cannot import ssot_runtime" in result.stderr
    assert "no process of this run left evidence" in result.stderr and "traces in" not in result.stderr
    checked = runner.invoke(app, ["check", str(root / "out")])
    assert checked.exit_code == 2 and "no trace data in" in checked.stderr  # the hook wrote no file
    # Without the start-up at all (-S: no site, so neither run's .pth nor PYTHONPATH's sitecustomize;
    # -I alone still reads site-packages' .pth files): no message from the child, run still tells.
    isolated = run(root, sys.executable, "-I", "-S", "-c", "pass")
    assert "no process of this run left evidence" in isolated.stderr


def test_run_says_where_the_data_went(tmp_path: Path) -> None:
    root = project(tmp_path)
    local = run(root, sys.executable, "-c", "import oldpkg.legacy")
    assert f"traces in {root / 'out'} (1 process left evidence)" in local.stderr
    (root / "ssot-runtime.toml").write_text('exporters = ["otlp"]\nexport_timeout = 0.5\n'
                                           '[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    import shutil

    shutil.rmtree(root / "out")
    otlp = run(root, sys.executable, "-c", "import oldpkg.legacy", OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert "exported over OTLP to http://127.0.0.1:9" in otlp.stderr
    assert "traces in" not in otlp.stderr and str(root / "out") not in otlp.stderr
    assert not (root / "out").exists()  # not even an empty folder


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("logging_configured", [False, True])
def test_an_unreachable_collector_is_one_line_of_ours(tmp_path: Path, logging_configured: bool) -> None:
    root = project(tmp_path)
    setup = "import logging; logging.basicConfig(format='LOG %(name)s %(message)s')\n" if logging_configured else ""
    code = setup + textwrap.dedent("""
        import ssot_runtime
        ssot_runtime.install({"exporters": ["otlp"], "export_timeout": 1,
                              "redirects": {"oldpkg.legacy": "newpkg.canonical"}})
        import oldpkg.legacy
    """)
    result = python(root, code, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
                    OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
    assert result.returncode == 0
    lines = result.stderr.strip().splitlines()
    # Ours (the notice, or our logger's line when logging is configured) may quote the SDK's error.
    theirs = [line for line in lines if not line.startswith(("ssot-runtime:", "LOG ssot_runtime "))]
    assert not any("Transient error" in line or "Failed to export" in line for line in theirs), result.stderr
    if logging_configured:
        assert len(lines) == 1 and lines[0].startswith("LOG ssot_runtime") and "exporter failed" in lines[0]
    else:  # a hook that cannot export says so once on stderr, whatever the logging does (issue 11)
        assert len(lines) == 1 and lines[0].startswith("ssot-runtime: export to otlp failed, uses may be lost: ")

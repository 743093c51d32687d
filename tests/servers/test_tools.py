"""The tools that hook start-up beside us: ``opentelemetry-instrument`` in both orders (its
spans still produced, our uses all counted) and coverage measuring subprocesses (its data
exact, and nothing of it started in the ``ssot-runtime`` wrapper itself)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from . import harness

OTEL_APP = """
import uses
from opentelemetry import trace

uses.per_request()
with trace.get_tracer("app").start_as_current_span("app-span"):
    pass
print("global provider:", type(trace.get_tracer_provider()).__name__, flush=True)
"""
OTEL_ENV = {"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            "OTEL_SERVICE_NAME": "otel-app"}


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=harness.environment(env), capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize("order", ["run-then-instrument", "instrument-then-run"])
def test_opentelemetry_instrument_in_either_order(tmp_path: Path, order: str) -> None:
    project = harness.write_project(tmp_path, {"app.py": OTEL_APP})
    output = project / "out"
    python = str(harness.BIN / "python")
    instrument = str(harness.BIN / "opentelemetry-instrument")
    if order == "run-then-instrument":
        command = harness.run_under_hook([instrument, python, "app.py"], output)
        env = OTEL_ENV
    else:
        # opentelemetry-instrument would read our --config as an abbreviation of its own options.
        command = [instrument, str(harness.BIN / "ssot-runtime"), "run", "--", python, "app.py"]
        env = {**OTEL_ENV, "SSOT_RUNTIME_CONFIG": str(project / "ssot.toml"), "SSOT_RUNTIME_OUTPUT": str(output)}
    result = run(command, project, env)
    assert result.returncode == 0, result.stderr
    assert "global provider: TracerProvider" in result.stdout  # the SDK's, set by the instrumentation
    spans = [line for line in result.stdout.splitlines() if '"name": "app-span"' in line]
    assert len(spans) == 1, result.stdout  # the application's own span, through its own pipeline
    assert '"service.name": "otel-app"' in result.stdout
    assert harness.reported(output) == {("Thing", "uses.py", 2): 1, (None, "uses.py", 6): 1, ("func", "uses.py", 7): 1}


COVERAGE_APP = """
import subprocess, sys
import uses

uses.per_request()
subprocess.run([sys.executable, "child.py"], check=True)
"""
CHILD = """
import uses

for _ in range(2):
    uses.per_request()
print("child done")
"""


def coverage_project(tmp_path: Path) -> Path:
    project = harness.write_project(tmp_path, {"app.py": COVERAGE_APP, "child.py": CHILD})
    (project / ".coveragerc").write_text("[run]\nparallel = true\npatch = subprocess\nsource = .\n")
    return project


def covered(project: Path) -> dict[str, list[int]]:
    combine = run([str(harness.BIN / "coverage"), "combine"], project)
    assert combine.returncode == 0, combine.stdout + combine.stderr
    report = run([str(harness.BIN / "coverage"), "json", "-o", "-"], project)
    files = json.loads(report.stdout)["files"]
    return {name: data["executed_lines"] for name, data in files.items() if not name.startswith("out")}


def test_coverage_measures_the_subprocesses_and_we_count_their_uses(tmp_path: Path) -> None:
    project = coverage_project(tmp_path)
    output = project / "out"
    result = run(harness.run_under_hook([str(harness.BIN / "coverage"), "run", "app.py"], output), project)
    assert result.returncode == 0, result.stderr
    assert "child done" in result.stdout
    assert "No data was collected" not in result.stderr, result.stderr
    lines = covered(project)
    assert lines["child.py"] == [2, 4, 5, 6]
    assert lines["app.py"] == [2, 3, 5, 6]
    # Two processes import uses.py (1 use each); requests: 1 in app.py, 2 in child.py.
    assert harness.total(output) == harness.expected(3, processes_importing=2)


def test_start_up_tools_enabled_by_the_environment_do_not_run_in_the_wrapper(tmp_path: Path) -> None:
    project = coverage_project(tmp_path)
    output = project / "out"
    env = {"COVERAGE_PROCESS_START": str(project / ".coveragerc")}
    result = run(harness.run_under_hook([str(harness.BIN / "python"), "app.py"], output), project, env)
    assert result.returncode == 0, result.stderr
    assert "No data was collected" not in result.stderr, result.stderr
    data = sorted(p.name for p in project.glob(".coverage.*"))
    assert len(data) == 2, data  # app.py and child.py: no file of the wrapper's
    lines = covered(project)
    assert lines["app.py"] == [2, 3, 5, 6] and lines["child.py"] == [2, 4, 5, 6]
    assert harness.total(output) == harness.expected(3, processes_importing=2)

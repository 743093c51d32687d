"""A hook that cannot record or export says so once on stderr, one line naming the cause, whatever
the application's logging does; the application still runs. In real processes (staging start-up)."""

from __future__ import annotations

from pathlib import Path

from .test_process import config_env, make_project, run_script

APP = """
import logging
logging.disable(logging.CRITICAL)  # the application's logging hears nothing of ours
{before}
import oldpkg.legacy as L
for _ in range(20):
    L.func()
print("application ran")
"""


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ssot-runtime:")]


def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_script(project, APP.format(before=""),
                        env=config_env(project, SSOT_RUNTIME_OUTPUT=str(blocker / "out")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "application ran"
    [line] = notices(result.stderr)
    assert line.startswith("ssot-runtime: export to local failed, uses may be lost: ")
    assert "Not a directory" in line, line


def test_telemetry_that_cannot_start_is_one_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    # An SDK that does not import here (broken or partial install).
    result = run_script(project, APP.format(before='import sys; sys.modules["opentelemetry.sdk.metrics"] = None'),
                        env=config_env(project, SSOT_RUNTIME_OUTPUT=str(tmp_path / "out")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "application ran"
    [line] = notices(result.stderr)
    assert line.startswith("ssot-runtime: telemetry off, uses are not exported: ModuleNotFoundError: "), line

"""SIGTERM's default action ends a process without atexit: the hook saves first, then the signal
ends the process as it would have. In real processes started as staging does (sitecustomize)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .servers import harness
from .test_process import config_env, make_project, run_script

USES = """
import oldpkg.legacy as L
for _ in range(3):
    L.func()
"""


def run_app(tmp_path: Path, body: str, **env: str) -> tuple[int, str, int]:
    project = make_project(tmp_path)
    output = tmp_path / "out"
    result = run_script(project, "import os, signal, sys, time\n" + USES + body,
                        env=config_env(project, SSOT_RUNTIME_OUTPUT=str(output), **env))
    return result.returncode, result.stdout + result.stderr, harness.total(output) if output.exists() else 0


def test_default_sigterm_saves_the_uses_then_ends_the_process_by_the_signal(tmp_path: Path) -> None:
    code, text, uses = run_app(tmp_path, """
print("application sees the default:", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(5)
print("never")
""")
    assert code == -signal.SIGTERM, text
    assert "never" not in text
    assert "application sees the default: True" in text
    assert uses == 4  # the import and three calls


def test_a_handler_the_application_installs_replaces_ours_and_putting_the_default_back_restores_it(
        tmp_path: Path) -> None:
    # uvicorn's way: install a handler, later put back the one it found, and raise the signal again.
    code, text, uses = run_app(tmp_path, """
caught = []
previous = signal.signal(signal.SIGTERM, lambda number, frame: caught.append(number))
assert previous == signal.SIG_DFL, previous
assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
os.kill(os.getpid(), signal.SIGTERM)
assert caught == [signal.SIGTERM], caught
print("own handler ran")
assert signal.signal(signal.SIGTERM, previous) is not signal.SIG_DFL
assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
signal.raise_signal(signal.SIGTERM)
print("never")
""")
    assert code == -signal.SIGTERM, text
    assert "own handler ran" in text and "never" not in text
    assert uses == 4


@pytest.mark.parametrize(("body", "expected_code"), [
    ("signal.signal(signal.SIGTERM, lambda n, f: sys.exit(3))\nos.kill(os.getpid(), signal.SIGTERM)\n", 3),
    ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\nos.kill(os.getpid(), signal.SIGTERM)\nprint('ignored')\n", 0),
], ids=["own-handler-exits", "ignored"])
def test_what_the_application_does_with_sigterm_is_unchanged(tmp_path: Path, body: str, expected_code: int) -> None:
    code, text, uses = run_app(tmp_path, body)
    assert code == expected_code, text
    assert ("ignored" in text) == (expected_code == 0)
    assert uses == 4


def test_save_on_sigterm_can_be_turned_off(tmp_path: Path) -> None:
    code, text, uses = run_app(tmp_path, "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(5)\n",
                               SSOT_RUNTIME_SAVE_ON_SIGTERM="0")
    assert code == -signal.SIGTERM, text
    assert uses == 0  # what the default action loses: everything since the last export


def test_run_gives_the_command_its_own_place_pid_group_and_signals(tmp_path: Path) -> None:
    """Under ``run`` the command is the process that was started: same pid and process group, so a
    terminal's Ctrl-C and a supervisor's SIGTERM reach it once, directly; its end is its own."""
    import subprocess

    probe = ("import os, signal; print(os.getpid(), os.getpgrp(), "
             "signal.getsignal(signal.SIGINT) is signal.default_int_handler, flush=True); "
             "os.kill(os.getpid(), signal.SIGUSR1)")
    command = [str(harness.BIN / "ssot-runtime"), "run", "--allow-no-config", "--output", str(tmp_path / "out"), "--",
               str(harness.BIN / "python"), "-c", probe]
    process = subprocess.Popen(command, cwd=tmp_path, env=harness.environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = process.communicate(timeout=30)
    pid, group, default_sigint = out.split()
    assert int(pid) == process.pid and int(group) == process.pid, err
    assert default_sigint == "True"
    assert process.returncode == -signal.SIGUSR1, err

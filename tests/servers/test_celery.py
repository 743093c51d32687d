"""A Celery worker with the prefork pool under ``ssot-runtime run``, on Kombu's filesystem
transport (no broker to start). The pool's children are forked after the worker imported the
tasks, and end with ``os._exit``: their uses leave through billiard's finalizers.
Warm shutdown (SIGTERM to the worker) and Ctrl-C to the group (SIGINT to every process)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from . import harness

BROKER = """
from celery import Celery

app = Celery("tasks", broker="filesystem://")
app.conf.broker_transport_options = {"data_folder_in": "broker", "data_folder_out": "broker", "polling_interval": 0.1}
app.conf.worker_hijack_root_logger = False
"""
FILES = {
    "celery_broker.py": BROKER,
    "tasks.py": """
        import os

        import uses
        from celery_broker import app


        @app.task(name="tasks.use")
        def use():
            uses.per_request()
            with open("done.txt", "a") as done:
                done.write(f"{os.getpid()}\\n")
    """,
    "send.py": """
        import sys

        from celery_broker import app

        for _ in range(int(sys.argv[1])):
            app.send_task("tasks.use")
    """,
}
MARKERS = ("Traceback", "Error", "worker: Warm shutdown", "worker: Cold shutdown")
TASKS = 6


def celery_once(tmp_path: Path, *, sig: signal.Signals, group: bool, hook: bool) -> tuple[int, str]:
    project = harness.write_project(tmp_path / ("hooked" if hook else "plain"), FILES, plain=not hook)
    (project / "broker").mkdir()
    output = project / "out"
    command = [str(harness.BIN / "celery"), "-A", "tasks", "worker", "--pool", "prefork", "--concurrency", "2",
               "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "INFO"]
    if hook:
        command = harness.run_under_hook(command, output)
    # Queued before the worker starts: Kombu's filesystem transport can read a message file that
    # is still being written (an empty message, and the worker dies), a race of its own.
    sent = subprocess.run([str(harness.BIN / "python"), "send.py", str(TASKS)], cwd=project,
                          env=harness.environment(), capture_output=True, text=True, timeout=30, check=False)
    assert sent.returncode == 0, sent.stderr
    with harness.serve(command, project, 0, ready=None) as server:
        done = project / "done.txt"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not done.exists() or len(done.read_text().split()) < TASKS):
            assert server.process.poll() is None, server.text()
            time.sleep(0.1)
        assert len(done.read_text().split()) == TASKS, server.text()
        server.signal_group(sig) if group else server.signal(sig)
        code = server.wait(30)
        harness.wait_group_gone(server.process.pid)
        log = server.text()
    if hook:
        assert harness.total(output) == harness.expected(TASKS, processes_importing=1), (
            harness.reported(output), log)
    return code, log


@pytest.mark.parametrize(("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM-to-worker", "SIGINT-to-group"])
def test_celery_prefork_delivers_every_use_and_ends_as_without_the_hook(tmp_path: Path, sig: signal.Signals,
                                                                       group: bool) -> None:
    (plain_code, plain_log), (code, log) = harness.plain_and_hooked(
        lambda hook: celery_once(tmp_path, sig=sig, group=group, hook=hook))
    assert code == plain_code, log
    assert harness.shutdown_lines(log, MARKERS) == harness.shutdown_lines(plain_log, MARKERS), log

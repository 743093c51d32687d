"""Django's ``runserver``, with the autoreloader (a parent that restarts a serving child, and
reads ``getattr(module, "__spec__", None)`` of every module once a second) and without it, under
``ssot-runtime run``; stopped by Ctrl-C to the process group, and without the reloader by SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from . import harness

SITE = {
    "manage.py": """
        import os, sys

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    """,
    "site_settings.py": """
        SECRET_KEY = "test-only"
        DEBUG = True
        ALLOWED_HOSTS = ["127.0.0.1"]
        ROOT_URLCONF = "site_urls"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
        DATABASES = {}
        USE_TZ = True
    """,
    "site_urls.py": """
        from django.http import HttpResponse
        from django.urls import path

        import uses


        def use(request):
            uses.per_request()
            return HttpResponse("ok")


        def ready(request):
            return HttpResponse("ready")


        urlpatterns = [path("use", use), path("ready", ready)]
    """,
}
MARKERS = ("Traceback", "KeyboardInterrupt", "Error", "Quit the server")
REQUESTS = 5


def runserver_once(tmp_path: Path, *, reload: bool, sig: signal.Signals, group: bool, hook: bool) -> tuple[int, str]:
    project = harness.write_project(tmp_path / ("hooked" if hook else "plain"), SITE, plain=not hook)
    output = project / "out"
    port = harness.free_port()
    command = [str(harness.BIN / "python"), "manage.py", "runserver", f"127.0.0.1:{port}"]
    if not reload:
        command.append("--noreload")
    if hook:
        command = harness.run_under_hook(command, output)
    with harness.serve(command, project, port, ready="/ready") as server:
        for _ in range(REQUESTS):
            assert server.get() == "ok"
        if reload:
            time.sleep(2.5)  # the reloader's scans of every module's __spec__, which are not uses
        server.signal_group(sig) if group else server.signal(sig)
        code = server.wait()
        harness.wait_group_gone(server.process.pid)
        log = server.text()
    if hook:
        assert harness.reported(output) == {
            ("Thing", "uses.py", 2): 1, (None, "uses.py", 6): REQUESTS, ("func", "uses.py", 7): REQUESTS,
        }, log
    return code, log


@pytest.mark.parametrize(("reload", "sig", "group"), [
    (True, signal.SIGINT, True), (False, signal.SIGINT, True), (False, signal.SIGTERM, False),
], ids=["autoreload-ctrl-c", "noreload-ctrl-c", "noreload-SIGTERM"])
def test_runserver_delivers_every_use_and_ends_as_without_the_hook(tmp_path: Path, reload: bool,
                                                                   sig: signal.Signals, group: bool) -> None:
    (plain_code, plain_log), (code, log) = harness.plain_and_hooked(
        lambda hook: runserver_once(tmp_path, reload=reload, sig=sig, group=group, hook=hook))
    assert code == plain_code, log
    assert harness.shutdown_lines(log, MARKERS) == harness.shutdown_lines(plain_log, MARKERS), log

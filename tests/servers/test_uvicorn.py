"""uvicorn, one worker and two, under ``ssot-runtime run``: SIGTERM to the main process (a
supervisor stopping it) and SIGINT to the process group (Ctrl-C in a terminal).

uvicorn's graceful shutdown ends by re-raising the signal with the handler it found, so a worker
with the default SIGTERM handler dies without atexit: the hook's own handler saves first.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from . import harness

APP = {
    "asgi_app.py": """
        import os
        import uses


        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        # One write: two workers' print() calls (text, then newline) interleave.
                        os.write(1, b"app: lifespan shutdown ran\\n")
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            if scope["path"] == "/use":
                uses.per_request()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"ok"})
    """,
}
MARKERS = ("Shutting down", "Finished server process", "Application shutdown", "lifespan shutdown ran",
           "Stopping parent process", "Terminated", "Traceback", "KeyboardInterrupt", "Aborted")
REQUESTS = 6


def uvicorn_once(tmp_path: Path, *, workers: int, sig: signal.Signals, group: bool, hook: bool) -> tuple[int, str]:
    project = harness.write_project(tmp_path / ("hooked" if hook else "plain"), APP, plain=not hook)
    output = project / "out"
    port = harness.free_port()
    command = [str(harness.BIN / "uvicorn"), "asgi_app:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    if hook:
        command = harness.run_under_hook(command, output)
    code, log = harness.serve_and_stop(command, project, port, requests=REQUESTS, sig=sig, group=group)
    if hook:
        assert harness.total(output) == harness.expected(REQUESTS, processes_importing=workers), (
            harness.reported(output), log)
    return code, log


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM-to-main", "SIGINT-to-group"])
def test_uvicorn_delivers_every_use_and_ends_as_without_the_hook(tmp_path: Path, workers: int,
                                                                  sig: signal.Signals, group: bool) -> None:
    (plain_code, plain_log), (code, log) = harness.plain_and_hooked(
        lambda hook: uvicorn_once(tmp_path, workers=workers, sig=sig, group=group, hook=hook))
    assert code == plain_code, log
    markers = MARKERS
    if workers > 1 and group:
        # The supervisor terminates its workers while they handle their own SIGINT: whether a
        # worker's second signal skips its lifespan shutdown, or ends it with a traceback, is
        # uvicorn's race, with or without us. The supervisor's own messages are not.
        markers = ("Received SIGINT", "Stopping parent process")
    else:
        assert "lifespan shutdown ran" in log
    assert harness.shutdown_lines(log, markers) == harness.shutdown_lines(plain_log, markers), log

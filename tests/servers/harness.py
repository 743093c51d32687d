"""Real servers under the hook: a project with a known number of uses per request, a process
group that the test owns and always kills, bounded request loops on 127.0.0.1, and the report.

A request to ``/use`` makes exactly ``USES_PER_REQUEST`` uses (``import oldpkg.legacy as L``,
then ``L.func()``); importing the application module makes ``STARTUP_USES``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ssot_runtime.traces import read as _traces

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USES_PER_REQUEST = 2
STARTUP_USES = 1  # `from oldpkg.legacy import Thing` in the application module

CONFIG = """\
export_interval = 60
[redirects]
"oldpkg.legacy" = "newpkg.canonical"
"""

FILES = {
    "oldpkg/__init__.py": "",
    "newpkg/__init__.py": "",
    "newpkg/canonical.py": """
        class Thing:
            pass

        def func():
            return "func"
    """,
    # The uses every server makes, wherever its framework calls them from.
    "uses.py": """
        from oldpkg.legacy import Thing  # STARTUP_USES


        def per_request():
            import oldpkg.legacy as L
            return L.func()
    """,
}


def write_project(root: Path, files: dict[str, str] | None = None, *, plain: bool = False) -> Path:
    """The project; ``plain``: the same code on the canonical path, to run without the hook."""
    for rel, text in {**FILES, **(files or {})}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(text)
        target.write_text(text.replace("oldpkg.legacy", "newpkg.canonical") if plain else text)
    (root / "ssot.toml").write_text(CONFIG)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ without ssot-runtime's, Python's and coverage's own start-up variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SSOT_RUNTIME_", "COVERAGE_", "OTEL_", "PYTEST_", "DJANGO_"))}
    for name in ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONSAFEPATH"):
        env.pop(name, None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path
    port: int
    requests: int = 0
    output: Path | None = None
    stopped_by: list[str] = field(default_factory=list)

    def get(self, path: str = "/use", timeout: float = 5) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
            body: str = response.read().decode()
        self.requests += 1
        return body

    def wait_ready(self, timeout: float = 20, path: str = "/ready") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.text()}")

    def signal_group(self, sig: signal.Signals) -> None:
        """What a terminal does on Ctrl-C: the signal to every process of the foreground group."""
        os.killpg(self.process.pid, sig)

    def signal(self, sig: signal.Signals) -> None:
        """What a supervisor does (systemd, docker stop, kill PID): the signal to the main process."""
        self.process.send_signal(sig)

    def wait(self, timeout: float = 20) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server still running {timeout}s after the signal:\n{self.text()}") from None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def serve(command: list[str], cwd: Path, port: int, env: dict[str, str] | None = None,
          ready: str | None = "/ready", timeout: float = 20) -> Iterator[Server]:
    """Start ``command`` in a process group of its own; whatever happens, kill the group at the end."""
    log = cwd / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=environment(env), stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(process, log, port)
    try:
        if ready is not None:
            server.wait_ready(timeout, ready)
        yield server
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen[bytes], wait: float = 5) -> None:
    """SIGKILL a server's whole process group (it was started in a session of its own), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(wait)


def wait_group_gone(pgid: int, timeout: float = 10) -> None:
    """Wait until no process of the group is left (workers that outlive the main process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def run_under_hook(command: list[str], output: Path) -> list[str]:
    """``ssot-runtime run`` with the project's configuration and output folder."""
    return [str(BIN / "ssot-runtime"), "run", "--config", "ssot.toml", "--output", str(output), "--", *command]


def reported(output: Path) -> dict[tuple[str | None, str, int], int]:
    """Uses in the output folder by (symbol, file name, line)."""
    agg = _traces.read([str(output)])
    sites: dict[tuple[str | None, str, int], int] = {}
    for site in agg.sites.values():
        key = (site.symbol, os.path.basename(site.file), site.line)
        sites[key] = sites.get(key, 0) + site.uses
    return sites


def total(output: Path) -> int:
    return sum(reported(output).values())


def expected(requests: int, processes_importing: int = 1) -> int:
    """Uses made: the start-up import in each process that imports the application, and each request's."""
    return STARTUP_USES * processes_importing + USES_PER_REQUEST * requests


def shutdown_lines(text: str, markers: tuple[str, ...]) -> list[str]:
    """The kinds of log lines that tell how a server ended, without pids and times: which ones
    appear, not how many times (how many workers log them in a race is the server's own)."""
    import re

    return sorted({re.sub(r"\d+", "N", line.strip()) for line in text.splitlines() if any(m in line for m in markers)})


def serve_and_stop(command: list[str], project: Path, port: int, *, requests: int, sig: signal.Signals,
                   group: bool) -> tuple[int, str]:
    """Serve, answer ``requests`` requests, send ``sig`` to the server or its whole group (Ctrl-C),
    wait until every process of the group is gone: the exit code and the log."""
    with serve(command, project, port) as server:
        for _ in range(requests):
            assert server.get() == "ok"
        server.signal_group(sig) if group else server.signal(sig)
        code = server.wait()
        wait_group_gone(server.process.pid)
        return code, server.text()


def plain_and_hooked(run: Callable[[bool], T]) -> tuple[T, T]:
    """``run(hook=False)`` and ``run(hook=True)`` side by side: servers mostly wait, so two at once."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        plain, hooked = pool.submit(run, False), pool.submit(run, True)
        return plain.result(), hooked.result()

"""The same exact answer on every supported Python: the matrix (``make test-all``) runs these on
3.10-3.13 against one expected answer each, written down once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "ssot-runtime")
GOLDEN = Path(__file__).resolve().parent / "golden"


def clean_env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "OTEL_"))}
    env.update(more)
    return env


def report_sites(output: Path, root: Path) -> list[dict[str, Any]]:
    """The report's sites, without what differs from run to run (times, pids)."""
    result = subprocess.run([CLI, "report", str(output), "--root", str(root), "--format", "json"],
                            capture_output=True, text=True, timeout=120, env=clean_env())
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return [{"legacy": path["legacy"], **{k: site[k] for k in ("file", "line", "function", "symbol", "uses")}}
            for path in report["legacy_paths"] for site in path["sites"]]


def test_the_demo_gives_the_same_report_on_every_version(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "sitecustomize_example", demo, ignore=shutil.ignore_patterns("__pycache__"))
    output = tmp_path / "out"
    result = subprocess.run([CLI, "run", "--config", "ssot-runtime.toml", "--output", str(output), "--",
                             sys.executable, "main.py"], cwd=demo, env=clean_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    expected = json.loads((GOLDEN / "demo-report-sites.json").read_text())
    assert report_sites(output, demo) == expected


TEN_SITES = '''
import importlib, multiprocessing, os, sys, threading
import oldpkg.legacy                                   # site 1: 1
from oldpkg.legacy import work                         # site 2: 1 (work)

def in_thread():
    for _ in range(100):
        oldpkg.legacy.work()                           # site 3: 4 x 100

def task(n):
    import oldpkg.legacy as L                          # site 4: 6 tasks
    return sum(L.work() for _ in range(n))             # site 5: 6 x 5

class Service:
    def handle(self):
        return importlib.import_module("oldpkg.legacy")   # site 6: 3

if __name__ == "__main__":
    threads = [threading.Thread(target=in_thread) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _ in range(3):
        Service().handle()
    pid = os.fork()
    if pid == 0:
        for _ in range(7):
            oldpkg.legacy.work()                       # site 7: 7, in the child
        sys.exit(0)
    os.waitpid(pid, 0)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.map(task, [5] * 6) == [5] * 6
        pool.close()
        pool.join()
    work()                                             # not a use: a local name
    getattr(oldpkg.legacy, "work")()                   # site 8: 1
    for _ in range(2):
        import oldpkg.legacy                           # site 9: 2
    oldpkg.legacy.work                                 # site 10: 1
'''


def test_ten_sites_with_threads_fork_and_a_pool_are_exact_under_run(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("def work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    (root / "app.py").write_text(TEN_SITES)
    output = tmp_path / "out"
    result = subprocess.run([CLI, "run", "--output", str(output), "--", sys.executable, "app.py"], cwd=root,
                            env=clean_env(PYTHONPATH=str(root)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = {n: text for n, text in enumerate(TEN_SITES.splitlines(), 1)}

    def line(marker: str) -> int:
        return next(n for n, text in lines.items() if f"# {marker}:" in text)

    got = {(site["line"], site["symbol"]): site["uses"] for site in report_sites(output, root)}
    assert got == {
        (line("site 1"), None): 1,
        (line("site 2"), "work"): 1,
        (line("site 3"), "work"): 400,
        (line("site 4"), None): 6,
        (line("site 5"), "work"): 30,
        (line("site 6"), None): 3,
        (line("site 7"), "work"): 7,
        (line("site 8"), "work"): 1,
        (line("site 9"), None): 2,
        (line("site 10"), "work"): 1,
    }


def test_an_application_that_handles_sigterm_itself_delivers_every_use(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("def work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    (root / "server.py").write_text(textwrap.dedent("""
        import signal, sys, time
        import oldpkg.legacy
        def stop(signum, frame):
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        for _ in range(5):
            oldpkg.legacy.work()
        print("ready", flush=True)
        while True:
            time.sleep(0.05)
    """))
    output = tmp_path / "out"
    server = subprocess.Popen([CLI, "run", "--output", str(output), "--", sys.executable, "server.py"], cwd=root,
                              env=clean_env(PYTHONPATH=str(root)), stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline() == "ready\n"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert sum(site["uses"] for site in report_sites(output, root)) == 6

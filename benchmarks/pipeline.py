"""Rows 5-10 of `make bench`: contention, telemetry at exit, report throughput (json, html), scan throughput,
the exit note of files loaded twice, discover and audit throughput.

    python benchmarks/pipeline.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import info, row

PY = sys.executable
CLI = str(Path(sys.executable).parent / "ssot-runtime")


def canonical_tree(root: Path) -> None:
    (root / "bench_canon").mkdir()
    (root / "bench_canon" / "__init__.py").write_text("")
    (root / "bench_canon" / "mod.py").write_text("class Foo:\n    pass\n\ndef work():\n    return 1\n")


def contention(quick: bool) -> None:
    """Row 5: 4 threads reading legacy names; counts exact; throughput against 1 thread."""
    import ssot_runtime

    reads = 20_000 if quick else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        canonical_tree(Path(tmp))
        sys.path.insert(0, tmp)
        with ssot_runtime.tracking({"exporters": [], "redirects": {"bench_old": "bench_canon.mod"}}) as hook:
            import bench_old  # type: ignore[import-not-found]

            def work(n: int) -> None:
                for _ in range(n):
                    bench_old.Foo  # noqa: B018

            def timed(threads: int) -> float:
                pool = [threading.Thread(target=work, args=(reads // threads,)) for _ in range(threads)]
                t0 = time.perf_counter()
                for t in pool:
                    t.start()
                for t in pool:
                    t.join()
                return time.perf_counter() - t0

            one, four = timed(1), timed(4)
            counted = sum(r.count for r in hook.snapshot() if r.symbol == "Foo")
        sys.path.remove(tmp)
    exact = counted == 2 * reads
    row("4 threads reading legacy names: time vs 1 thread", four / one, 1.5,
        f"{reads} reads each way; counts exact: {exact} ({counted} of {2 * reads}); the GIL serialises reads")
    if not exact:
        raise SystemExit("counts are not exact under threads")


SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import ssot_runtime
hook = ssot_runtime.install({"output": sys.argv[2], "export_interval": 600, "export_timeout": 2,
                             "exporters": json.loads(sys.argv[3]), "redirects": {"bench_old": "bench_canon.mod"}})
import bench_old as L
def f():
BODY
f()
t0 = time.perf_counter()
hook.uninstall()
print(time.perf_counter() - t0)
"""


def uses_in(folder: Path) -> int:
    """The ssot.legacy.uses written to the local files in ``folder``: what arrived."""
    total = 0
    for path in folder.glob("*.metrics.jsonl"):
        for line in path.read_text().splitlines():
            for rm in json.loads(line)["resourceMetrics"]:
                for sm in rm["scopeMetrics"]:
                    for metric in sm["metrics"]:
                        if metric["name"] == "ssot.legacy.uses":
                            total += sum(int(p["asInt"]) for p in metric["sum"]["dataPoints"])
    return total


def exit_flush(quick: bool) -> None:
    """Row 6: flushing 10,000 sites to the local files; exit delay with an unreachable collector.

    Each run is checked: every use must be in its local files, or the row fails (a flush that
    loses the data is fast, and worthless).
    """
    sites = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        canonical_tree(root)
        (root / "flush.py").write_text(SCRIPT.replace("BODY", "".join("    L.work\n" for _ in range(sites))))
        (root / "exit.py").write_text(SCRIPT.replace("BODY", "    L.work()"))
        runs = iter(range(1_000))

        def child(script: str, exporters: list[str], uses: int, env: dict[str, str] | None = None
                  ) -> tuple[float, float]:
            output = root / f"out-{next(runs)}"
            t0 = time.perf_counter()
            out = subprocess.run([PY, str(root / script), str(root), str(output), json.dumps(exporters)],
                                 check=True, capture_output=True, text=True, timeout=300, env=env).stdout
            wall = time.perf_counter() - t0
            arrived = uses_in(output)
            if arrived != uses:
                raise SystemExit(f"{script} with {exporters}: {arrived} of {uses} uses arrived")
            return float(out), wall

        # One use per site, plus the import.
        flushed, _ = child("flush.py", ["local"], sites + 1)
        row(f"flush of {sites} sites to the local files at exit", flushed / 0.5, 1.0,
            f"{flushed:.3f} s against a 0.5 s target; all {sites + 1} uses arrived")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}"}
        # The flush's own time in the process (the printed figure), not the wall clock: the
        # latter also holds the OTLP exporters' import at the first use, which is no exit delay.
        local = min(child("exit.py", ["local"], 2, env)[0] for _ in range(3))
        remote = max(child("exit.py", ["local", "otlp"], 2, env)[0] for _ in range(3))
        delay = max(remote - local, 0.0)
        row("exit delay, unreachable collector, vs export_timeout", delay / 2.0, 1.0,
            f"{delay:.2f} s more than a local-only flush (worst of 3); export_timeout 2 s; local files complete")


def write_traces(folder: Path, processes: int, points: int, span_ns: int = 0) -> int:
    """Traces in the exact local format: ``processes`` files, ``points`` site data points in all.

    With ``span_ns``, the processes' start times spread evenly over that span (a history of runs).
    """
    folder.mkdir(parents=True)
    rng = random.Random(7)
    per_process = points // processes
    per_line = 1000
    total = 0
    for p in range(processes):
        resource_attrs = [{"key": "service.name", "value": {"stringValue": f"svc{p % 7}"}},
                          {"key": "service.instance.id", "value": {"stringValue": f"inst-{p}"}}]
        begin = 1800000000000000000 + p * span_ns // processes
        with open(folder / f"svc-host-{p}-x.metrics.jsonl", "w") as f:
            for start in range(0, per_process, per_line):
                dps = []
                for i in range(start, min(start + per_line, per_process)):
                    site = rng.randrange(5000)
                    dps.append({"attributes": [
                        {"key": "ssot.legacy.module", "value": {"stringValue": f"old.mod{site % 40}"}},
                        {"key": "ssot.canonical.module", "value": {"stringValue": f"new.mod{site % 40}"}},
                        {"key": "ssot.mode", "value": {"stringValue": "redirect"}},
                        {"key": "code.file.path", "value": {"stringValue": f"/app/src/f{site % 900}.py"}},
                        {"key": "code.line.number", "value": {"intValue": str(site)}},
                        {"key": "code.function.name", "value": {"stringValue": f"m.f{site % 300}"}}],
                        "startTimeUnixNano": str(begin), "timeUnixNano": str(begin + i),
                        "asInt": "3"})
                    total += 3
                f.write(json.dumps({"resourceMetrics": [{"resource": {"attributes": resource_attrs},
                    "scopeMetrics": [{"scope": {"name": "ssot_runtime"}, "metrics": [{
                        "name": "ssot.legacy.uses", "unit": "{use}",
                        "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": dps}}]}]}]}) + "\n")
    return total


def _time_child(code: str, *args: str) -> tuple[float, int]:
    """Wall time and peak RSS (MB) of a child Python process running ``code``."""
    t0 = time.perf_counter()
    subprocess.run([PY, "-c", code, *args], check=True, timeout=1800, capture_output=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return wall, peak


FLOOR = "import json, sys, pathlib\nfor p in sorted(pathlib.Path(sys.argv[1]).glob('*.jsonl')):\n" \
        "    for line in open(p):\n        json.loads(line)\n"
REPORT = "import sys\nfrom ssot_runtime.cli import main\nsys.exit(main(['report', sys.argv[1], '--format', 'json']))\n"


def report_speed(quick: bool) -> None:
    """Row 7: report over traces of 1,000 processes and 1,000,000 points, against json.loads alone."""
    processes, points = (100, 100_000) if quick else (1_000, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        write_traces(big, processes, points)
        write_traces(small, processes // 10, points // 10)
        floor, _ = _time_child(FLOOR, str(big))
        wall, peak = _time_child(REPORT, str(big))
        small_wall, _ = _time_child(REPORT, str(small))
    row(f"report over {processes} processes, {points} points, vs json.loads", wall / floor, 2.0,
        f"{wall:.1f} s against {floor:.1f} s")
    row("report peak RSS (MB) vs 500 MB", peak / 500, 1.0, f"{peak} MB (largest child so far)")
    info("report at 1/10 of the size: time ratio (10 = linear)", wall / small_wall, f"{small_wall:.2f} s")


HTML = "import sys\nfrom ssot_runtime.cli import main\n" \
       "sys.exit(main(['report', sys.argv[1], '--format', 'html', '--output', sys.argv[2]]))\n"


def html_speed(quick: bool) -> None:
    """Row 7b: report --format html (series, charts, sites) against --format json, over the same traces."""
    processes, points = (100, 100_000) if quick else (1_000, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        traces = Path(tmp) / "traces"
        write_traces(traces, processes, points, span_ns=30 * 86_400 * 10**9)  # 30 days of runs
        walls: dict[str, list[float]] = {"json": [], "html": []}
        for _ in range(1 if quick else 2):  # alternating, the best of each
            walls["json"].append(_time_child(REPORT, str(traces))[0])
            walls["html"].append(_time_child(HTML, str(traces), str(Path(tmp) / "report.html"))[0])
        size = (Path(tmp) / "report.html").stat().st_size
    json_wall, html_wall = min(walls["json"]), min(walls["html"])
    row(f"report --format html, {points} points, vs --format json", html_wall / json_wall, 1.5,
        f"{html_wall:.1f} s against {json_wall:.1f} s; {processes} processes over 30 days, page {size // 1024} KB")


def scan_speed(quick: bool) -> None:
    """Row 8: scan over 10,000 generated files: files per second."""
    files = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pkg").mkdir()
        for i in range(files):
            legacy = "import pkg.old\nfrom pkg.old import Thing\n" if i % 10 == 0 else ""
            (root / "pkg" / f"m{i}.py").write_text(legacy + "import pkg.other\n" + "".join(
                f"def f{j}(x):\n    return pkg.other.v{j} + x\n" for j in range(20)))
        (root / "c.toml").write_text('[redirects]\n"pkg.old" = "pkg.new"\n')
        t0 = time.perf_counter()
        subprocess.run([CLI, "scan", "pkg", "--config", "c.toml", "--format", "json"], cwd=root, check=True,
                       capture_output=True, timeout=600)
        wall = time.perf_counter() - t0
    rate = files / wall
    row(f"scan of {files} files: seconds per 10,000 files vs 60 s", (wall * 10_000 / files) / 60, 1.0,
        f"{rate:.0f} files/s, {wall:.1f} s")


def exit_note(quick: bool) -> None:
    """Row 9: the exit note of files loaded under two names, one walk of sys.modules, per 1,000 modules."""
    import statistics
    import types

    from ssot_runtime.hook.duplicates import loaded_twice

    count = 2_000 if quick else 20_000
    modules: dict[str, object] = {}
    for i in range(count):  # module objects as a big application holds them: a file each, a few classes
        module = types.ModuleType(f"app.m{i}")
        module.__file__ = f"/srv/app/m{i % (count - 10)}.py"  # the last 10 files loaded twice
        module.Thing = type("Thing", (), {"__module__": module.__name__})
        modules[module.__name__] = module
    samples = []
    for _ in range(5 if quick else 15):
        t0 = time.perf_counter()
        found = loaded_twice(modules)
        samples.append(time.perf_counter() - t0)
    if len(found) != 10 or any(n.classes != ("Thing",) for n in found):
        raise SystemExit(f"exit note: {len(found)} files found loaded twice, not 10")
    per_thousand = statistics.median(samples) / count * 1000
    row("exit note: sys.modules walk, per 1,000 modules vs 2 ms", per_thousand / 0.002, 1.0,
        f"{per_thousand * 1000:.2f} ms per 1,000 modules ({count} modules, 10 files loaded twice, all found); "
        "at exit only, never on the import path")


def discover_speed(quick: bool) -> None:
    """Row 10: discover and audit over 10,000 generated files: a shim in ten, an alias line in each other
    one, a duplicate class in one in a hundred (differing methods), 20 functions and a class each."""
    files = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pkg").mkdir()
        (root / "pkg" / "__init__.py").write_text("")
        for i in range(files):
            if i % 10 == 0:
                source = f"import warnings\nfrom pkg.m{i + 1} import *\nwarnings.warn('moved', DeprecationWarning)\n"
            else:
                source = "import os\n" + "".join(f"def f{i}_{j}(x):\n    return os.sep + x\n" for j in range(20)) + \
                    f"class C{i}:\n    def run(self, x: int) -> int:\n        return x\n\nOld{i} = C{i}\n"
                if i % 100 == 1:
                    source += f"\n\nclass Manager:\n    def send(self, x{'' if i % 200 else ', y'}) -> None: ...\n"
            (root / "pkg" / f"m{i}.py").write_text(source)
        timings = {}
        for command in ("discover", "audit"):
            args = ["discover", "pkg", "--config", "c.toml"] if command == "discover" else \
                ["audit", "pkg", "--format", "json"]
            t0 = time.perf_counter()
            done = subprocess.run([CLI, *args], cwd=root, check=True, capture_output=True, text=True, timeout=1200)
            timings[command] = time.perf_counter() - t0
            if command == "discover":
                added = done.stdout.count("\n+\"pkg.")
                if added != files // 10 + (files - files // 10):
                    raise SystemExit(f"discover: {added} rules, not {files}")
    for command, wall in timings.items():
        row(f"{command} of {files} files: seconds per 10,000 files vs 60 s", (wall * 10_000 / files) / 60, 1.0,
            f"{files / wall:.0f} files/s, {wall:.1f} s")


def main(quick: bool) -> None:
    contention(quick)
    exit_flush(quick)
    report_speed(quick)
    html_speed(quick)
    scan_speed(quick)
    exit_note(quick)
    discover_speed(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)

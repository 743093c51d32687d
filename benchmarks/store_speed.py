"""Row 9 of `make bench`: `report --source prometheus+http://...` beside `report` over the same local files.

1,000 processes x 1,000 sites: as local files (one per process, delta points, the exact local
format) and pushed into a real Prometheus (Debian's, started here on 127.0.0.1 with a temporary
storage folder, stopped whatever happens) through remote write, as the Collector writes it (one
series per process and site). Both reports must give the same totals; the row is the store's
time against the files' (goal: a tenth), and the reader's own peak RSS beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import info, row  # noqa: E402

PY = sys.executable
# The report in a child, its output to /dev/null; the child's own peak RSS (MB) and totals on stderr.
REPORT = """\
import contextlib, io, json, sys
from ssot_runtime.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(['report', *sys.argv[1:], '--format', 'json'])
assert code == 0, code
totals = json.loads(out.getvalue())["totals"]
# VmHWM: this process's own peak (ru_maxrss would keep the spawning parent's, across exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"rss": peak // 1024, **totals}), file=sys.stderr)
"""


def _report(*args: str) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    done = subprocess.run([PY, "-c", REPORT, *args], check=False, timeout=1800, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"store row: report {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    wall = time.perf_counter() - t0
    return wall, json.loads(done.stderr.strip().splitlines()[-1])


def _site(s: int) -> dict[str, str]:
    return {"ssot.legacy.module": f"old.mod{s % 40}", "ssot.canonical.module": f"new.mod{s % 40}",
            "ssot.mode": "redirect", "code.file.path": f"/app/src/f{s % 900}.py", "code.line.number": str(s),
            "code.function.name": f"m.f{s % 300}"}


def write_both(folder: Path, server: object, processes: int, sites: int, now_ms: int, exports: int = 1) -> int:
    """The same uses as local files in ``folder`` and as series in the store: the total written.

    Each process exports ``exports`` times, 10 s apart: a line of delta points in its file, a
    sample of each cumulative counter in the store."""
    from tests.prometheus_store import label_name

    folder.mkdir(parents=True)
    attrs = [_site(s) for s in range(sites)]
    points_attrs = [[{"key": k, "value": {"intValue": v} if k == "code.line.number" else {"stringValue": v}}
                     for k, v in site.items()] for site in attrs]
    total, batch = 0, []
    for p in range(processes):
        resource = [{"key": "service.name", "value": {"stringValue": f"svc{p % 7}"}},
                    {"key": "service.instance.id", "value": {"stringValue": f"inst-{p}"}}]
        samples: list[list[tuple[int, float]]] = [[] for _ in attrs]
        counts = [0] * sites
        lines = []
        for e in range(exports):
            at = now_ms - (exports - e) * 10_000
            points = []
            for s in range(sites):
                uses = 1 + (p + s + e) % 5
                counts[s] += uses
                samples[s].append((at, float(counts[s])))
                points.append({"attributes": points_attrs[s], "startTimeUnixNano": str((at - 10_000) * 10**6),
                               "timeUnixNano": str(at * 10**6), "asInt": str(uses)})
            lines.append(json.dumps({"resourceMetrics": [{
                "resource": {"attributes": resource}, "scopeMetrics": [{"scope": {"name": "ssot_runtime"}, "metrics": [{
                    "name": "ssot.legacy.uses", "unit": "{use}",
                    "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points}}]}]}]}))
        (folder / f"svc-host-{p}-x.metrics.jsonl").write_text("\n".join(lines) + "\n")
        total += sum(counts)
        for s, site in enumerate(attrs):
            batch.append(({"__name__": "ssot_legacy_uses_total", "job": f"svc{p % 7}", "instance": f"inst-{p}",
                           **{label_name(k): v for k, v in site.items()}}, samples[s]))
        if len(batch) >= 20_000:
            server.write(batch)  # type: ignore[attr-defined]
            batch = []
    server.write(batch)  # type: ignore[attr-defined]
    return total


def store_speed(quick: bool) -> None:
    from tests.prometheus_store import BINARY

    if BINARY is None:
        raise SystemExit("store row: prometheus is not installed (apt-get install prometheus; .ci/run does it)")
    # The row the issue asks for: one export per process (one sample a series, the files' best case);
    # then series that hold a history (60 exports, 10 minutes), where the store reads what files cannot skip.
    for processes, sites, exports, target in ((50, 100, 1, 0.1), (10, 50, 6, None)) if quick else \
            ((1_000, 1_000, 1, 0.1), (100, 200, 60, None)):
        _one(processes, sites, exports, target)


def _one(processes: int, sites: int, exports: int, target: float | None) -> None:
    from tests.prometheus_store import running

    now_ms = int(time.time() * 1000)
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "prometheus") as server:
        t0 = time.perf_counter()
        total = write_both(Path(tmp) / "files", server, processes, sites, now_ms, exports)
        pushed = time.perf_counter() - t0
        until = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now_ms / 1000 + 1))
        store_wall, store = _report("--source", server.source, "--until", until)
        files_wall, files = _report(str(Path(tmp) / "files"))
    assert store["uses"] == files["uses"] == total, (store, files, total)
    assert store["sites"] == files["sites"] == sites, (store, files)
    name = f"report --source prometheus, {processes} processes x {sites} sites x {exports} exports, vs files"
    detail = f"{store_wall:.1f} s against {files_wall:.1f} s, {total} uses both"
    if target is not None:
        row(name, store_wall / files_wall, target, detail)
    else:
        info(name, store_wall / files_wall, detail)
    info(f"  the reader's peak RSS (MB), {exports} exports", store["rss"],
         f"{store['rss']} MB; report over the files {files['rss']} MB; {pushed:.0f} s to write both")


def main(quick: bool) -> None:
    store_speed(quick)

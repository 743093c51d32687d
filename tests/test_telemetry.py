"""Telemetry to local OTLP/JSON files: format, counts, fork, multiprocessing, lifecycle."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import ssot_runtime
from ssot_runtime.hook.fingerprint import fingerprint

from .conftest import CONFIG

LEGACY = "app.ws.unified_manager"
ROOT = Path(__file__).resolve().parent.parent
HEX = set("0123456789abcdef")
SELF = Path(__file__).read_text().split("\n")  # this file's lines, as the fingerprint reads them


def read_lines(folder: Path, signal: str) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(folder.glob(f"*.{signal}.jsonl"))
            for line in path.read_text().splitlines()]


def attrs(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in items}


def use_points(folder: Path) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
    """Every ssot.legacy.uses point: (attributes, value, resource attributes), checked with protobuf."""
    points = []
    for batch in read_lines(folder, "metrics"):
        ParseDict(batch, ExportMetricsServiceRequest())  # the layout is valid OTLP/JSON
        for rm in batch["resourceMetrics"]:
            resource = attrs(rm["resource"]["attributes"])
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    if metric["name"] == "ssot.legacy.uses":
                        assert metric["unit"] == "{use}"
                        assert metric["sum"]["aggregationTemporality"] == 1 and metric["sum"]["isMonotonic"]
                        points += [(attrs(p["attributes"]), int(p["asInt"]), resource)
                                   for p in metric["sum"]["dataPoints"]]
    return points


def spans(folder: Path) -> list[dict[str, Any]]:
    found = []
    for batch in read_lines(folder, "traces"):
        for rs in batch["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    assert len(span["traceId"]) == 32 and set(span["traceId"]) <= HEX
                    assert len(span["spanId"]) == 16 and set(span["spanId"]) <= HEX
                    found.append(span)
        # ParseDict reads bytes as base64: check the rest of the layout with ids it can read.
        clean = json.loads(json.dumps(batch).replace('"traceId": "', '"traceId": "AAAA').replace(
            '"spanId": "', '"spanId": "AAAA'))
        for rs in clean["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    span["traceId"] = "AAAAAAAAAAAAAAAAAAAAAA=="
                    span["spanId"] = "AAAAAAAAAAA="
                    span.pop("parentSpanId", None)
        ParseDict(clean, ExportTraceServiceRequest())
    return found


def test_local_files_hold_every_use_in_otlp_json(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    output = telemetry_output
    config = {**CONFIG, "service_name": "chat-api"}
    with ssot_runtime.tracking(config) as hook:
        import app.ws.unified_manager as legacy
        from app.ws.unified_manager import UnifiedWebSocketManager  # noqa: F401

        for _ in range(25):
            legacy.helper  # noqa: B018
        hook.flush()
        in_memory = {(r.legacy, r.symbol, r.line): r.count for r in hook.snapshot()}
    points = use_points(output)
    exported: dict[tuple[str, str | None, int], int] = {}
    for point, value, _resource in points:
        key = (point["ssot.legacy.module"], point.get("ssot.legacy.symbol"), int(point["code.line.number"]))
        exported[key] = exported.get(key, 0) + value
    assert exported == in_memory
    helper = next(p for p, _, _ in points if p.get("ssot.legacy.symbol") == "helper")
    assert helper == {
        "ssot.legacy.module": LEGACY, "ssot.legacy.symbol": "helper",
        "ssot.canonical.module": "app.ws.websocket_manager",
        "ssot.canonical.symbol": "helper", "ssot.mode": "redirect", "code.file.path": __file__,
        "code.line.number": helper["code.line.number"], "code.function.name": helper["code.function.name"],
        "ssot.site.fingerprint": fingerprint(SELF[int(helper["code.line.number"]) - 1]),
    }
    module_use = next(p for p, _, _ in points if "ssot.legacy.symbol" not in p)
    assert "ssot.canonical.symbol" not in module_use
    resource = points[0][2]
    assert resource["service.name"] == "chat-api"
    assert int(resource["process.pid"]) == os.getpid()
    assert resource["host.name"] and resource["service.instance.id"]
    assert not any(key.startswith("process.command") for key in resource)
    # Files 0600, folder 0700.
    assert stat.S_IMODE(output.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in output.iterdir()} == {0o600}
    assert len({p.name.split(".")[0] for p in output.iterdir()}) == 1


def test_first_import_span_and_duration(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    app_tracer = TracerProvider().get_tracer("the-app")
    output = telemetry_output
    with ssot_runtime.tracking(CONFIG) as hook:
        with app_tracer.start_as_current_span("request"):
            import app.ws.unified_manager  # noqa: F401
        timing = hook.import_timings()[0]
        hook.flush()
    (span,) = spans(output)
    assert span["name"] == "ssot.legacy_import" and "parentSpanId" not in span
    assert int(span["startTimeUnixNano"]) == timing.start_ns and int(span["endTimeUnixNano"]) == timing.end_ns
    span_attrs = attrs(span["attributes"])
    assert span_attrs["ssot.legacy.module"] == LEGACY and span_attrs["code.file.path"] == __file__
    assert span["status"]["code"] == 0
    durations = [m for batch in read_lines(output, "metrics") for rm in batch["resourceMetrics"]
                 for sm in rm["scopeMetrics"] for m in sm["metrics"] if m["name"] == "ssot.legacy.import.duration"]
    (duration,) = durations
    assert duration["unit"] == "s" and int(duration["histogram"]["dataPoints"][0]["count"]) == 1


def test_refused_import_is_an_error_span(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    output = telemetry_output
    config = {"redirects": {"app.old": {"to": "app.core.models", "mode": "error"}}}
    with ssot_runtime.tracking(config) as hook:
        with pytest.raises(ImportError):
            import app.old  # noqa: F401
        hook.flush()
    (span,) = spans(output)
    assert span["status"]["code"] == 2 and "app.core.models" in span["status"]["message"]
    assert sum(v for _, v, _ in use_points(output)) == 1


def test_2500_sites_are_not_folded(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    output = telemetry_output
    body = "import app.ws.unified_manager as L\n" + "L.helper\n" * 2500
    source = tmp_path / "many_sites.py"
    source.write_text(body)
    with ssot_runtime.tracking(CONFIG) as hook:
        exec(compile(body, str(source), "exec"), {"__name__": "many_sites"})
        hook.flush()
    points = use_points(output)
    assert not any("otel.metric.overflow" in p for p, _, _ in points)
    assert len({p["code.line.number"] for p, _, _ in points if p.get("ssot.legacy.symbol") == "helper"}) == 2500
    assert sum(v for _, v, _ in points) == 2501


def test_periodic_export_without_flush(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    output = telemetry_output
    with ssot_runtime.tracking({**CONFIG, "export_interval": 0.2}):
        import app.ws.unified_manager  # noqa: F401

        deadline = time.monotonic() + 10
        while not use_points(output) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sum(v for _, v, _ in use_points(output)) == 1


def test_otel_sdk_disabled_keeps_redirects(app: Path, telemetry_output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    output = telemetry_output
    with ssot_runtime.tracking(CONFIG) as hook:
        from app.ws.unified_manager import helper

        assert helper() == "helper"
        hook.flush()
    assert not list(output.iterdir())


def test_never_the_global_providers(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    from opentelemetry import metrics, trace

    before = (metrics.get_meter_provider(), trace.get_tracer_provider())
    with ssot_runtime.tracking(CONFIG):
        import app.ws.unified_manager  # noqa: F401
    assert (metrics.get_meter_provider(), trace.get_tracer_provider()) == before


# -- processes --------------------------------------------------------------------------------
PROJECT = {
    "newpkg/__init__.py": "",
    "newpkg/canonical.py": "def work(n=1):\n    return n\n",
}


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "ssot.toml").write_text('export_interval = 60\n[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    return root


def run(root: Path, script: str, output: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (root / "main.py").write_text(textwrap.dedent(script))
    environ = {**os.environ, "SSOT_RUNTIME_CONFIG": str(root / "ssot.toml"), "SSOT_RUNTIME_OUTPUT": str(output),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "sitecustomize_example"), str(root)]), **env}
    result = subprocess.run([sys.executable, "main.py"], cwd=root, env=environ, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def totals_by_pid(output: Path) -> dict[int, int]:
    totals: dict[int, int] = {}
    for _point, value, resource in use_points(output):
        pid = int(resource["process.pid"])
        totals[pid] = totals.get(pid, 0) + value
    return totals


def test_fork_children_report_only_their_own_uses(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run(project(tmp_path), """
        import os, sys
        import oldpkg.legacy as legacy
        for _ in range(10):
            legacy.work()
        children = []
        for uses in (3, 5):
            pid = os.fork()
            if pid == 0:
                for _ in range(uses):
                    legacy.work()
                sys.exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        for _ in range(7):
            legacy.work()
        print(os.getpid(), *children)
    """, output)
    parent, first, second = (int(x) for x in result.stdout.split())
    # The parent: 1 import + 10 + 7 reads; each child only its own reads.
    assert totals_by_pid(output) == {parent: 18, first: 3, second: 5}


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool_workers_are_flushed(tmp_path: Path, method: str) -> None:
    output = tmp_path / "out"
    run(project(tmp_path), f"""
        import multiprocessing
        import oldpkg.legacy as legacy

        def task(n):
            import oldpkg.legacy
            return sum(oldpkg.legacy.work(1) for _ in range(n))

        if __name__ == "__main__":
            legacy.work()
            with multiprocessing.get_context("{method}").Pool(2) as pool:
                assert sum(pool.map(task, [4] * 10)) == 40
                pool.close()
                pool.join()
    """, output)
    totals = totals_by_pid(output)
    # Parent: 1 import + 1 read. Workers: 40 reads and one `import oldpkg.legacy` per task;
    # under spawn each of the 2 workers also runs main.py's top-level import once.
    assert sum(totals.values()) == 2 + 40 + 10 + (2 if method == "spawn" else 0)
    assert len(totals) >= 2


def test_sdk_and_threads_start_only_at_the_first_use(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run(project(tmp_path), """
        import sys, threading
        before = ("opentelemetry.sdk" in sys.modules, threading.active_count())
        import oldpkg.legacy
        after = ("opentelemetry.sdk" in sys.modules, threading.active_count())
        print(before, after)
    """, output)
    # One thread more: the local metric reader's. Spans have no thread (PendingSpans).
    assert result.stdout.strip() == "(False, 1) (True, 2)"


def test_library_logging_goes_to_the_ssot_runtime_logger(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="ssot_runtime"), ssot_runtime.tracking(CONFIG) as hook:
        import app.ws.unified_manager  # noqa: F401

        hook.flush()
    messages = [r.getMessage() for r in caplog.records if r.name == "ssot_runtime"]
    assert any("hook installed" in m and "config=" in m for m in messages)
    assert any("first use of a legacy module" in m and "legacy='app.ws.unified_manager'" in m for m in messages)
    assert any("telemetry started" in m for m in messages)


def test_one_span_per_module_and_site(app: Path, telemetry_output: Path) -> None:
    import importlib
    import sys

    with ssot_runtime.tracking(CONFIG) as hook:
        for _ in range(3):
            sys.modules.pop(LEGACY, None)
            importlib.import_module(LEGACY)
        hook.flush()
    assert len(spans(telemetry_output)) == 1


# -- exit: no thread may start at interpreter shutdown (3.12 refuses it) ----------------------
def test_normal_exit_writes_every_use_and_span_without_starting_a_thread(tmp_path: Path) -> None:
    """3.12.1 lost all data of a normally exiting process: the exit flush started threads.

    Here every version refuses a thread at exit, as 3.12 does: a callback registered after the
    hook's runs before its flush (atexit is last in, first out) and makes Thread.start raise.
    """
    output = tmp_path / "out"
    result = run(project(tmp_path), """
        import atexit, threading
        import oldpkg.legacy as legacy
        for _ in range(4):
            legacy.work()
        def refuse(self, *args, **kwargs):
            raise RuntimeError("can't create new thread at interpreter shutdown")
        atexit.register(lambda: setattr(threading.Thread, "start", refuse))
    """, output)
    assert result.stderr == ""
    assert sum(totals_by_pid(output).values()) == 5
    assert [s["name"] for s in spans(output)] == ["ssot.legacy_import"]


def test_a_first_use_inside_an_atexit_callback_is_written(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run(project(tmp_path), """
        import atexit
        def late():
            import oldpkg.legacy as legacy
            legacy.work()
            legacy.work()
        atexit.register(late)
    """, output)
    assert "could not start" not in result.stderr
    assert sum(totals_by_pid(output).values()) == 3

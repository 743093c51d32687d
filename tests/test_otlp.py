"""OTLP export to real receivers: a gRPC server and an HTTP/protobuf server on 127.0.0.1.

The application runs in a child process (the venv's Python) that installs the hook with
``exporters = ["local", "otlp"]`` and an export interval of 60 s, so what arrives is what the
atexit flush delivers. The receivers are started by the tests themselves (tests/otlp_receivers.py)
and keep every request, parsed and as the bytes that came over the wire.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from ssot_runtime.hook.fingerprint import fingerprint

from .otlp_receivers import GrpcReceiver, HttpReceiver, Received, SilentCollector

SUBPROCESS_TIMEOUT = 60
LEGACY, REMOVED, CANONICAL = "oldpkg.legacy", "oldpkg.removed", "newpkg.canonical"
N_IMPORTS = 4  # executions of `import oldpkg.legacy` (the first one with `as legacy`, then a loop)
N_READS = 37  # reads of `legacy.work` in a loop
SERVICE = "ssot-otlp-test-svc"
SECRET_ENV = f"sk-env-{uuid.uuid4().hex}"
SECRET_ARG = f"sk-argv-{uuid.uuid4().hex}"

PROJECT = {
    # `oldpkg` is not on disk: only the canonical package is.
    "newpkg/__init__.py": "",
    "newpkg/canonical.py": "def work(n=1):\n    return n\n",
}

REDIRECTS = {
    LEGACY: CANONICAL,
    f"{LEGACY}:old_work": f"{CANONICAL}:work",
    REMOVED: {"to": CANONICAL, "mode": "error"},
}

# Lines marked `# @name` are found by `marked_lines` to know the exact code.line.number.
SCRIPT = '''\
import contextlib
import json
import os
import sys
import time

sys.path.insert(0, {root!r})
import ssot_runtime

HOOK = ssot_runtime.install({config!r})
APP_SPAN = {app_span!r}


def main():
    app = {{}}
    if APP_SPAN:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())
        scope = trace.get_tracer("the-app").start_as_current_span("app")
    else:
        scope = contextlib.nullcontext()
    with scope as app_span:
        if app_span is not None:
            ctx = app_span.get_span_context()
            app = {{"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}}
        started = time.perf_counter()
        import oldpkg.legacy as legacy  # @first-import
        first_import = time.perf_counter() - started
        if APP_SPAN:
            # Spans are made from the recorded timings when they are read: do that here, in the
            # application's thread, while its span is current (atexit would be outside it).
            HOOK.flush()
        for _ in range({n_imports} - 1):
            import oldpkg.legacy  # @import-loop
        total = 0
        for _ in range({n_reads}):
            total += legacy.work(1)  # @read-loop
        from oldpkg.legacy import old_work  # @from-import
        refused = None
        try:
            import oldpkg.removed  # @refused
        except ImportError as exc:
            refused = type(exc).__name__
    return {{"first_import_seconds": first_import, "total": total, "old_work": old_work(5), "refused": refused,
            "app": app}}


result = main()
result["pid"] = os.getpid()
print(json.dumps(result), flush=True)
'''


# -- helpers ------------------------------------------------------------------------------------
def write_project(root: Path, exporters: list[str], export_timeout: float | None = None,
                  app_span: bool = False, **options: Any) -> Path:
    """The canonical package and main.py (SCRIPT) under ``root``; ``options``: more config keys."""
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    config: dict[str, Any] = {"exporters": exporters, "export_interval": 60, "redirects": REDIRECTS}
    if export_timeout is not None:
        config["export_timeout"] = export_timeout
    config.update(options)
    script = root / "main.py"
    script.write_text(SCRIPT.format(root=str(root), config=config, app_span=app_span, n_imports=N_IMPORTS,
                                    n_reads=N_READS))
    return script


def marked_lines(script: Path) -> dict[str, int]:
    found = {}
    for number, line in enumerate(script.read_text().splitlines(), 1):
        match = re.search(r"# @([a-z-]+)$", line)
        if match:
            found[match.group(1)] = number
    return found


def child_env(output: Path, endpoint: str | None = None, protocol: str | None = None) -> dict[str, str]:
    # os.environ, less OTEL_* and SSOT_RUNTIME_* settings of the caller: only what the test sets.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SSOT_RUNTIME_"))}
    env.update({"OTEL_SERVICE_NAME": SERVICE, "SSOT_RUNTIME_OUTPUT": str(output), "SECRET_TOKEN": SECRET_ENV})
    if endpoint is not None:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    if protocol is not None:
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
    return env


class Run:
    def __init__(self, completed: subprocess.CompletedProcess[str], seconds: float) -> None:
        self.completed = completed
        self.seconds = seconds
        self.result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])


def run_app(script: Path, env: dict[str, str]) -> Run:
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, script.name, f"--api-token={SECRET_ARG}", SECRET_ARG],
                               cwd=script.parent, env=env, capture_output=True, text=True,
                               timeout=SUBPROCESS_TIMEOUT)
    seconds = time.perf_counter() - started
    assert completed.returncode == 0, completed.stderr
    return Run(completed, seconds)


def attrs_of(items: Any) -> dict[str, Any]:
    """OTLP KeyValues as a dict of plain values."""
    out = {}
    for kv in items:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


def use_points(requests: list[Any]) -> list[tuple[dict[str, Any], int, dict[str, Any], Any]]:
    """Every ssot.legacy.uses point: (attributes, value, resource attributes, sum) of protobuf requests."""
    points = []
    for request in requests:
        for rm in request.resource_metrics:
            resource = attrs_of(rm.resource.attributes)
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == "ssot.legacy.uses":
                        assert metric.unit == "{use}"
                        assert metric.WhichOneof("data") == "sum"
                        assert metric.sum.is_monotonic
                        for point in metric.sum.data_points:
                            assert point.WhichOneof("value") == "as_int"
                            points.append((attrs_of(point.attributes), point.as_int, resource, metric.sum))
    return points


def use_totals(requests: list[Any]) -> dict[tuple[str, str | None, int], int]:
    """Uses per (module, symbol, line): delta points summed; cumulative ones, the last per series."""
    delta: dict[tuple[str, str | None, int], int] = {}
    cumulative: dict[tuple[Any, ...], int] = {}
    for point, value, resource, data in use_points(requests):
        key = (point["ssot.legacy.module"], point.get("ssot.legacy.symbol"), point["code.line.number"])
        if data.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA:
            delta[key] = delta.get(key, 0) + value
        else:
            assert data.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
            series = (resource["service.instance.id"], *sorted(point.items()))
            cumulative[series] = value
    totals = dict(delta)
    for series, value in cumulative.items():
        point = dict(series[1:])
        key = (point["ssot.legacy.module"], point.get("ssot.legacy.symbol"), point["code.line.number"])
        totals[key] = totals.get(key, 0) + value
    return totals


def received_spans(requests: list[Any]) -> list[tuple[Any, dict[str, Any], Any]]:
    """Every span: (span, resource attributes, scope)."""
    return [(span, attrs_of(rs.resource.attributes), ss.scope)
            for request in requests for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


def expected_uses(lines: dict[str, int]) -> dict[tuple[str, str | None, int], int]:
    return {
        (LEGACY, None, lines["first-import"]): 1,
        (LEGACY, None, lines["import-loop"]): N_IMPORTS - 1,
        (LEGACY, "work", lines["read-loop"]): N_READS,
        (LEGACY, "old_work", lines["from-import"]): 1,
        (REMOVED, None, lines["refused"]): 1,
    }


def all_string_values(message: Any) -> Iterator[str]:
    """Every string anywhere in a protobuf message (attribute values, names, messages...)."""
    for field, value in message.ListFields():
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        values = value if repeated else [value]
        for item in values:
            if field.type == field.TYPE_MESSAGE:
                if hasattr(item, "ListFields"):
                    yield from all_string_values(item)
                else:  # a map entry
                    yield str(item)
            elif isinstance(item, str):
                yield item


def assert_no_secrets(received: Received) -> None:
    planted = (SECRET_ENV, SECRET_ARG, f"--api-token={SECRET_ARG}")
    for raw in received.raw:
        for secret in planted:
            assert secret.encode() not in raw
            assert secret.split("-")[-1].encode() not in raw  # not even the random part
    for request in [*received.traces, *received.metrics]:
        for text in all_string_values(request):
            assert text not in planted
            assert not any(secret in text for secret in planted)
    for details in received.requests:
        assert not any(secret in str(details["headers"]) for secret in planted)


def fully_received(received: Received) -> bool:
    """Both signals in, with the uses and the two first-import spans."""
    return bool(use_points(received.metrics)) and len(received_spans(received.traces)) >= 2


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def grpc_receiver() -> Iterator[GrpcReceiver]:
    receiver = GrpcReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(params=["grpc", "http/protobuf"])
def receiver(request: pytest.FixtureRequest) -> Received:
    name = "grpc_receiver" if request.param == "grpc" else "http_receiver"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# -- tests --------------------------------------------------------------------------------------
def test_receivers_answer_an_exporter_in_process(receiver: Any) -> None:
    """The receivers themselves work with the SDK's OTLP exporters (so a failure below is the app's)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

    if receiver.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=receiver.endpoint, insecure=True, timeout=5)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]

        exporter = OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces", timeout=5)
    results = []

    class Recording(SimpleSpanProcessor):
        def on_end(self, span: Any) -> None:
            results.append(exporter.export([span]))

    provider = TracerProvider(resource=Resource.create({"service.name": "probe"}))
    provider.add_span_processor(Recording(exporter))
    with provider.get_tracer("probe").start_as_current_span("probe-span"):
        pass
    provider.shutdown()
    assert results == [SpanExportResult.SUCCESS]
    assert [s.name for s, _, _ in received_spans(receiver.traces)] == ["probe-span"]
    if receiver.protocol == "http/protobuf":
        assert receiver.requests[0]["content_type"] == "application/x-protobuf"


@pytest.mark.parametrize("app_span", [False, True], ids=["no-app-span", "inside-app-span"])
def test_uses_and_spans_arrive_over_otlp(receiver: Any, tmp_path: Path, app_span: bool) -> None:
    output = tmp_path / "out"
    script = write_project(tmp_path / "proj", ["local", "otlp"], app_span=app_span)
    lines = marked_lines(script)
    run = run_app(script, child_env(output, receiver.endpoint, receiver.protocol))
    result = run.result
    assert result["total"] == N_READS and result["old_work"] == 5 and result["refused"] == "LegacyImportError"
    # The child exited: the atexit flush has delivered (allow the server a moment to finish handling).
    assert receiver.wait_for(fully_received, timeout=5), (
        f"traces={len(receiver.traces)} metrics={len(receiver.metrics)} stderr={run.completed.stderr}")
    pid = result["pid"]
    hostname = socket.gethostname()

    # Transport: the protocol asked for, on the standard paths.
    paths = {r["path"] for r in receiver.requests}
    if receiver.protocol == "grpc":
        assert paths == {"/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                         "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"}
    else:
        assert paths == {"/v1/traces", "/v1/metrics"}
        assert {r["content_type"] for r in receiver.requests} == {"application/x-protobuf"}

    # -- metrics: ssot.legacy.uses, one point per site, exact lines and counts
    assert use_totals(receiver.metrics) == expected_uses(lines)
    points = use_points(receiver.metrics)
    instances = set()
    for point, _value, resource, _data in points:
        assert resource["service.name"] == SERVICE
        assert resource["process.pid"] == pid
        assert resource["host.name"] == hostname
        assert resource["service.instance.id"]
        instances.add(resource["service.instance.id"])
        assert point["code.file.path"] == str(script)
        assert point["code.function.name"] == "__main__.main"
        assert point["ssot.canonical.module"] == CANONICAL
        expected_keys = {"ssot.legacy.module", "ssot.canonical.module", "ssot.mode", "code.file.path",
                         "code.line.number", "code.function.name", "ssot.site.fingerprint"}
        source_line = script.read_text().split("\n")[int(point["code.line.number"]) - 1]
        assert point["ssot.site.fingerprint"] == fingerprint(source_line)
        if point["ssot.legacy.module"] == REMOVED:
            assert point["ssot.mode"] == "error"
        else:
            assert point["ssot.mode"] == "redirect"
        symbol = point.get("ssot.legacy.symbol")
        if symbol is not None:
            expected_keys |= {"ssot.legacy.symbol", "ssot.canonical.symbol"}
            assert point["ssot.canonical.symbol"] == "work"  # `work` read as itself, `old_work` renamed
        assert set(point) == expected_keys
    assert len(instances) == 1
    by_site = {(p["ssot.legacy.module"], p.get("ssot.legacy.symbol"), p["code.line.number"]) for p, *_ in points}
    assert by_site == set(expected_uses(lines))

    # -- metrics: the first-import duration histogram, one point per legacy module loaded
    durations = [(m, rm) for request in receiver.metrics for rm in request.resource_metrics
                 for sm in rm.scope_metrics for m in sm.metrics if m.name == "ssot.legacy.import.duration"]
    assert durations
    series: dict[tuple[Any, ...], Any] = {}  # cumulative: the last point per series; delta: all of them
    for metric, rm in durations:
        assert metric.unit == "s" and metric.WhichOneof("data") == "histogram"
        resource = attrs_of(rm.resource.attributes)
        assert resource["service.name"] == SERVICE
        cumulative = (metric.histogram.aggregation_temporality
                      == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        for p in metric.histogram.data_points:
            if p.count:
                key = (resource["service.instance.id"], *sorted(attrs_of(p.attributes).items()))
                if not cumulative:
                    key = (*key, len(series))
                series[key] = p
    hist_points = [(attrs_of(p.attributes), p) for p in series.values()]
    assert [a for a, _ in hist_points] == [
        {"ssot.legacy.module": LEGACY, "ssot.canonical.module": CANONICAL, "ssot.mode": "redirect"}]
    (_, hist), = hist_points
    assert hist.count == 1 and 0 < hist.sum < 5

    # -- traces: one ssot.legacy_import span per first import, roots, the refused one an error
    spans = received_spans(receiver.traces)
    assert sorted(s.name for s, _, _ in spans) == ["ssot.legacy_import"] * 2
    by_module = {}
    for span, resource, scope in spans:
        assert scope.name == "ssot_runtime"
        assert resource["service.name"] == SERVICE and resource["process.pid"] == pid
        assert resource["host.name"] == hostname and resource["service.instance.id"] in instances
        assert len(span.trace_id) == 16 and len(span.span_id) == 8 and any(span.trace_id)
        assert span.parent_span_id == b""  # a root span, even inside the application's span
        assert span.kind == Span.SpanKind.SPAN_KIND_INTERNAL
        assert 0 < span.start_time_unix_nano <= span.end_time_unix_nano
        by_module[attrs_of(span.attributes)["ssot.legacy.module"]] = (span, attrs_of(span.attributes))
    assert set(by_module) == {LEGACY, REMOVED}
    span, span_attrs = by_module[LEGACY]
    assert span_attrs == {
        "ssot.legacy.module": LEGACY, "ssot.canonical.module": CANONICAL, "ssot.mode": "redirect",
        "code.file.path": str(script), "code.line.number": lines["first-import"],
        "code.function.name": "__main__.main",
    }
    assert span.status.code == Status.StatusCode.STATUS_CODE_UNSET
    assert span.end_time_unix_nano - span.start_time_unix_nano == pytest.approx(hist.sum * 1e9, abs=1e3)
    refused, refused_attrs = by_module[REMOVED]
    assert refused_attrs == {
        "ssot.legacy.module": REMOVED, "ssot.canonical.module": CANONICAL, "ssot.mode": "error",
        "code.file.path": str(script), "code.line.number": lines["refused"],
        "code.function.name": "__main__.main",
    }
    assert refused.status.code == Status.StatusCode.STATUS_CODE_ERROR
    assert CANONICAL in refused.status.message
    if app_span:
        app = result["app"]
        assert app and all(span.trace_id.hex() != app["trace_id"] for span, _, _ in spans)
        assert all(span.parent_span_id.hex() != app["span_id"] for span, _, _ in spans)

    # -- nothing from argv or the environment anywhere
    assert_no_secrets(receiver)
    for path in output.iterdir():
        text = path.read_text()
        assert SECRET_ENV not in text and SECRET_ARG not in text


def test_both_protocols_at_once_split_by_signal(grpc_receiver: GrpcReceiver, http_receiver: HttpReceiver,
                                                tmp_path: Path) -> None:
    """Per-signal variables: traces over gRPC, metrics over HTTP (delta, as asked), each to its own receiver."""
    output = tmp_path / "out"
    script = write_project(tmp_path / "proj", ["local", "otlp"])
    lines = marked_lines(script)
    env = child_env(output)
    env.update({
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": grpc_receiver.endpoint,
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"{http_receiver.endpoint}/v1/metrics",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
    })
    run_app(script, env)
    assert grpc_receiver.wait_for(lambda r: len(received_spans(r.traces)) >= 2, timeout=5)
    assert http_receiver.wait_for(lambda r: bool(use_points(r.metrics)), timeout=5)
    assert grpc_receiver.metrics == [] and http_receiver.traces == []
    assert use_totals(http_receiver.metrics) == expected_uses(lines)
    assert {data.aggregation_temporality for *_, data in use_points(http_receiver.metrics)} == {
        AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA}
    assert {attrs_of(s.attributes)["ssot.legacy.module"] for s, _, _ in received_spans(grpc_receiver.traces)} == {
        LEGACY, REMOVED}


# -- a collector that is not there ----------------------------------------------------------------
def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens: bound, read, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_metric_uses(output: Path) -> dict[tuple[str, str | None, int], int]:
    requests = []
    for path in sorted(output.glob("*.metrics.jsonl")):
        for line in path.read_text().splitlines():
            requests.append(ParseDict(json.loads(line), ExportMetricsServiceRequest()))
    points = use_points(requests)
    assert points and all(data.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
                          for *_, data in points)
    return use_totals(requests)


def local_spans(output: Path) -> list[tuple[Any, dict[str, Any], Any]]:
    hex_id = re.compile(r"[0-9a-f]+")
    requests = []
    for path in sorted(output.glob("*.traces.jsonl")):
        for line in path.read_text().splitlines():
            batch = json.loads(line)
            for rs in batch["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        assert len(span["traceId"]) == 32 and hex_id.fullmatch(span["traceId"])
                        assert len(span["spanId"]) == 16 and hex_id.fullmatch(span["spanId"])
                        assert "parentSpanId" not in span
                        # ParseDict reads bytes as base64: give it ids it reads right.
                        span["traceId"] = "AAAAAAAAAAAAAAAAAAAAAA=="
                        span["spanId"] = "AAAAAAAAAAA="
            requests.append(ParseDict(batch, ExportTraceServiceRequest()))
    return received_spans(requests)


def check_unreachable(tmp_path: Path, protocol: str, endpoint: str, what: str) -> Run:
    """Run the app with OTLP to ``endpoint`` that never answers; compare with local files only."""
    export_timeout = 1.0
    # The baseline: the same script with local files only.
    base_script = write_project(tmp_path / "base", ["local"], export_timeout=export_timeout)
    base = run_app(base_script, child_env(tmp_path / "base-out"))
    output = tmp_path / "out"
    script = write_project(tmp_path / "proj", ["local", "otlp"], export_timeout=export_timeout)
    lines = marked_lines(script)
    run = run_app(script, child_env(output, endpoint, protocol))
    first_import = run.result["first_import_seconds"]
    delay = run.seconds - base.seconds
    print(f"\n[{protocol}] {what} {endpoint}: first legacy import {first_import * 1000:.1f} ms "
          f"(local only {base.result['first_import_seconds'] * 1000:.1f} ms); process wall time "
          f"{run.seconds:.2f} s vs {base.seconds:.2f} s local only: exit delay {delay:.2f} s "
          f"(export_timeout {export_timeout} s)")
    assert run.result["total"] == N_READS and run.result["refused"] == "LegacyImportError"
    # The application's imports never wait for the collector.
    assert first_import < 0.5
    # Exit waits at most export_timeout for it (the rest is start-up, measured by the baseline).
    assert run.seconds < 8
    assert delay < export_timeout + 1.5
    # The local files are complete although the collector never answered.
    assert local_metric_uses(output) == expected_uses(lines)
    spans = local_spans(output)
    assert sorted(attrs_of(s.attributes)["ssot.legacy.module"] for s, _, _ in spans) == [LEGACY, REMOVED]
    assert {s.name for s, _, _ in spans} == {"ssot.legacy_import"}
    assert all(resource["service.name"] == SERVICE and resource["process.pid"] == run.result["pid"]
               for _, resource, _ in spans)
    error = next(s for s, _, _ in spans if attrs_of(s.attributes)["ssot.legacy.module"] == REMOVED)
    assert error.status.code == Status.StatusCode.STATUS_CODE_ERROR
    first = next(s for s, _, _ in spans if attrs_of(s.attributes)["ssot.legacy.module"] == LEGACY)
    assert attrs_of(first.attributes)["code.line.number"] == lines["first-import"]
    assert first.status.code == Status.StatusCode.STATUS_CODE_UNSET
    return run


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_closed_port_costs_the_app_nothing_and_exit_at_most_the_timeout(tmp_path: Path, protocol: str) -> None:
    port = closed_port()
    check_unreachable(tmp_path, protocol, f"http://127.0.0.1:{port}", "closed port")


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_silent_collector_costs_the_app_nothing_and_exit_at_most_the_timeout(tmp_path: Path,
                                                                             protocol: str) -> None:
    """A collector that accepts the connection and never answers: the exit is bounded all the same."""
    silent = SilentCollector()
    try:
        check_unreachable(tmp_path, protocol, silent.endpoint, "silent collector")
        assert silent.connections  # the exporter did reach it
    finally:
        silent.stop()


# -- more of the OTLP contract ----------------------------------------------------------------------
FORK_SCRIPT = """\
import json
import os
import sys

sys.path.insert(0, {root!r})
import ssot_runtime

ssot_runtime.install({{"exporters": ["local", "otlp"], "export_interval": 60, "redirects": {redirects!r}}})
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
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
for _ in range(7):
    legacy.work()
print(json.dumps([os.getpid(), *children]))
"""


def test_fork_children_deliver_their_own_uses_over_otlp(receiver: Any, tmp_path: Path) -> None:
    """After fork() each child has exporters of its own: each process's uses arrive once, under its pid."""
    root = tmp_path / "proj"
    write_project(root, ["local"])
    script = root / "fork.py"
    script.write_text(FORK_SCRIPT.format(root=str(root), redirects={LEGACY: CANONICAL}))
    completed = subprocess.run([sys.executable, script.name], cwd=root, env=child_env(tmp_path / "out",
                               receiver.endpoint, receiver.protocol), capture_output=True, text=True,
                               timeout=SUBPROCESS_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    parent, first, second = json.loads(completed.stdout)
    expected = {parent: 18, first: 3, second: 5}  # parent: 1 import + 10 + 7 reads

    def totals(received: Received) -> dict[int, int]:
        by_pid: dict[int, int] = {}
        for pid in {res["process.pid"] for _, _, res, _ in use_points(received.metrics)}:
            requests = [r for r in received.metrics
                        if any(attrs_of(rm.resource.attributes)["process.pid"] == pid for rm in r.resource_metrics)]
            by_pid[pid] = sum(use_totals(requests).values())
        return by_pid

    assert receiver.wait_for(lambda r: totals(r) == expected, timeout=5), totals(receiver)
    spans = received_spans(receiver.traces)
    assert [res["process.pid"] for _, res, _ in spans] == [parent]  # one first import, in the parent
    instances = {res["process.pid"]: res["service.instance.id"] for _, _, res, _ in use_points(receiver.metrics)}
    assert len(set(instances.values())) == 3


@pytest.mark.parametrize(("env", "config_name", "expected"), [
    ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes,deployment.environment.name=test"},
     "from-config", "from-attributes"),
    ({"OTEL_SERVICE_NAME": "from-env", "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes"},
     "from-config", "from-env"),
    ({}, "from-config", "from-config"),
    ({}, None, "main"),  # the program's name: the script's stem, never its arguments
], ids=["resource-attributes", "service-name-env", "config", "program"])
def test_service_name_precedence(http_receiver: HttpReceiver, tmp_path: Path, env: dict[str, str],
                                 config_name: str | None, expected: str) -> None:
    root = tmp_path / "proj"
    options: dict[str, Any] = {} if config_name is None else {"service_name": config_name}
    script = write_project(root, ["otlp"], **options)
    environ = child_env(tmp_path / "out", http_receiver.endpoint, "http/protobuf")
    del environ["OTEL_SERVICE_NAME"]
    environ.update(env)
    run = run_app(script, environ)
    assert http_receiver.wait_for(fully_received, timeout=5)
    resources = [res for _, _, res, _ in use_points(http_receiver.metrics)]
    resources += [res for _, res, _ in received_spans(http_receiver.traces)]
    assert {res["service.name"] for res in resources} == {expected}
    assert {res["process.pid"] for res in resources} == {run.result["pid"]}
    assert not (tmp_path / "out").exists()  # exporters = ["otlp"]: no local files
    assert_no_secrets(http_receiver)


# -- many sites -----------------------------------------------------------------------------------
MANY_SITES = 16_000  # ~320 bytes a point here: one export of ssot.legacy.uses is ~5 MB

MANY_SCRIPT = """\
import sys

sys.path.insert(0, {root!r})
import ssot_runtime

ssot_runtime.install({{"exporters": ["otlp"], "export_interval": 60, "export_timeout": 6,
                       "redirects": {redirects!r}}})
import many
"""


@pytest.mark.parametrize("protocol", [
    "grpc",
    "http/protobuf",
])
def test_many_sites_arrive_over_otlp(request: pytest.FixtureRequest, tmp_path: Path, protocol: str) -> None:
    """Far more sites than the SDK's default cardinality limit of 2,000 (max_sites is 100,000) arrive apart.

    The receivers keep gRPC's default limit of 4 MiB a message, as an OTel Collector does.
    """
    receiver = request.getfixturevalue("grpc_receiver" if protocol == "grpc" else "http_receiver")
    root = tmp_path / "proj"
    write_project(root, ["otlp"])
    (root / "many.py").write_text("import oldpkg.legacy as L\n" + "L.work\n" * MANY_SITES)
    script = root / "run_many.py"
    script.write_text(MANY_SCRIPT.format(root=str(root), redirects={LEGACY: CANONICAL}))
    env = child_env(tmp_path / "out", receiver.endpoint, receiver.protocol)
    completed = subprocess.run([sys.executable, script.name], cwd=root, env=env, capture_output=True, text=True,
                               timeout=SUBPROCESS_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    receiver.wait_for(lambda r: bool(r.metrics), timeout=2)
    points = use_points(receiver.metrics)
    assert not any("otel.metric.overflow" in p for p, *_ in points)
    assert sum(use_totals(receiver.metrics).values()) == MANY_SITES + 1, completed.stderr[-500:]
    assert len({p["code.line.number"] for p, *_ in points}) == MANY_SITES + 1

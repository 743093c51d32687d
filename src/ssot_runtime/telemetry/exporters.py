"""Where telemetry goes: local OTLP/JSON files (the default), OTLP to a collector, the console.

Every exporter is guarded by the process id it was made in: after ``fork()`` the SDK restarts
inherited readers in the child, and what they hold belongs to the parent.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import uuid

import wrapt
from opentelemetry.sdk.metrics import Counter, Histogram, ObservableCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricExporter, MetricExportResult
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ..log import log, notice
from . import otlp_json
from .quiet import exporting, quiet_exporter_loggers
from .spans import PendingSpans

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from opentelemetry.sdk.metrics.export import MetricsData
    from opentelemetry.sdk.trace import ReadableSpan

DELTA: dict[type, AggregationTemporality] = {
    kind: AggregationTemporality.DELTA for kind in (Counter, ObservableCounter, Histogram)
}


class ExportFailures:
    """Exporter failures: the first of each exporter is logged, the rest only counted."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def failed(self, exporter: str, error: object) -> None:
        with self._lock:
            count = self.counts[exporter] = self.counts.get(exporter, 0) + 1
        if count == 1:
            log("warning", "exporter failed", exporter=exporter, error=str(error),
                note="further failures of this exporter are counted, not logged")
            notice(f"export to {exporter} failed, uses may be lost: {error}")


class LocalFiles:
    """One file per process and signal in the output folder: ``<service>-<host>-<pid>-<id>.<signal>.jsonl``."""

    def __init__(self, folder: str, service: str, instance: str) -> None:
        self.folder = folder
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{service}-{socket.gethostname()}")
        self.stem = f"{safe}-{os.getpid()}-{instance[:8]}"
        self._lock = threading.Lock()

    def path(self, signal: str) -> str:
        return os.path.join(self.folder, f"{self.stem}.{signal}.jsonl")

    def append(self, signal: str, text: str) -> None:
        data = text.encode()
        with self._lock:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            fd = os.open(self.path(signal), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)


class LocalMetricExporter(MetricExporter):
    """OTLP/JSON lines of metrics, delta temporality, zero-valued delta points left out."""

    def __init__(self, files: LocalFiles, failures: ExportFailures) -> None:
        super().__init__(preferred_temporality=DELTA)
        self.files, self.failures = files, failures

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        try:
            batch = otlp_json.encode_metrics(metrics_data, drop_zero_deltas=True)
            if batch["resourceMetrics"]:
                self.files.append("metrics", otlp_json.lines([batch]))
        except Exception as exc:  # a full disk must not reach the application
            self.failures.failed("local", exc)
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


class LocalSpanExporter(SpanExporter):
    """OTLP/JSON lines of spans with hex ids."""

    def __init__(self, files: LocalFiles, failures: ExportFailures) -> None:
        self.files, self.failures = files, failures

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            if spans:
                self.files.append("traces", otlp_json.lines([otlp_json.encode_spans(spans)]))
        except Exception as exc:
            self.failures.failed("local", exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


class _Guarded(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """An exporter that exports only in the process that made it, and reports its failures.

    A metric exporter given ``spans`` sends them after each metrics export, in the same
    thread and within ``timeout`` seconds: the spans of first imports leave with the metrics
    collected at the same time, and at exit the local files are complete before any
    collector is waited for.
    """

    def __init__(self, wrapped: Any, name: str, failures: ExportFailures, spans: PendingSpans | None = None,
                 timeout: float = 0.0) -> None:
        super().__init__(wrapped)
        self._self_pid = os.getpid()
        self._self_name = name
        self._self_failures = failures
        self._self_spans = spans
        self._self_timeout = timeout

    def export(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        if os.getpid() != self._self_pid:
            return _success(self.__wrapped__)
        reported: list[str] = []

        def dropped(message: str) -> None:  # the SDK's first retry line: our one line, now
            if not reported:
                reported.append(message)
                self._self_failures.failed(self._self_name, message)

        try:
            with exporting(dropped):  # the SDK's retry lines stay out of the application's stderr
                result = self.__wrapped__.export(data, *args, **kwargs)
        except Exception as exc:
            self._self_failures.failed(self._self_name, exc)
            result = _failure(self.__wrapped__)
        else:
            if getattr(result, "name", "") == "FAILURE" and not reported:
                self._self_failures.failed(self._self_name, "export returned FAILURE")
        if self._self_spans is not None:
            import time

            self._self_spans.export(time.monotonic() + self._self_timeout)
        return result


def _success(exporter: Any) -> Any:
    return MetricExportResult.SUCCESS if isinstance(exporter, MetricExporter) else SpanExportResult.SUCCESS


def _failure(exporter: Any) -> Any:
    return MetricExportResult.FAILURE if isinstance(exporter, MetricExporter) else SpanExportResult.FAILURE


def guard(exporter: Any, name: str, failures: ExportFailures, spans: PendingSpans | None = None,
          timeout: float = 0.0) -> Any:
    return _Guarded(exporter, name, failures, spans, timeout)


# Points per OTLP request: 100,000 sites in one request would pass gRPC's (and a collector's)
# default 4 MiB message limit, and be refused whole.
_POINTS_PER_REQUEST = 2000


def _protocol(signal: str, environ: dict[str, str] | os._Environ[str]) -> str:
    return (environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf").strip()


def otlp_exporters(timeout: float, environ: Any = os.environ) -> tuple[Any, Any]:
    """The standard OTLP span and metric exporters, configured by the ``OTEL_EXPORTER_OTLP_*`` variables."""
    spans: Any
    metrics: Any
    if _protocol("TRACES", environ) == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans

        spans = GrpcSpans(timeout=timeout)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans

        spans = HttpSpans(timeout=timeout)
    if _protocol("METRICS", environ) == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics

        metrics = GrpcMetrics(timeout=timeout, max_export_batch_size=_POINTS_PER_REQUEST)
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics

        metrics = HttpMetrics(timeout=timeout, max_export_batch_size=_POINTS_PER_REQUEST)
    quiet_exporter_loggers()
    return spans, metrics


def new_instance_id() -> str:
    return str(uuid.uuid4())


def program_name() -> str:
    """The program's name for ``service.name``: the script's stem, never its arguments.

    ``python -m package`` is named after the package; a pytest-xdist worker (``python -c``,
    started by execnet) after pytest, as the controller that started it is.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") and (not sys.argv or sys.argv[0] in ("", "-c")):
        return "pytest"
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else "python"
    stem = os.path.splitext(os.path.basename(argv0))[0]
    if stem == "__main__":
        stem = os.path.basename(os.path.dirname(argv0))
    return stem or "python"

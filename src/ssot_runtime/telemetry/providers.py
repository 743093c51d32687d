"""Telemetry: the recorder's uses leave the process as OpenTelemetry metrics and spans.

Nothing of the SDK is imported, and no thread started, before the first legacy use in a process.
Uses are read from the recorder by an observable counter at each collection, so recording costs
nothing more on the hot path. The hook has providers of its own (never the global ones, unless
``use_global_providers``), flushes at exit (atexit and multiprocessing's finalizers), and after
``fork()`` a child starts from zero with providers and files of its own.
"""

from __future__ import annotations

import os
import threading
import time

from ..log import log, notice
from .ends import ProcessEnds
from .points import DURATION, PROCESS, USES, Points

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..hook.hook import BaseHook as Hook

SCOPE = "ssot_runtime"


def sdk_disabled(environ: Any = os.environ) -> bool:
    return str(environ.get("OTEL_SDK_DISABLED", "")).strip().lower() == "true"


class Telemetry(Points, ProcessEnds):
    """The OpenTelemetry side of one hook: started at the first use, flushed at exit."""

    def __init__(self, hook: Hook) -> None:
        self.hook = hook
        self.config = hook.config
        self.started = False
        self.closed = False
        self.pid = 0
        self.files: Any = None
        self.failures: Any = None
        self._lock = threading.RLock()
        self._meter_provider: Any = None
        self._tracer_provider: Any = None
        self._own_providers = False
        self._histogram: Any = None
        self._tracer: Any = None
        self._sent_imports = 0
        self._process_total = -1
        self._spanned: set[tuple[str, str, int, bool]] = set()
        self._generation = 0
        self._limit_logged = False
        self._exit_hooks = False
        self._readers: list[tuple[str, Any]] = []
        self._span_processors: list[Any] = []
        self._threads = True
        self.process_start_ns = getattr(hook, "started_ns", 0) or time.time_ns()
        self._fingerprints: Any = None

    @property
    def wanted(self) -> bool:
        return bool(self.config.exporters or self.config.use_global_providers) and not sdk_disabled()

    # -- start ---------------------------------------------------------------------------
    def start(self, *, at_exit: bool = False) -> None:
        """Import the SDK and start exporting; called once, at the first legacy use.

        ``at_exit``: a process that saw no use starts telemetry at its exit, without threads,
        only to leave the evidence that it ran (see ``_observe_process``).
        """
        with self._lock:
            if self.started or self.closed or not self.wanted:
                return
            try:
                try:
                    if at_exit:
                        raise RuntimeError("at exit: no thread")
                    self._start(threads=True)
                except RuntimeError:
                    # A first use at interpreter shutdown (an atexit callback): 3.12 refuses new
                    # threads then. Readers without a thread, collected by shutdown itself.
                    self._start(threads=False)
            except Exception as exc:
                log("error", "telemetry could not start", exc_info=True)
                notice(f"telemetry off, uses are not exported: {type(exc).__name__}: {exc}", "error")
                return
            self.started = True
            if not self._exit_hooks:
                self._register_exit_hooks()

    def _start(self, *, threads: bool) -> None:
        import math

        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.metrics.view import View
        from opentelemetry.sdk.trace import TracerProvider

        from . import exporters as _exporters
        from . import spans as _spans

        cfg = self.config
        self.pid = os.getpid()
        self._generation += 1
        self._sent_imports = 0
        self._process_total = -1
        self._spanned = set()
        self._readers, self._span_processors, self._threads = [], [], threads
        instance = _exporters.new_instance_id()
        resource = self._resource(instance, threads=threads)
        if cfg.use_global_providers:
            from opentelemetry import metrics, trace

            meter_provider, tracer_provider = metrics.get_meter_provider(), trace.get_tracer_provider()
            self._own_providers = False
        else:
            self.failures = _exporters.ExportFailures()
            interval_ms = cfg.export_interval * 1000 if threads else math.inf
            timeout_ms = cfg.export_timeout * 1000
            service = str(resource.attributes.get("service.name", "python"))
            pairs: list[tuple[str, Any, Any]] = []
            if "local" in cfg.exporters:
                self.files = _exporters.LocalFiles(os.path.abspath(cfg.output), service, instance)
                pairs.append(("local", _exporters.LocalSpanExporter(self.files, self.failures),
                              _exporters.LocalMetricExporter(self.files, self.failures)))
            if "otlp" in cfg.exporters:
                try:
                    pairs.append(("otlp", *_exporters.otlp_exporters(cfg.export_timeout)))
                except ImportError as exc:
                    log("error", "otlp exporter unavailable: install ssot-runtime[otlp]", error=str(exc))
                    notice(f"uses are not sent over OTLP: {exc} (install ssot-runtime[otlp])", "error")
            if "console" in cfg.exporters:
                from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
                from opentelemetry.sdk.trace.export import ConsoleSpanExporter

                pairs.append(("console", ConsoleSpanExporter(), ConsoleMetricExporter()))
            for name, spans, metrics_exporter in pairs:
                guarded_spans = _exporters.guard(spans, name, self.failures)
                # The local files' spans go with their metrics, in the reader's thread (at exit:
                # the exiting one); a collector's have a thread of their own, when threads may start.
                pending = _spans.SpanWorker(guarded_spans, cfg.export_timeout) if name != "local" and threads \
                    else _spans.PendingSpans(guarded_spans)
                self._span_processors.append(pending)
                # interval inf: the SDK starts no thread for the reader (see shutdown).
                self._readers.append((name, PeriodicExportingMetricReader(
                    _exporters.guard(metrics_exporter, name, self.failures,
                                     None if isinstance(pending, _spans.SpanWorker) else pending, cfg.export_timeout),
                    export_interval_millis=interval_ms, export_timeout_millis=timeout_ms)))
            meter_provider = MeterProvider(metric_readers=[reader for _, reader in self._readers],
                                           resource=resource, views=_views(View, cfg.max_sites),
                                           shutdown_on_exit=False)
            tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            for processor in self._span_processors:
                tracer_provider.add_span_processor(processor)
            self._own_providers = True
        meter = meter_provider.get_meter(SCOPE, _version())
        generation = self._generation
        meter.create_observable_counter(USES, callbacks=[lambda options: self._observe(generation)],
                                        unit="{use}", description="Uses of legacy import paths, per site")
        meter.create_observable_gauge(PROCESS, callbacks=[lambda options: self._observe_process(generation)],
                                      unit="{use}", description="Per process under the hook: its legacy uses so far "
                                      "(0 for none), and when the hook started in it")
        from ..hook.duplicates import LOADED_TWICE

        meter.create_observable_gauge(LOADED_TWICE, callbacks=[lambda options: self._observe_twice(generation)],
                                      unit="{module}", description="Per source file loaded under more than one "
                                      "module name: the module objects made from it (noted at exit)")
        self._histogram = meter.create_histogram(DURATION, unit="s",
                                                 description="Time to load the canonical module on a first import")
        self._tracer = tracer_provider.get_tracer(SCOPE, _version())
        self._meter_provider, self._tracer_provider = meter_provider, tracer_provider
        log("info", "telemetry started", exporters=list(cfg.exporters), output=cfg.output,
            files=self.files.stem if self.files else None)

    def _resource(self, instance: str, *, threads: bool) -> Any:
        from opentelemetry.sdk.resources import OTELResourceDetector, Resource

        from .exporters import program_name

        detected = OTELResourceDetector().detect()  # OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
        service = detected.attributes.get("service.name") or self.config.service_name or program_name()
        import socket

        # Never argv or the environment's values: they hold secrets.
        ours = {"service.name": service, "service.instance.id": instance, "process.pid": os.getpid(),
                "host.name": socket.gethostname()}
        if threads:
            return Resource.create(ours)
        # Resource.create runs its detectors in a thread pool: at interpreter shutdown, the
        # environment's detector and the SDK's own attributes, in the calling thread.
        from opentelemetry.sdk.resources import _DEFAULT_RESOURCE

        return _DEFAULT_RESOURCE.merge(detected).merge(Resource(ours))


def _views(view: Any, max_sites: int) -> list[Any]:
    """Room for ``max_sites`` sites apart. SDKs before 1.45.2 have no cardinality limit (nothing
    folds) and no ``aggregation_cardinality_limit`` to raise it with: no view there."""
    import inspect

    if "aggregation_cardinality_limit" not in inspect.signature(view.__init__).parameters:
        return []
    return [view(instrument_name=USES, aggregation_cardinality_limit=max_sites + 1)]


def _version() -> str:
    from ..version import __version__

    return __version__

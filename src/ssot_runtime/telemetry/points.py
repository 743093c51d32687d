"""What the recorder's records become: metric observations, the import histogram, spans.

A mixin of :class:`~ssot_runtime.telemetry.providers.Telemetry`, called by the SDK's readers at
each collection (the observable counter's callbacks) and by :meth:`Points.pump`.
"""

from __future__ import annotations

import os
import threading

from ..hook.fingerprint import ATTRIBUTE as FINGERPRINT
from ..log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..config import Config
    from ..hook.hook import BaseHook as Hook
    from ..hook.recorder import ImportTiming, UseRecord

SCOPE = "ssot_runtime"
USES = "ssot.legacy.uses"
DURATION = "ssot.legacy.import.duration"
SPAN = "ssot.legacy_import"
PROCESS = "ssot.process.uses"
PROCESS_START = "ssot.process.start_unix_nano"
USES_UNIT = "{use}"
USES_DESCRIPTION = "Uses of legacy import paths, per site"


def use_attributes(record: UseRecord | ImportTiming, symbol: str | None = None,
                   canonical_symbol: str | None = None) -> dict[str, Any]:
    """The attributes of a data point or span (a contract: reports and dashboards read them)."""
    attrs: dict[str, Any] = {"ssot.legacy.module": record.legacy}
    if symbol is not None:
        attrs["ssot.legacy.symbol"] = symbol
    attrs["ssot.canonical.module"] = record.canonical
    if canonical_symbol is not None:
        attrs["ssot.canonical.symbol"] = canonical_symbol
    attrs["ssot.mode"] = record.mode
    attrs["code.file.path"] = record.file
    attrs["code.line.number"] = record.line
    attrs["code.function.name"] = record.function
    return attrs


class TelemetryState:
    """What a telemetry holds (set in ``Telemetry.__init__``), declared once for its halves."""

    hook: Hook
    config: Config
    started: bool
    closed: bool
    pid: int
    process_start_ns: int
    _lock: threading.RLock
    _generation: int
    _meter_provider: Any
    _tracer_provider: Any
    _own_providers: bool
    _histogram: Any
    _tracer: Any
    _sent_imports: int
    _process_total: int
    _spanned: set[tuple[str, str, int, bool]]
    _limit_logged: bool
    _exit_hooks: bool
    _readers: list[tuple[str, Any]]
    _span_processors: list[Any]
    _threads: bool
    _fingerprints: Any
    _local_uses: Any  # telemetry/local_json.LocalUses, while the local files are written


class Points(TelemetryState):
    """Observations of the uses and of the process, and the first imports as histogram and spans."""


    # -- collection ------------------------------------------------------------------------
    def _observe(self, generation: int) -> Iterable[Any]:
        from opentelemetry.metrics import Observation

        if generation != self._generation or os.getpid() != self.pid:
            return []  # a reader inherited through fork(): its uses are the parent's
        self.pump()
        local = self._local_uses
        if local is not None and local.collecting():
            total = self.hook.recorder.total()
            if local.unchanged(total):  # the last collection at exit, mostly: no snapshot to make
                local.offer((), {}, total)
                return []
        records = self.hook.snapshot()
        if len(records) > self.config.max_sites and not self._limit_logged:
            self._limit_logged = True
            log("warning", "max_sites reached: further sites fold into one point", max_sites=self.config.max_sites,
                sites=len(records))
        if self._fingerprints is None:
            from ..hook.fingerprint import Fingerprints

            self._fingerprints = Fingerprints()
        prints = self._fingerprints.of(records)  # once per site: each new site's file is read once
        if local is not None and local.collecting():
            local.offer(records, prints, sum(r.count for r in records))  # the files write the snapshot
            return []
        observations = []
        for r in records:
            attrs = use_attributes(r, r.symbol, r.canonical_symbol)
            mark = prints.get((r.file, r.line))
            if mark is not None:
                attrs[FINGERPRINT] = mark
            observations.append(Observation(r.count, attrs))
        return observations

    def _observe_process(self, generation: int) -> Iterable[Any]:
        """The evidence that this process ran under the hook: a point even when it saw no use."""
        from opentelemetry.metrics import Observation

        if generation != self._generation or os.getpid() != self.pid:
            return []
        local = self._local_uses
        total = local.offered_total() if local is not None and local.collecting() else None
        if total is None:
            total = sum(record.count for record in self.hook.snapshot())
        # At the first export, when the count grew, and at exit: an idle process writes nothing.
        if total == self._process_total and not self.closed:
            return []
        self._process_total = total
        return [Observation(total, {PROCESS_START: self.process_start_ns, "ssot.mode": self.config.mode})]

    def _observe_twice(self, generation: int) -> Iterable[Any]:
        """The files the hook noted at exit as loaded under two module names (nothing before exit)."""
        from opentelemetry.metrics import Observation

        from ..hook.duplicates import CLASSES, MODULES

        if generation != self._generation or os.getpid() != self.pid:
            return []
        # Tuples: opentelemetry-sdk 1.43 (our lowest) hashes the attributes as given: a list failed the
        # whole collection, and the process left no file at all.
        return [Observation(len(n.modules), {"code.file.path": n.file, MODULES: tuple(n.modules),
                                             CLASSES: tuple(n.classes)}) for n in self.hook.loaded_twice]

    def pump(self) -> None:
        """Turn first imports recorded since the last call into the histogram and spans.

        Each exporter's spans are sent right after its metrics (see ``_exporters.guard``).
        """
        if not self.started or os.getpid() != self.pid:
            return
        from opentelemetry.context import Context
        from opentelemetry.trace import SpanKind, Status, StatusCode

        with self._lock:
            timings = self.hook.import_timings()
            new, self._sent_imports = timings[self._sent_imports:], len(timings)
        for timing in new:
            attrs = use_attributes(timing)
            if timing.error is None:
                self._histogram.record(timing.seconds, {k: attrs[k] for k in
                                                        ("ssot.legacy.module", "ssot.canonical.module", "ssot.mode")})
            site = (timing.legacy, timing.file, timing.line, timing.error is not None)
            if site in self._spanned:
                continue  # one span per legacy module and site in a process
            self._spanned.add(site)
            # An empty context: the span never becomes a child of the application's current span.
            span = self._tracer.start_span(SPAN, context=Context(), kind=SpanKind.INTERNAL, attributes=attrs,
                                           start_time=timing.start_ns)
            if timing.error is not None:
                span.set_status(Status(StatusCode.ERROR, timing.error))
            span.end(end_time=max(timing.end_ns, timing.start_ns))
        if new:
            for processor in self._span_processors:
                processor.wake()

"""Span processors without the SDK's batch thread: exits that start no thread and wait no longer
than the export timeout.

The SDK's batch processor joins its worker for up to 30 s at shutdown, whatever the export
timeout, and starting anything at interpreter shutdown fails on 3.12. Telemetry makes its spans
itself (in ``pump``), so it knows when there are spans to send:

- :class:`PendingSpans` keeps them until :meth:`~PendingSpans.export` sends them, in the
  calling thread: the local files' spans go right after their metrics, and at exit in the
  exiting thread, complete before any collector is waited for.
- :class:`SpanWorker` sends them from a thread of its own, started with telemetry (never at
  exit): a collector's spans and metrics travel side by side, and at exit both are waited for
  until one deadline.
"""

from __future__ import annotations

import contextlib
import threading
import time

from opentelemetry.sdk.trace import SpanProcessor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from opentelemetry.sdk.trace import ReadableSpan


class PendingSpans(SpanProcessor):
    """Keeps ended spans until :meth:`export` sends them."""

    _BATCH = 512

    def __init__(self, exporter: Any) -> None:
        self.exporter = exporter
        self._spans: list[ReadableSpan] = []
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        self._spans.append(span)  # list.append is atomic

    def export(self, deadline: float | None = None) -> None:
        """Send what was kept, in batches, until done or ``deadline`` (``time.monotonic()``) passes."""
        with self._lock:
            while self._spans and (deadline is None or time.monotonic() < deadline):
                count = min(len(self._spans), self._BATCH)
                batch = self._spans[:count]
                del self._spans[:count]
                self.exporter.export(batch)

    def wake(self) -> None:
        """Spans were made: a worker sends them now; here they wait for :meth:`export`."""

    def stop(self) -> None:
        """Exit begins: a worker makes its last export now."""

    def join(self, deadline: float) -> None:
        """Wait for the last export, until ``deadline`` at most."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        self.export(time.monotonic() + timeout_millis / 1000)
        return True

    def shutdown(self) -> None:
        self.exporter.shutdown()


class SpanWorker(PendingSpans):
    """Sends kept spans from its own daemon thread whenever :meth:`wake` is called."""

    def __init__(self, exporter: Any, timeout: float) -> None:
        super().__init__(exporter)
        self._timeout = timeout
        self._event = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ssot-runtime-spans", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._event.wait()
            self._event.clear()
            stopping = self._stopping
            # The exporter's guard reports failures; the thread must go on.
            with contextlib.suppress(Exception):
                self.export(time.monotonic() + self._timeout)
            if stopping:
                return

    def wake(self) -> None:
        self._event.set()

    def stop(self) -> None:
        self._stopping = True
        self._event.set()

    def join(self, deadline: float) -> None:
        self._thread.join(max(0.0, deadline - time.monotonic()))

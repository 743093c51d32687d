"""The OTLP exporters' own log lines, kept out of the application's stderr during our exports.

An unreachable collector makes the SDK's exporters log "Transient error ... retrying" and
"Failed to export" at WARNING, which Python's last-resort handler prints on the application's
stderr when it configured no logging. During an export of ours those records are dropped; the
failure is reported once, by :class:`~ssot_runtime.telemetry.exporters.ExportFailures`, through the
library's logger, at the first dropped line. The application's own OTLP exporters (other threads, or outside our export
calls) log as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_state = threading.local()
_PREFIX = "opentelemetry.exporter.otlp"


class _DropOurs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        on_drop = getattr(_state, "on_drop", None)
        if on_drop is None:
            return True
        if record.levelno >= logging.WARNING:
            try:
                # "Transient error %s encountered while exporting ...": the error itself.
                args = record.args if isinstance(record.args, tuple) else ()
                on_drop(str(args[0]) if args else record.getMessage())
            except Exception:  # reporting must never break the exporter
                pass
        return False


_FILTER = _DropOurs()


def quiet_exporter_loggers() -> None:
    """Put the filter on every OTLP exporter logger that exists (call after importing them)."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith(_PREFIX):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


@contextlib.contextmanager
def exporting(on_drop: Callable[[str], object]) -> Iterator[None]:
    """Mark the calling thread as inside one of our exports; ``on_drop`` gets each dropped
    warning's message (the first is reported at once: the export may still be retrying when
    the process ends)."""
    previous = getattr(_state, "on_drop", None)
    _state.on_drop = on_drop
    try:
        yield
    finally:
        _state.on_drop = previous

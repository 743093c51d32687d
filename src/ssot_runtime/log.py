"""Library logging: structlog around the stdlib logger ``ssot_runtime``; the application decides.

Never ``structlog.configure``: that belongs to the application. structlog is imported on the first
event that a handler would actually receive.
"""

from __future__ import annotations

import logging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_stdlib = logging.getLogger("ssot_runtime")
_stdlib.addHandler(logging.NullHandler())
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_bound: Any = None


def log(level: str, event: str, **fields: Any) -> None:
    """Log ``event`` with key-value fields, if the application's logging wants that level."""
    global _bound
    if not _stdlib.isEnabledFor(_LEVELS[level]):
        return  # a disabled structlog call still costs ~2 us: decide first
    if _bound is None:
        import structlog

        _bound = structlog.wrap_logger(
            _stdlib,
            processors=[structlog.processors.format_exc_info,
                        structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True)],
            wrapper_class=structlog.stdlib.BoundLogger,
        )
    getattr(_bound, level)(event, **fields)


_noticed = False


def notice(text: str, level: str = "warning") -> None:
    """One line on stderr, once per process: the hook cannot record or export, and says why.

    Whatever the application's logging does (a ``NullHandler`` hides the events above), the
    person running it learns that uses are being lost. Where the application's logging already
    printed our event of that ``level`` on stderr, that line is the one: no second one. The
    application goes on.
    """
    global _noticed
    import contextlib
    import sys

    if _noticed:
        return
    _noticed = True
    if _logged_on_stderr(level):
        return

    stream = sys.stderr if sys.stderr is not None else sys.__stderr__
    with contextlib.suppress(Exception):  # a closed stream must not reach the application
        print(f"ssot-runtime: {text}", file=stream, flush=True)


def _logged_on_stderr(level: str) -> bool:
    """Whether an event of ours at ``level`` reaches a handler that writes to stderr."""
    import sys

    if not _stdlib.isEnabledFor(_LEVELS[level]):
        return False
    logger: logging.Logger | None = _stdlib
    while logger is not None:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) \
                    and getattr(handler, "stream", None) in (sys.stderr, sys.__stderr__) \
                    and handler.level <= _LEVELS[level]:
                return True
        logger = logger.parent if logger.propagate else None
    return False

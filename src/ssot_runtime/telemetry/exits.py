"""Process ends that neither ``atexit`` nor multiprocessing's finalizers see.

Celery's prefork children (billiard) leave through ``os._exit`` straight from the pool's worker
loop, after sending Celery's ``worker_process_shutdown`` signal in the child: the uses are saved
from a receiver of that signal. Nothing here imports Celery: the receiver is connected only
where ``celery.signals`` is already loaded (the worker imports it before it imports the tasks,
and the children are forked from it).
"""

from __future__ import annotations

import sys
import weakref

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Telemetry(Protocol):
        """What is saved (``providers.Telemetry``)."""

        def shutdown(self) -> None: ...

_UID = "ssot_runtime.save_uses"


def connect(telemetry: Telemetry) -> None:
    """Save ``telemetry`` at the process ends of the frameworks already imported (safe to repeat)."""
    signals = sys.modules.get("celery.signals")
    shutdown = getattr(signals, "worker_process_shutdown", None)
    if shutdown is None:
        return
    ref = weakref.ref(telemetry)

    def save(*args: Any, **kwargs: Any) -> None:
        current = ref()
        if current is not None:
            current.shutdown()

    # One receiver per process, whichever telemetry connected last (a child's, after the fork).
    shutdown.disconnect(dispatch_uid=_UID)
    shutdown.connect(save, weak=False, dispatch_uid=_UID)

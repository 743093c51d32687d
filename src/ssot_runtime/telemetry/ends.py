"""How telemetry ends: flush, shutdown within the export timeout, and a forked child starting anew.

A mixin of :class:`~ssot_runtime.telemetry.providers.Telemetry`: atexit (registered by the
hook), multiprocessing's and billiard's finalizers, Celery's process ends (:mod:`.exits`) and
``os.register_at_fork`` all come here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref

from ..log import log
from .points import TelemetryState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any



class ProcessEnds(TelemetryState):
    """Exit and fork: the last export of a process, and a child's fresh start."""


    if TYPE_CHECKING:  # the other halves of Telemetry
        def start(self, *, at_exit: bool = False) -> None: ...
        def pump(self) -> None: ...

    # -- exit and fork ---------------------------------------------------------------------
    def _register_exit_hooks(self) -> None:
        # atexit is the hook's (registered at install, so that a first use inside an
        # application's atexit callback still runs before the flush); fork and
        # multiprocessing's finalizers are ours.
        self._exit_hooks = True
        ref = weakref.ref(self)

        def after_fork_in_child() -> None:
            telemetry = ref()
            if telemetry is not None:
                telemetry._after_fork()

        os.register_at_fork(after_in_child=after_fork_in_child)
        self._register_finalizer()

    def _register_finalizer(self) -> None:
        # multiprocessing children leave through os._exit: atexit never runs, its finalizers do.
        # billiard (Celery's prefork pool) is a fork of multiprocessing with registries of its own.
        for util in _process_utils():
            util.Finalize(self, ProcessEnds.shutdown, args=(self,), exitpriority=100)
        from . import exits

        exits.connect(self)

    def _after_fork(self) -> None:
        """In a forked child: count from zero, drop what the parent's pipeline holds, start again."""
        self._lock = threading.RLock()
        self.process_start_ns = time.time_ns()
        self.hook.recorder.after_fork()
        was_started, self.started = self.started, False
        self._meter_provider = self._tracer_provider = None
        if was_started and not self.closed:
            self.start()
            from . import exits

            exits.connect(self)
            for util in _process_utils():  # their registries are cleared after fork: register once they are
                util.register_after_fork(self, ProcessEnds._register_finalizer)

    def flush(self) -> None:
        """Export everything recorded so far (tests, ``run``)."""
        if not self.started or os.getpid() != self.pid:
            return
        self.pump()
        timeout = int(self.config.export_timeout * 1000)
        self._meter_provider.force_flush(timeout)
        self._tracer_provider.force_flush(timeout)

    def shutdown(self) -> None:
        """Flush and stop in the calling thread, starting no thread, within the export timeout.

        3.12 refuses to start a thread at interpreter shutdown, so nothing here may. The local
        files are written first and synchronously: the local reader is collected here, not by
        its own thread. The other readers' threads make their last export when the provider
        shuts them down, and are waited for until the deadline at most: a slow collector holds
        exit up no longer than ``export_timeout``.
        """
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if not self.started or os.getpid() != self.pid:
                return
        import time

        timeout = self.config.export_timeout
        deadline = time.monotonic() + timeout
        try:
            self.pump()
        except Exception:
            log("error", "telemetry flush failed", exc_info=True)
        if not self._own_providers:
            return
        for name, reader in self._readers:
            if name == "local":  # files cannot hang: never cut short by a collector's deadline
                _quietly(reader.collect, int(max(timeout, 30.0) * 1000))
        for processor in self._span_processors:
            processor.stop()  # a collector's spans leave now, beside the readers' last export
        for name, reader in self._readers:
            if name != "local" and not self._threads:
                _quietly(reader.collect, int(max(0.0, deadline - time.monotonic()) * 1000))
        _quietly(self._meter_provider.shutdown, int(max(0.0, deadline - time.monotonic()) * 1000))
        for processor in self._span_processors:
            processor.join(deadline)
        _quietly(self._tracer_provider.shutdown)


def _process_utils() -> list[Any]:
    """The ``util`` modules of the process libraries already imported (never imported by us)."""
    return [util for util in (sys.modules.get("multiprocessing.util"), sys.modules.get("billiard.util"))
            if util is not None]


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log("error", "telemetry shutdown failed", exc_info=True)

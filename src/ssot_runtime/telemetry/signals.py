"""Save the uses before SIGTERM ends the process, then let the signal do what it would have done.

A process that dies of a signal's default action never runs ``atexit``. uvicorn, after its
graceful shutdown, re-raises the signal it caught with the handler it found (the default), so
a server asked to stop lost everything it had recorded since the last export. Where the
default action stands, this module puts a handler that saves (the same flush as at exit), puts
the default back and raises the signal again: the process then ends exactly as it would have,
killed by the same signal, with the same exit status.

Only the default action is replaced. A handler the application installs replaces ours, as it
would replace the default; when the application puts the default back (uvicorn does, before
re-raising), ours stands in for it again. ``signal.getsignal`` and the value ``signal.signal``
returns show the default wherever ours stands in: the application sees what it would without us.
"""

from __future__ import annotations

import contextlib
import signal
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

SAVED = (signal.SIGTERM,)
_real_signal = signal.signal
_real_getsignal = signal.getsignal
_standing_in: set[int] = set()
_save: Callable[[], None] | None = None


def install(save: Callable[[], None]) -> bool:
    """Stand in for the default action of SIGTERM with a handler that calls ``save`` first.

    Returns whether it is installed (only the main thread can set handlers). Safe to call twice.
    """
    global _save
    if threading.current_thread() is not threading.main_thread():
        return False
    _save = save
    for sig in SAVED:
        if _real_getsignal(sig) == signal.SIG_DFL:
            _real_signal(sig, _on_signal)
            _standing_in.add(sig)
    if signal.signal is not _signal:
        signal.signal = _signal
        signal.getsignal = _getsignal
    return True


def uninstall() -> None:
    """Put the default action back where ours stands in, and the signal module's own functions."""
    global _save
    for sig in list(_standing_in):
        if _real_getsignal(sig) is _on_signal:
            _real_signal(sig, signal.SIG_DFL)
    _standing_in.clear()
    signal.signal, signal.getsignal = _real_signal, _real_getsignal
    _save = None


def installed() -> bool:
    return bool(_standing_in) and _save is not None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    save = _save
    if save is not None:
        with contextlib.suppress(Exception):  # the signal must still end the process
            save()
    _standing_in.discard(signum)
    _real_signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)  # the default action: the process ends here, killed by the signal


def _signal(signalnum: int, handler: Any) -> Any:
    """``signal.signal``: the same, except that the default action of a saved signal is ours."""
    if signalnum not in SAVED or _save is None:
        return _real_signal(signalnum, handler)
    previous = _getsignal(signalnum)
    if handler == signal.SIG_DFL and not callable(handler):
        _real_signal(signalnum, _on_signal)  # raises where the real one would (not the main thread)
        _standing_in.add(signalnum)
    else:
        _real_signal(signalnum, handler)
        _standing_in.discard(signalnum)
    return previous


def _getsignal(signalnum: int) -> Any:
    """``signal.getsignal``: the default where ours stands in for it."""
    current = _real_getsignal(signalnum)
    return signal.SIG_DFL if current is _on_signal else current


_signal.__doc__ = _real_signal.__doc__
_getsignal.__doc__ = _real_getsignal.__doc__

"""Our frames that run the user's code during an import, where ``warnings`` does not count them.

A shim's own ``warnings.warn(..., stacklevel=2)`` (in its body, or in its PEP 562 ``__getattr__``)
must point at the line that imported it, as without the hook. CPython's ``warnings`` skips the
import system's frames when it counts ``stacklevel``: those whose file name contains both
``importlib`` and ``_bootstrap`` (``_is_internal_frame`` / ``_next_external_frame`` in
``warnings.py``, the same test in ``_warnings.c``, 3.10 to 3.13). This module's file name has both:
the loader and wrapper frames defined here, between the user's code and the import system, are
skipped as importlib's own are. Nothing else lives here.
"""

from __future__ import annotations

import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, ModuleType
    from typing import Any

_getframe = sys._getframe


def exec_observed(self: Any, module: ModuleType) -> None:
    """``exec_module`` of ``finder.ObserveLoader``: the module's own loader runs it, then it is observed."""
    start = time.perf_counter_ns()
    self.__wrapped__.exec_module(module)
    binding = self.observed(module, start)
    if binding is not None:
        binding.loaded()  # called from here: loaded() reads the import system's frames at known depths


def exec_live(self: Any, module: ModuleType) -> None:
    """``exec_module`` of ``live.LiveLoader``: the module's own loader runs it, then it is attached."""
    try:
        self._loader.exec_module(module)
    finally:
        self.give_back(module)
    self.attach(module)


def shim_getattr(original: Callable[[str], Any], record: Callable[[str, FrameType], None]) -> Callable[[str], Any]:
    """A shim's PEP 562 ``__getattr__``, recording the names it serves (dunders are no use)."""

    def __getattr__(name: str) -> Any:
        value = original(name)
        if not (name[:2] == "__" and name[-2:] == "__"):
            record(name, _getframe(1))
        return value

    __getattr__.__wrapped__ = original  # type: ignore[attr-defined]
    return __getattr__

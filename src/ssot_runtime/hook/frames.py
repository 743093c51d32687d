"""Frames: who is the caller of a use, and the name of the function it runs.

The caller of a use is the first frame outside the import machinery, ``ssot_runtime`` and the
configured ``skip_modules``. Classifying a frame is cached by file name, since every lookup on
the hot path must stay a dict hit.
"""

from __future__ import annotations

import sys

from . import qualname as _qualname

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import FrameType


# Frames that are never a user of a legacy path, and whose own reads are not uses: the import
# machinery, and inspect's introspection (getmembers reads every name of a module).
MACHINERY = ("importlib", "importlib.*", "_frozen_importlib", "_frozen_importlib_external", "runpy", "inspect")
# Frames we walk past to find the user: ourselves and helpers that resolve dotted names.
ALWAYS_SKIP = ("ssot_runtime", "ssot_runtime.*", "unittest.mock", "contextlib", "pickle", "copyreg", "pkgutil")

MACHINE, SKIP, USER = 0, 1, 2


class FrameClassifier:
    """Tells, per code file, whether a frame is machinery, skipped, or the user."""

    def __init__(self, skip_modules: Iterable[str] = ()) -> None:
        self._skip = (*ALWAYS_SKIP, *skip_modules)
        self._cache: dict[str, int] = {}
        self._modules: dict[str, int] = {}

    def kind(self, frame: FrameType) -> int:
        filename = frame.f_code.co_filename
        kind = self._cache.get(filename)
        if kind is None:
            kind = self._cache[filename] = self._classify(frame)
        return kind

    def kind_of_module(self, module: str) -> int:
        """The kind of a frame of ``module`` that is not importlib's frozen bootstrap."""
        kind = self._modules.get(module)
        if kind is None:
            kind = self._modules[module] = self._classify_module(module)
        return kind

    def _classify(self, frame: FrameType) -> int:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return MACHINE
        module = frame.f_globals.get("__name__")
        if not isinstance(module, str):
            return USER
        return self._classify_module(module)

    def _classify_module(self, module: str) -> int:
        if any(module_matches(module, pattern) for pattern in MACHINERY):
            return MACHINE
        if any(module_matches(module, pattern) for pattern in self._skip):
            return SKIP
        return USER

    def caller(self, frame: FrameType | None) -> FrameType | None:
        """The first user frame at or above ``frame``, or None when there is none (``python -m``)."""
        cache = self._cache
        while frame is not None:
            kind = cache.get(frame.f_code.co_filename)  # self.kind(), written out: a call less per frame
            if kind is None:
                kind = self.kind(frame)
            if kind == USER:
                return frame
            frame = frame.f_back
        return None


def module_matches(module: str, pattern: str) -> bool:
    """Whether a module name matches a pattern: ``pkg``, ``pkg.*`` (its submodules) or a glob."""
    if pattern.endswith(".*") and "*" not in pattern[:-2] and "?" not in pattern and "[" not in pattern:
        return module.startswith(pattern[:-1])
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return module == pattern
    import fnmatch  # rare patterns only: fnmatch brings `re` into start-up

    return fnmatch.fnmatchcase(module, pattern)


def function_name(frame: FrameType) -> str:
    """``module.qualname`` of the function a frame runs, as reports show it."""
    code = frame.f_code
    if sys.version_info >= (3, 11):
        qualname = code.co_qualname
    else:  # 3.10 has no co_qualname: found by _qualname, once per site
        qualname = _qualname.qualname(code, frame.f_globals)
    if code.co_name in _INLINED:
        qualname = _without_comprehension(qualname)
    module = frame.f_globals.get("__name__")
    return f"{module}.{qualname}" if isinstance(module, str) else qualname


# 3.12 runs list, set and dict comprehensions in their enclosing function's frame (PEP 709):
# named after that function on every version, so that reports and baselines agree.
_INLINED = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>"})


def _without_comprehension(qualname: str) -> str:
    parts = qualname.split(".")
    while parts and parts[-1] in _INLINED:
        parts.pop()
        if parts and parts[-1] == "<locals>":
            parts.pop()
    return ".".join(parts) or "<module>"

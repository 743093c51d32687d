"""Frames: who is the caller, and what import statement is it executing.

The caller of a use is the first frame outside the import machinery, ``ssot_runtime`` and the
configured ``skip_modules``. Classifying a frame is cached by file name, since every lookup on
the hot path must stay a dict hit.
"""

from __future__ import annotations

import sys
from opcode import opmap

from . import _qualname

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import CodeType, FrameType

_IMPORT_NAME = opmap["IMPORT_NAME"]
_LOAD_CONST = opmap["LOAD_CONST"]
_EXTENDED_ARG = opmap["EXTENDED_ARG"]
_IMPORT_FROM = opmap["IMPORT_FROM"]
_LOADS = frozenset(op for name, op in opmap.items() if name.startswith(("LOAD_", "STORE_", "DELETE_")))

# Frames that are never a user of a legacy path, and whose own reads are not uses.
MACHINERY = ("importlib", "importlib.*", "_frozen_importlib", "_frozen_importlib_external", "runpy")
# Frames we walk past to find the user: ourselves and helpers that resolve dotted names.
ALWAYS_SKIP = ("ssot_runtime", "ssot_runtime.*", "unittest.mock", "pickle", "copyreg", "pkgutil")

MACHINE, SKIP, USER = 0, 1, 2


class FrameClassifier:
    """Tells, per code file, whether a frame is machinery, skipped, or the user."""

    def __init__(self, skip_modules: Iterable[str] = ()) -> None:
        self._skip = (*ALWAYS_SKIP, *skip_modules)
        self._cache: dict[str, int] = {}

    def kind(self, frame: FrameType) -> int:
        filename = frame.f_code.co_filename
        kind = self._cache.get(filename)
        if kind is None:
            kind = self._cache[filename] = self._classify(frame)
        return kind

    def _classify(self, frame: FrameType) -> int:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return MACHINE
        module = frame.f_globals.get("__name__")
        if not isinstance(module, str):
            return USER
        if any(module_matches(module, pattern) for pattern in MACHINERY):
            return MACHINE
        if any(module_matches(module, pattern) for pattern in self._skip):
            return SKIP
        return USER

    def caller(self, frame: FrameType | None) -> FrameType | None:
        """The first user frame at or above ``frame``, or None when there is none (``python -m``)."""
        while frame is not None and self.kind(frame) != USER:
            frame = frame.f_back
        return frame


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


def _arg_at(code: bytes, offset: int) -> int:
    """The full argument of the instruction at ``offset``, with its EXTENDED_ARG prefixes."""
    arg = code[offset + 1]
    shift = 8
    offset -= 2
    while offset >= 0 and code[offset] == _EXTENDED_ARG:
        arg |= code[offset + 1] << shift
        shift += 8
        offset -= 2
    return arg


def _previous(code: bytes, offset: int) -> int:
    """The offset of the instruction before the one at ``offset``, skipping its EXTENDED_ARGs."""
    offset -= 2
    while offset >= 2 and code[offset - 2] == _EXTENDED_ARG:
        offset -= 2
    return offset


def import_statement(frame: FrameType, offset: int | None = None) -> tuple[str, tuple[str, ...] | None] | None:
    """What the import statement at ``offset`` (default: where the frame is) names.

    Returns ``(absolute_name, fromlist)``, or None when the instruction is not an ``IMPORT_NAME``
    (a call such as ``importlib.import_module`` or ``__import__``, or an attribute read).
    """
    code: CodeType = frame.f_code
    raw = code.co_code
    lasti = frame.f_lasti if offset is None else offset
    if lasti < 0 or lasti >= len(raw) or raw[lasti] != _IMPORT_NAME:
        return None
    name = code.co_names[_arg_at(raw, lasti)]
    fromlist: tuple[str, ...] | None = None
    level = 0
    at = _previous(raw, lasti)
    if at >= 0 and raw[at] == _LOAD_CONST:
        value = code.co_consts[_arg_at(raw, at)]
        fromlist = tuple(value) if value is not None else None
        at = _previous(raw, at)
        if at >= 0 and raw[at] == _LOAD_CONST:
            level_value = code.co_consts[_arg_at(raw, at)]
            level = level_value if isinstance(level_value, int) else 0
    if level:
        package = frame.f_globals.get("__package__") or ""
        base = package.rsplit(".", level - 1)[0] if level > 1 else package
        name = f"{base}.{name}" if name else base
    return name, fromlist


def is_attribute_read(frame: FrameType) -> bool:
    """Whether the frame is at a plain attribute load (``mod.__spec__``), not a call or import."""
    raw = frame.f_code.co_code
    lasti = frame.f_lasti
    return 0 <= lasti < len(raw) and raw[lasti] in _LOADS


def from_import_offset(frame: FrameType) -> int | None:
    """If the frame is at the ``IMPORT_FROM`` of ``from x import y``, the offset of its ``IMPORT_NAME``.

    ``import a.b as c`` compiles to ``IMPORT_FROM`` too, after an ``IMPORT_NAME`` with no fromlist:
    that is not a from-import, and gives None.
    """
    raw = frame.f_code.co_code
    at = frame.f_lasti
    if at < 0 or at >= len(raw) or raw[at] != _IMPORT_FROM:
        return None
    back = at - 2
    while back >= 0 and raw[back] != _IMPORT_NAME and at - back < 512:
        back -= 2
    if back < 0 or raw[back] != _IMPORT_NAME:
        return None
    statement = import_statement(frame, back)
    return back if statement is not None and statement[1] is not None else None

"""Bytecode: what import statement a frame is executing, read from its code.

An import statement compiles to ``<load level> <load fromlist> IMPORT_NAME name`` (then
``IMPORT_FROM`` per name for ``from x import a``). On the versions whose bytecode this module
knows (3.10-3.13: two ``LOAD_CONST``, no inline caches on either), the raw bytes are read
directly: a few index operations, once per site. Elsewhere (3.14 loads small ints with
``LOAD_SMALL_INT``) the same answers come from :mod:`dis`, slower and exact, never guessed.
"""

from __future__ import annotations

import sys
from opcode import opmap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, FrameType
    from typing import Any

    Statement = tuple[str, tuple[str, ...] | None]

KNOWN = (3, 10) <= sys.version_info[:2] <= (3, 13)
_IMPORT_NAME = opmap["IMPORT_NAME"]
_LOAD_CONST = opmap["LOAD_CONST"]
_EXTENDED_ARG = opmap["EXTENDED_ARG"]
_IMPORT_FROM = opmap["IMPORT_FROM"]
_IMPORT_STAR = opmap.get("IMPORT_STAR", -1)  # 3.10, 3.11
_CALL_INTRINSIC_1 = opmap.get("CALL_INTRINSIC_1", -1)  # 3.12, 3.13: with INTRINSIC_IMPORT_STAR
_INTRINSIC_IMPORT_STAR = 2
_LOADS = frozenset(op for name, op in opmap.items() if name.startswith(("LOAD_", "STORE_", "DELETE_")))


def import_statement(frame: Any, offset: int | None = None, *, known: bool = KNOWN) -> Statement | None:
    """What the import statement at ``offset`` (default: where the frame is) names.

    Returns ``(absolute_name, fromlist)``, or None when the instruction is not an ``IMPORT_NAME``
    (a call such as ``importlib.import_module`` or ``__import__``, or an attribute read).
    ``frame`` is a frame or anything with its ``f_code``, ``f_lasti`` and ``f_globals``;
    ``known`` false takes the :mod:`dis` path whatever the version.
    """
    code: CodeType = frame.f_code
    raw = code.co_code
    lasti = _instruction(raw, frame.f_lasti if offset is None else offset)
    if lasti < 0 or lasti >= len(raw) or raw[lasti] != _IMPORT_NAME:
        return None
    operands = _operands(code, raw, lasti) if known else _operands_from_dis(code, lasti)
    if operands is None:
        return None
    name, level, fromlist = operands
    if level:
        package = frame.f_globals.get("__package__") or ""
        base = package.rsplit(".", level - 1)[0] if level > 1 else package
        name = f"{base}.{name}" if name else base
    return name, fromlist


def _instruction(raw: bytes, offset: int) -> int:
    """The offset of the instruction itself: 3.10's ``f_lasti`` stays on its first EXTENDED_ARG."""
    while 0 <= offset < len(raw) - 2 and raw[offset] == _EXTENDED_ARG:
        offset += 2
    return offset


def _operands(code: CodeType, raw: bytes, lasti: int) -> tuple[str, int, tuple[str, ...] | None]:
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
    return name, level, fromlist


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
    """The opcode offset of the instruction before the one at ``offset`` (past the latter's EXTENDED_ARGs)."""
    offset -= 2
    while offset >= 0 and code[offset] == _EXTENDED_ARG:
        offset -= 2
    return offset


# -- the exact path for bytecode this module does not know -------------------------------
def _instructions(code: CodeType) -> list[Any]:
    import dis

    return [i for i in dis.get_instructions(code) if i.opname != "EXTENDED_ARG"]


def _is_constant(instruction: Any) -> bool:
    import dis

    return instruction.opcode in dis.hasconst or instruction.opname in ("LOAD_SMALL_INT", "LOAD_CONST_IMMORTAL")


def _operands_from_dis(code: CodeType, lasti: int) -> tuple[str, int, tuple[str, ...] | None] | None:
    instructions = _instructions(code)
    index = next((n for n, i in enumerate(instructions) if i.offset == lasti), None)
    if index is None or index < 2:
        return None
    load_level, load_fromlist = instructions[index - 2], instructions[index - 1]
    if not (_is_constant(load_level) and _is_constant(load_fromlist)):
        return None  # not the compiler's shape: say nothing rather than guess
    fromlist = load_fromlist.argval
    level = load_level.argval
    return (str(instructions[index].argval), level if isinstance(level, int) else 0,
            tuple(fromlist) if fromlist is not None else None)


def is_attribute_read(frame: FrameType) -> bool:
    """Whether the frame is at a plain attribute load (``mod.__spec__``), not a call or import."""
    raw = frame.f_code.co_code
    lasti = _instruction(raw, frame.f_lasti)
    return 0 <= lasti < len(raw) and raw[lasti] in _LOADS


def is_star_import(frame: Any, *, known: bool = KNOWN) -> bool:
    """Whether the frame is at the instruction of ``from x import *`` that reads every public name."""
    raw = frame.f_code.co_code
    at = _instruction(raw, frame.f_lasti)
    if at < 0 or at >= len(raw) - 1:
        return False
    if known:
        return bool(raw[at] == _IMPORT_STAR or (raw[at] == _CALL_INTRINSIC_1 and raw[at + 1] == _INTRINSIC_IMPORT_STAR))
    return any(i.offset == at and (i.opname == "IMPORT_STAR" or i.argrepr == "INTRINSIC_IMPORT_STAR")
               for i in _instructions(frame.f_code))


def from_import_offset(frame: Any, *, known: bool = KNOWN) -> int | None:
    """If the frame is at the ``IMPORT_FROM`` of ``from x import y``, the offset of its ``IMPORT_NAME``.

    ``import a.b as c`` compiles to ``IMPORT_FROM`` too, after an ``IMPORT_NAME`` with no fromlist:
    that is not a from-import, and gives None.
    """
    raw = frame.f_code.co_code
    at = _instruction(raw, frame.f_lasti)
    if at < 0 or at >= len(raw) or raw[at] != _IMPORT_FROM:
        return None
    back: int | None
    if known:
        back = at - 2
        while back >= 0 and raw[back] != _IMPORT_NAME and at - back < 512:
            back -= 2
        if back < 0 or raw[back] != _IMPORT_NAME:
            return None
    else:
        before = [i.offset for i in _instructions(frame.f_code) if i.offset < at and i.opname == "IMPORT_NAME"]
        back = before[-1] if before else None
        if back is None:
            return None
    statement = import_statement(frame, back, known=known)
    return back if statement is not None and statement[1] is not None else None

"""Which function a frame is calling: ``getattr(module, "__spec__")`` is a dunder read, not an import.

A read of ``__spec__`` made from C has no frame of its own: the frame we see is the caller's, at
its call instruction, both for ``__import__("legacy")`` (a use) and for ``getattr(legacy,
"__spec__")`` (Django's autoreloader, ``inspect.getmembers``: never a use). The two differ only
in the function called, so we find the instruction that loaded it by walking back over the
arguments' stack effects, and resolve its name where the frame would.
"""

from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

_ATTRIBUTE_READERS = (builtins.getattr, builtins.hasattr)
# A call of a plain name, positional arguments only: its argument is the number of them. The
# NULL slot beside the callable (3.11+) comes from LOAD_GLOBAL itself, or from a PUSH_NULL.
_CALLS = frozenset({"CALL", "PRECALL", "CALL_FUNCTION"})  # 3.11 calls builtins in PRECALL
_SKIPPED = frozenset({"CACHE", "EXTENDED_ARG"})
_NAME_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_FAST_CHECK",
                         "LOAD_FAST_BORROW"})


def called_function(frame: FrameType) -> object:
    """The function the frame is calling at its current instruction, or None when unknown."""
    import dis  # once per site, never at start-up (dis and opcode cost a millisecond to import)

    jumps = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)
    code = frame.f_code
    instructions = [i for i in dis.get_instructions(code) if i.opname not in _SKIPPED]
    index = next((n for n, i in enumerate(instructions) if i.offset == frame.f_lasti), None)
    if index is None or instructions[index].opname not in _CALLS:
        return None
    call = instructions[index]
    arguments = call.arg or 0  # stack slots above the callable
    depth = 0
    for at in range(index - 1, -1, -1):
        instruction = instructions[at]
        if depth == arguments and instruction.opname in _NAME_LOADS:
            return _resolve(frame, instruction.opname, str(instruction.argval))
        if instruction.opname in ("PUSH_NULL", "PRECALL"):
            continue  # the slot below the callable (3.11, 3.12) or above it (3.13)
        if instruction.is_jump_target or instruction.opcode in jumps:
            return None  # a conditional inside the arguments: not worth following
        try:
            depth += dis.stack_effect(instruction.opcode, instruction.arg)
        except ValueError:
            return None
        if depth > arguments:
            return None
    return None


def _resolve(frame: FrameType, opname: str, name: str) -> object:
    name = name.removeprefix("NULL + ").removesuffix(" + NULL")
    if opname in ("LOAD_GLOBAL", "LOAD_NAME"):
        if opname == "LOAD_NAME" and name in frame.f_locals:
            return frame.f_locals[name]
        if name in frame.f_globals:
            return frame.f_globals[name]
        return getattr(builtins, name, None)
    return frame.f_locals.get(name)


def reads_an_attribute(frame: FrameType) -> bool:
    """Whether the frame is calling ``getattr`` or ``hasattr`` (a read of a dunder by name)."""
    try:
        function = called_function(frame)
    except Exception:
        return False
    return any(function is reader for reader in _ATTRIBUTE_READERS)

"""What is a reference to a legacy path, and what is prose that only mentions one.

A string is a reference only when the whole string is a dotted name (``app.old.Thing``) or
``module:attr``; a single name (``"oldpkg"``) only as the argument of a call known to take one:
``import_module``, ``__import__``, ``find_spec``, ``mock.patch``. In a config file a dotted name
is a reference when it is a whole value: alone between quotes, or unquoted after ``=``, ``:``,
``-``, ``[``, ``(`` or ``,`` (or at the start of a line) and before the end of the line, a
comment, ``,``, ``]`` or ``)``. Everything else that names a legacy path (messages, comments,
descriptions) is prose: never rewritten, listed by ``scan --prose``.
"""

from __future__ import annotations

import re

from .names import _DOTTED, LegacyNames, Match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_WHOLE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*)?")
# Calls whose first argument (or keyword ``name``/``target``) is a module or object path.
KNOWN_CALLS = frozenset({"import_module", "__import__", "find_spec", "patch"})
ARGUMENT_KEYWORDS = frozenset({"name", "target"})
_OPENERS, _CLOSERS = "=:-[(,", ",])"


def whole(names: LegacyNames, text: str, *, call_argument: bool = False) -> Match | None:
    """The legacy path ``text`` names when the whole string is a reference, else None."""
    if not _WHOLE.fullmatch(text) or not (call_argument or "." in text or ":" in text):
        return None
    return names.dotted(text)


def replacement(names: LegacyNames, text: str, match: Match) -> str:
    """The canonical text of a whole reference ``text`` (see :func:`whole`)."""
    if _DOTTED.fullmatch(text):
        return names.replace_text(text)
    # A top-level module alone, or its `module:attr`.
    return f"{match.canonical}:{match.canonical_symbol}" if ":" in text else match.canonical


def prose_in(names: LegacyNames, text: str) -> list[Match]:
    """Legacy paths that a string which is not a reference mentions."""
    return [] if whole(names, text) else [match for _, _, match in names.in_text(text)]


def _comment_at(line: str) -> int:
    """Where a config line's comment starts (``#`` outside quotes, or a line that starts with ``;``)."""
    if line.lstrip().startswith((";", "#")):
        return 0
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return index
    return len(line)


def config_names(names: LegacyNames, line: str) -> tuple[list[tuple[int, int, Match]], list[tuple[int, int, Match]]]:
    """The dotted legacy names of a config line: (references, prose), each as (start, end, match)."""
    refs: list[tuple[int, int, Match]] = []
    mentions: list[tuple[int, int, Match]] = []
    comment = _comment_at(line)
    for start, end, match in names.in_text(line):
        before, after = line[:start], line[end:comment]
        if start >= comment:
            mentions.append((start, end, match))
            continue
        if before[-1:] in ("'", '"'):
            value = after[:1] == before[-1]
        else:
            opened, closed = before.rstrip()[-1:], after.lstrip()[:1]
            value = (not opened or opened in _OPENERS) and (not closed or closed in _CLOSERS)
        (refs if value else mentions).append((start, end, match))
    return refs, mentions


def replace_config_line(names: LegacyNames, line: str, keep: Callable[[Match], bool] | None = None) -> str:
    """A config line with each reference (never prose) replaced by its canonical name."""
    out, last = [], 0
    for start, end, _match in config_names(names, line)[0]:
        out += [line[last:start], names.replace_text(line[start:end], keep)]
        last = end
    out.append(line[last:])
    return "".join(out)

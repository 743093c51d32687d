"""What identifies a use site beyond its line number: a fingerprint of the site's source line.

Taken when records are exported, once per site (never on the import path, never per use), and
by ``plan`` and ``fix --only-seen`` from the source as it is now. A site whose line no longer
has its fingerprint has moved (the same line is found elsewhere in the file) or changed.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .recorder import UseRecord

ATTRIBUTE = "ssot.site.fingerprint"


def fingerprint(text: str) -> str:
    """16 hex digits: BLAKE2b of the line, whitespace runs collapsed (indentation does not count)."""
    import hashlib

    normal = " ".join(text.split())
    return hashlib.blake2b(normal.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def source_lines(path: str) -> list[str] | None:
    """A Python file's lines as the compiler numbers them (its declared encoding), or None."""
    import tokenize

    try:
        with tokenize.open(path) as f:
            return f.read().split("\n")
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


class Fingerprints:
    """``(file, line) -> fingerprint`` of the sites seen so far; each file read once per new batch."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], str | None] = {}

    def of(self, records: Iterable[UseRecord]) -> dict[tuple[str, int], str | None]:
        new: dict[str, set[int]] = {}
        for record in records:
            if (record.file, record.line) not in self._known:
                new.setdefault(record.file, set()).add(record.line)
        for file, numbers in new.items():
            lines = source_lines(file) if not file.startswith("<") else None
            for number in numbers:
                ok = lines is not None and 0 < number <= len(lines)
                self._known[(file, number)] = fingerprint(lines[number - 1]) if ok else None  # type: ignore[index]
        return self._known


class Locator:
    """Where a traced site is in a file now: its own line, the nearest line with its fingerprint, or nowhere."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._at: dict[str, list[int]] | None = None

    def locate(self, line: int, prints: Iterable[str]) -> tuple[int | None, str]:
        """``(line now, "")``; ``(None, why)`` when it cannot be placed without a guess.

        Without a fingerprint (traces older than it) the traced line is taken as it is.
        """
        wanted = set(prints)
        if not wanted:
            return line, ""
        if 0 < line <= len(self.lines) and fingerprint(self.lines[line - 1]) in wanted:
            return line, ""
        if self._at is None:
            self._at = {}
            for number, text in enumerate(self.lines, 1):
                self._at.setdefault(fingerprint(text), []).append(number)
        found = sorted({n for p in wanted for n in self._at.get(p, ())})
        if not found:
            return None, f"line {line} no longer holds the traced statement, and no other line does"
        nearest = min(abs(n - line) for n in found)
        near = [n for n in found if abs(n - line) == nearest]
        if len(near) > 1:
            return None, f"the traced statement of line {line} is now at lines {near[0]} and {near[1]}, equally near"
        return near[0], ""

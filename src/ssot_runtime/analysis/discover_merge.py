"""``discover --diff`` / ``--write``: the proposed rules merged into a configuration file, as text.

Every line already in the file stays as it is, byte for byte (newlines too); the new rules go
under the ``[redirects]`` table (``[tool.ssot_runtime.redirects]`` in ``pyproject.toml``), each
with its comment; a rule whose key (or legacy module) the file already has is left out.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from ..errors import write_error
from .discover import DiscoverError, Discovery, Proposal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


_HEADER = re.compile(r"^\s*\[\s*(?P<name>[A-Za-z0-9_.\"' -]+?)\s*\]\s*(#.*)?$")


@dataclass
class Merge:
    path: str
    before: str
    after: str
    added: list[Proposal]
    kept: list[tuple[Proposal, str]]  # proposals left out: the rule already in the file

    def diff(self) -> str:
        import difflib

        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True), self.path, self.path))


def merge(discovery: Discovery, path: str, where: Callable[[str], str], *,
          today: dt.date | None = None) -> Merge:
    """The configuration file's text with the discovered rules added; the rules already there stay."""
    from ..config import parse_config, resolve
    from ..config.load import _read_toml, _tool_section

    pyproject = os.path.basename(path) == "pyproject.toml"
    before = ""
    table: dict[str, object] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8", newline="") as f:  # as it is on disk: its newlines are kept
            before = f.read()
        data = _read_toml(path)
        section = _tool_section(data) if pyproject else data
        table = section if isinstance(section, dict) else {}
    existing = parse_config(table, path).rules
    exact = {r.legacy: r for r in existing if not r.prefix and r.symbol is None}
    prefixes = {r.legacy: r for r in existing if r.prefix}
    keys = {r.key for r in existing}
    added: list[Proposal] = []
    kept: list[tuple[Proposal, str]] = []
    for rule in discovery.rules:
        legacy = rule.key.removesuffix(".*").partition(":")[0]
        owner = resolve(legacy, exact, prefixes) if rule.kind != "symbol" else None
        # a module or prefix rule over a legacy module a rule of the file already names (a symbol rule too),
        # or a prefix rule over a module the file already maps: the two would overlap
        named = next((r for r in existing if r.legacy == legacy), None) if rule.kind != "symbol" else None
        under = next((r for r in existing if r.legacy.startswith(legacy + ".")), None) \
            if rule.kind == "prefix" else None
        if rule.key in keys:
            kept.append((rule, f"{rule.key} is already in {where(path)}"))
        elif owner is not None:
            kept.append((rule, f"{legacy} is already mapped by {owner[1].key} in {where(path)}"))
        elif named is not None:
            kept.append((rule, f"{legacy} is already mapped by {named.key} in {where(path)}"))
        elif under is not None:
            kept.append((rule, f"{rule.key} overlaps {under.key}, already in {where(path)}"))
        else:
            added.append(rule)
            keys.add(rule.key)
    after = before
    if added:
        block = "".join(rule.toml(where) for rule in added)
        stamp = f"# ssot-runtime discover, {(today or dt.date.today()).isoformat()}: " \
                f"{len(added)} rule{'s' if len(added) != 1 else ''}\n"
        newline = "\r\n" if "\r\n" in before else "\n"  # the file's own newlines for the lines added
        after = _insert(before, (stamp + block).replace("\n", newline), path, pyproject, "redirects" in table,
                        newline)
        check = _parse_text(after, path, pyproject)
        parse_config(check, path)  # a merge that breaks the file is an error, not a write
    return Merge(path, before, after, added, kept)


def _parse_text(text: str, path: str, pyproject: bool) -> dict[str, object]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    data = tomllib.loads(text)
    if pyproject:
        from ..config.load import _tool_section

        section = _tool_section(data)
        return section if isinstance(section, dict) else {}
    return dict(data)


def _insert(text: str, block: str, path: str, pyproject: bool, has_redirects: bool, newline: str = "\n") -> str:
    header = "tool.ssot_runtime.redirects" if pyproject else "redirects"
    lines = text.splitlines(keepends=True)
    start = None
    for number, line in enumerate(lines):
        match = _HEADER.match(line.rstrip("\r\n"))
        if match and match.group("name").replace('"', "").replace("'", "").replace(" ", "") == header:
            start = number
            break
    if start is None:
        if has_redirects:
            raise DiscoverError(f"{path}: its redirects are not under a [{header}] table header of their own "
                                "(inline or dotted keys): discover cannot add to them; move them under "
                                f"[{header}]")
        blank = text.endswith(newline + newline) or text.endswith("\n\n")
        sep = "" if not text or blank else (newline if text.endswith("\n") else newline * 2)
        return f"{text}{sep}[{header}]{newline}{block}"
    end = len(lines)
    for number in range(start + 1, len(lines)):
        if lines[number].lstrip().startswith("["):
            end = number
            break
    last = end
    while last > start + 1 and not lines[last - 1].strip():
        last -= 1  # after the table's last line, before the blank lines that end it
    if last > 0 and not lines[last - 1].endswith("\n"):
        lines[last - 1] += newline
    return "".join(lines[:last]) + block + "".join(lines[last:])


def write(result: Merge) -> None:
    """Write the merged file atomically, as ``fix --write`` does: through a symbolic link, its mode kept."""
    from .fix import write_atomic

    try:
        write_atomic(result.path, result.after)
    except OSError as exc:
        raise write_error(result.path, "configuration", exc) from None

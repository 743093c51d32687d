"""``ssot-runtime fix``: rewrite legacy references to canonical ones with libcst.

Formatting and comments stay as they are. Rewritten: module imports, from-imports (symbol renames
keep the local name where the file uses it), ``import a.b as c``, attribute chains on legacy
module names, relative imports that resolve to a legacy module, and dotted strings
(``importlib.import_module("...")``, ``mock.patch("...")``, ...). Config files (``.toml``,
``.ini``, ``.cfg``, ``.yaml``) get their dotted names rewritten line by line. A second run changes
nothing: canonical names are never legacy (the configuration refuses cycles).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field

from .names import LegacyNames, Match
from .references import replace_config_line
from .rewrite import rewrite
from .scan import _package_of, files_under
from .symbols import CanonicalNames

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


@dataclass
class FixResult:
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # rewrites left out: the target name is missing
    files: int = 0

    def diff(self) -> str:
        out: list[str] = []
        for path, (before, after) in sorted(self.changed.items()):
            out += difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}")
        return "".join(out)


def fix_source(path: str, source: str, names: LegacyNames, canonical: CanonicalNames | None = None,
               refused: list[str] | None = None) -> str:
    """The rewritten text of one file (raises libcst's ParserSyntaxError for Python that does not parse).

    Rewrites that would name something the canonical module lacks are left out; each is one line
    in ``refused``.
    """
    if not any(root in source for root in names.roots):
        return source
    if canonical is None:
        canonical = CanonicalNames()
    canonical.add_root(project_root(path))
    if not path.endswith(".py"):
        return "".join(_replace_line(path, number, line, names, canonical, refused)
                       for number, line in enumerate(source.splitlines(True), 1))
    package = _package_of(path)
    result = rewrite(source, names, package, canonical)
    if refused is not None:
        refused += [f"{path}:{line}: {why}" for line, why in result.refused]
    return result.source


def _replace_line(path: str, number: int, line: str, names: LegacyNames, canonical: CanonicalNames,
                  refused: list[str] | None) -> str:
    """One line of a config file, its references (never prose) rewritten where the target exists."""

    def keep(match: Match) -> bool:
        why = canonical.missing(match.canonical, match.canonical_symbol) if match.canonical_symbol else None
        if why is not None and refused is not None:
            refused.append(f"{path}:{number}: not rewritten: {match.legacy}.{match.symbol} -> "
                           f"{match.canonical}.{match.canonical_symbol}: {why}")
        return why is None

    return replace_config_line(names, line, keep)


def project_root(path: str) -> str:
    """The folder a file's top package sits in (where its imports resolve from)."""
    folder = os.path.dirname(os.path.abspath(path))
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder = os.path.dirname(folder)
    return folder


def fix(paths: Iterable[str], names: LegacyNames, *, skip: Iterable[str] = ()) -> FixResult:
    """Rewrite every file under ``paths`` in memory; :func:`write` puts the changes on disk."""
    import libcst as cst

    skipped = {os.path.abspath(p) for p in skip}
    result = FixResult()
    canonical = CanonicalNames([os.getcwd(), os.path.join(os.getcwd(), "src")])
    for path in files_under(paths):
        if os.path.abspath(path) in skipped:
            continue
        result.files += 1
        try:
            with open(path, encoding="utf-8") as f:
                before = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(f"{path}: cannot read: {exc}")
            continue
        try:
            after = fix_source(path, before, names, canonical, result.refused)
        except cst.ParserSyntaxError as exc:
            result.errors.append(f"{path}:{exc.raw_line}: does not parse, left alone: {exc.message}")
            continue
        if after != before:
            result.changed[path] = (before, after)
    return result


def unplaced(report: dict[str, Any], paths: Iterable[str]) -> list[str]:
    """``--only-seen``: the traced sites under ``paths`` that the source no longer holds, one line each.

    A site is found by its line's fingerprint, on its traced line or where the statement moved
    (as ``plan`` finds it); the rewrite covers moved sites, these it cannot.
    """
    from ..hook.fingerprint import Locator, source_lines

    paths = list(paths)
    files = {os.path.abspath(p) for p in files_under(paths)}
    folders = tuple(os.path.abspath(p) + os.sep for p in paths if os.path.isdir(p))
    out: list[str] = []
    locators: dict[str, Locator | None] = {}
    for path in report["legacy_paths"]:
        for site in path["sites"]:
            file = os.path.abspath(site["file"])
            if file not in files:
                if file.startswith(folders) and not os.path.exists(file):
                    out.append(f"{site['file']}:{site['line']}: {_name(path['legacy'], site)}: missing since the trace")
                continue
            if file not in locators:
                lines = source_lines(file)
                locators[file] = Locator(lines) if lines is not None else None
            locator = locators[file]
            where = f"{site['file']}:{site['line']}: {_name(path['legacy'], site)}"
            if locator is None:
                out.append(f"{where}: the file does not read")
                continue
            line, why = locator.locate(site["line"], site.get("fingerprints") or ())
            if line is None:
                out.append(f"{where}: changed since the trace: {why}")
    return out


def _name(legacy: str, site: dict[str, Any]) -> str:
    return f"{legacy}.{site['symbol']}" if site["symbol"] else legacy


def write(result: FixResult) -> None:
    """Write each changed file atomically (a temporary file beside it, then a rename), mode kept."""
    for name, (_before, after) in result.changed.items():
        write_atomic(name, after)


def write_atomic(name: str, text: str) -> None:
    """Write a file atomically (a temporary file beside it, then a rename): a symbolic link is written
    through and stays a link, the mode of the file is kept (a new file gets the umask's), newlines as given."""
    path = os.path.realpath(name)
    folder = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ssot-write-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

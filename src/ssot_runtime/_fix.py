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

from ._legacy_names import LegacyNames
from ._scan import _package_of, files_under

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    import libcst as cst


@dataclass
class FixResult:
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    errors: list[str] = field(default_factory=list)
    files: int = 0

    def diff(self) -> str:
        out: list[str] = []
        for path, (before, after) in sorted(self.changed.items()):
            out += difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}")
        return "".join(out)


def _transformer(names: LegacyNames, package: str, module_source: str) -> cst.CSTTransformer:
    import libcst as cst
    from libcst.helpers import get_full_name_for_node

    used: dict[str, int] = {}

    class Count(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            used[node.value] = used.get(node.value, 0) + 1

    cst.parse_module(module_source).visit(Count())

    def expr(dotted: str) -> Any:
        return cst.parse_expression(dotted)

    class Rewrite(cst.CSTTransformer):
        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> Any:
            # The original: leave_Attribute has already rewritten the dotted module in `updated`.
            module = get_full_name_for_node(original.module) if original.module is not None else ""
            level = len(original.relative)
            if level:
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                module = f"{base}.{module}" if module else base
            module = module or ""
            canonical = names.module(module)
            if canonical is None:
                return self._child_import(updated, module)
            if isinstance(updated.names, cst.ImportStar):
                return updated.with_changes(module=expr(canonical), relative=[])
            aliases = []
            for alias in updated.names:
                name = get_full_name_for_node(alias.name) or ""
                match = names.symbol(module, name)
                new = match.canonical_symbol if match is not None and match.canonical_symbol else name
                target_module = match.canonical if match is not None else canonical
                if target_module != canonical:  # a rename into another module: keep it simple and exact
                    return updated
                if new == name:
                    aliases.append(alias)
                elif alias.asname is not None:
                    aliases.append(alias.with_changes(name=cst.Name(new)))
                elif used.get(name, 0) > 1:  # the file uses the old name: keep it as the local name
                    aliases.append(alias.with_changes(name=cst.Name(new), asname=cst.AsName(name=cst.Name(name))))
                else:
                    aliases.append(alias.with_changes(name=cst.Name(new)))
            return updated.with_changes(module=expr(canonical), relative=[], names=aliases)

        def _child_import(self, updated: cst.ImportFrom, module: str) -> Any:
            # `from pkg import legacy_child` where the child is the legacy name.
            if isinstance(updated.names, cst.ImportStar) or len(updated.names) != 1:
                return updated
            alias = updated.names[0]
            name = get_full_name_for_node(alias.name) or ""
            canonical = names.module(f"{module}.{name}")
            if canonical is None or "." not in canonical:
                return updated
            parent, _, leaf = canonical.rpartition(".")
            asname = alias.asname if alias.asname is not None else (
                cst.AsName(name=cst.Name(name)) if leaf != name else None)
            return updated.with_changes(module=expr(parent), relative=[],
                                        names=[alias.with_changes(name=cst.Name(leaf), asname=asname)])

        def leave_Import(self, original: cst.Import, updated: cst.Import) -> Any:
            aliases = []
            for alias, before in zip(updated.names, original.names, strict=True):
                canonical = names.module(get_full_name_for_node(before.name) or "")
                aliases.append(alias.with_changes(name=expr(canonical)) if canonical is not None else alias)
            return updated.with_changes(names=aliases)

        def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> Any:
            text = get_full_name_for_node(original)
            if text is None or names.dotted(text) is None:
                return updated
            new = names.replace_text(text)
            return expr(new) if new != text else updated

        def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> Any:
            value = updated.evaluated_value
            if not isinstance(value, str) or names.dotted(value) is None:
                return updated
            new = names.replace_text(value)
            if new == value or "\\" in updated.value:
                return updated
            prefix = updated.prefix
            quote = updated.quote
            return updated.with_changes(value=f"{prefix}{quote}{new}{quote}")

    return Rewrite()


def fix_source(path: str, source: str, names: LegacyNames) -> str:
    """The rewritten text of one file (raises libcst's ParserSyntaxError for Python that does not parse)."""
    if not any(root in source for root in names.roots):
        return source
    if not path.endswith(".py"):
        return "".join(names.replace_text(line) for line in source.splitlines(True))
    import libcst as cst

    module = cst.parse_module(source)
    return module.visit(_transformer(names, _package_of(path), source)).code


def fix(paths: Iterable[str], names: LegacyNames, *, skip: Iterable[str] = ()) -> FixResult:
    """Rewrite every file under ``paths`` in memory; :func:`write` puts the changes on disk."""
    import libcst as cst

    skipped = {os.path.abspath(p) for p in skip}
    result = FixResult()
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
            after = fix_source(path, before, names)
        except cst.ParserSyntaxError as exc:
            result.errors.append(f"{path}:{exc.raw_line}: does not parse, left alone: {exc.message}")
            continue
        if after != before:
            result.changed[path] = (before, after)
    return result


def write(result: FixResult) -> None:
    """Write each changed file atomically (a temporary file beside it, then a rename), mode kept."""
    for name, (_before, after) in result.changed.items():
        path = os.path.realpath(name)  # a symbolic link is written through, and stays a link
        folder = os.path.dirname(path)
        mode = os.stat(path).st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ssot-fix-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(after)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

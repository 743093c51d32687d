"""Import statements for the rewrite engine: from-imports split by where each name lives, imports added."""

from __future__ import annotations

import libcst as cst

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _full(node: Any) -> str:
    from libcst.helpers import get_full_name_for_node

    return get_full_name_for_node(node) or ""


def _absolute(module: str, level: int, package: str) -> str:
    if not level:
        return module
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{module}" if module else base


def _target(facts: Any, module: str, canonical: str | None, name: str, line: int) -> tuple[str, str] | None:
    """Where ``from module import name`` must import from now, or None when it stays as written."""
    names = facts.names
    if canonical is not None:  # a legacy module: every name goes, renamed or not
        match = names.symbol(module, name)
        if match is not None and facts.check(match, line):
            return match.canonical, match.canonical_symbol or name
        return None
    if module in names.live:  # a live module: only its legacy names go
        match = names.live_symbol(module, name)
        if match is not None and facts.check(match, line):
            return match.canonical, match.canonical_symbol or name
        return None
    child = names.module(f"{module}.{name}")  # `from package import legacy_child`
    if child is not None and "." in child:
        parent, _, leaf = child.rpartition(".")
        return parent, leaf
    return None


def _one_line(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    out = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in aliases]
    out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out


def from_import_lines(node: cst.ImportFrom, facts: Any, line: int) -> list[cst.ImportFrom] | None:
    """The statements a from-import becomes (the first takes its place), or None when it stays."""
    names = facts.names
    module = _absolute(_full(node.module) if node.module else "", len(node.relative), facts.package)
    canonical = names.module(module)
    if isinstance(node.names, cst.ImportStar):
        if canonical is None:
            return None
        return [node.with_changes(module=cst.parse_expression(canonical), relative=[])]
    groups: dict[str | None, list[cst.ImportAlias]] = {}
    for alias in node.names:
        name = _full(alias.name)
        target = _target(facts, module, canonical, name, line)
        if target is None:
            groups.setdefault(None, []).append(alias)
            continue
        where, new = target
        if new != name:
            if alias.asname is not None:
                alias = alias.with_changes(name=cst.Name(new))
            elif facts.used.get(name, 0) > 1:  # the file uses the old name: keep it as the local name
                alias = alias.with_changes(name=cst.Name(new), asname=cst.AsName(name=cst.Name(name)))
            else:
                alias = alias.with_changes(name=cst.Name(new))
        groups.setdefault(where, []).append(alias)
    if list(groups) == [None]:
        return None
    statements: list[cst.ImportFrom] = []
    stays = groups.pop(None, None)
    if stays:
        statements.append(node.with_changes(names=_one_line(stays)))
    for home, aliases in groups.items():
        dotted: Any = cst.parse_expression(str(home))
        if statements:
            statements.append(cst.ImportFrom(module=dotted, names=_one_line(aliases)))
        else:  # the first group takes the statement's place, with its formatting
            statements.append(node.with_changes(module=dotted, relative=[], names=_one_line(aliases)))
    return statements


def needed_import_lines(module: cst.Module, missing: list[str]) -> cst.Module:
    """``import x`` for each module a rewritten chain now starts at, after the file's last top-level import."""
    body = list(module.body)
    at = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body):
            at = index + 1
        elif index == 0 and isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.SimpleString):
            at = 1  # after the docstring
    lines = [cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(name=_dotted(m))])])
             for m in sorted(missing)]
    return module.with_changes(body=[*body[:at], *lines, *body[at:]])


def _dotted(name: str) -> Any:
    return cst.parse_expression(name)

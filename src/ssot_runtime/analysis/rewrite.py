"""The one rewrite engine: ``fix`` writes its output, ``plan`` lists it line by line (libcst).

Rewritten: module imports; from-imports, split by where each name now lives (``from live import
Old, Keep`` becomes ``from live import Keep`` and ``from canon import New as Old``); attribute
chains on legacy names, also through a module alias (``ue.UserEmitter`` after ``import legacy as
ue``); relative imports; strings that are a whole dotted name or ``module:attr`` (a single name
only as the argument of ``import_module``, ``mock.patch``...), never prose. A chain that now
starts at another module gets its ``import`` added. An alias of a live module whose only uses
moved is removed. A name that did not move is never touched, and a rewrite to a name the
canonical module does not have is refused: it stays as it was, with one line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .names import LegacyNames, Match
from .symbols import CanonicalNames

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import libcst as cst


@dataclass
class Rewritten:
    source: str
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def rewrite(source: str, names: LegacyNames, package: str, canonical: CanonicalNames) -> Rewritten:
    """The rewritten text of one Python file (raises libcst's ParserSyntaxError when it does not parse)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    wrapper = MetadataWrapper(cst.parse_module(source))
    facts = _facts(names, package, canonical)
    wrapper.visit(facts)
    engine = _transformer(facts)
    new = wrapper.visit(engine)
    refused = sorted(set(facts.refused))
    return Rewritten(new.code, refused)


def _facts(names: LegacyNames, package: str, canonical: CanonicalNames) -> Any:
    """A visitor that learns what the file holds before it changes: name counts, module aliases,
    imports; it also decides and keeps the refusals."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    from .rewrite_imports import _absolute, _full

    class Facts(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self, names: LegacyNames, package: str, canonical: CanonicalNames) -> None:
            super().__init__()
            self.names, self.package, self.canonical = names, package, canonical
            self.used: dict[str, int] = {}
            self.aliases: dict[str, str] = {}  # local name -> legacy or live module it binds
            self.moved: dict[str, int] = {}  # alias -> uses of it that the rewrite moves away
            self.imported: set[str] = set()  # `import x.y` names, as they will be
            self.refused: list[tuple[int, str]] = []

        def line(self, node: cst.CSTNode) -> int:
            return int(self.get_metadata(PositionProvider, node).start.line)

        def check(self, match: Match | None, line: int) -> bool:
            """Whether a rewrite to ``match`` may be written (else one refusal line)."""
            if match is None or not match.canonical_symbol:
                return True
            why = self.canonical.missing(match.canonical, match.canonical_symbol)
            if why is None:
                return True
            old = f"{match.legacy}.{match.symbol}" if match.symbol else match.legacy
            self.refused.append((line, f"not rewritten: {old} -> "
                                 f"{match.canonical}.{match.canonical_symbol}: {why}"))
            return False

        def alias_target(self, node: cst.Attribute) -> Match | None:
            """``x.Name`` where ``x`` aliases a module: the match if Name moves out of it."""
            if not isinstance(node.value, cst.Name) or node.value.value not in self.aliases:
                return None
            module = self.aliases[node.value.value]
            match = self.names.symbol(module, node.attr.value)
            if match is None or (match.canonical_symbol == node.attr.value
                                 and match.canonical == self.names.module(module)):
                return None  # the name did not move (the alias itself follows its module)
            return match

        def visit_Name(self, node: cst.Name) -> None:
            self.used[node.value] = self.used.get(node.value, 0) + 1

        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                name = _full(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    if self.names.module(name) is not None or name in self.names.live:
                        self.aliases[alias.asname.name.value] = name
                else:
                    self.imported.add(self.names.module(name) or name)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if isinstance(node.names, cst.ImportStar):
                return
            module = _absolute(_full(node.module) if node.module else "", len(node.relative), self.package)
            for alias in node.names:
                child = f"{module}.{_full(alias.name)}"
                if self.names.module(child) is not None or child in self.names.live:
                    local = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(local, cst.Name):
                        self.aliases[local.value] = child

        def visit_Attribute(self, node: cst.Attribute) -> None:
            match = self.alias_target(node)
            if match is not None and self.check(match, self.line(node)):
                base = node.value.value  # type: ignore[attr-defined]
                self.moved[base] = self.moved.get(base, 0) + 1

    return Facts(names, package, canonical)


def _transformer(facts: Any) -> cst.CSTTransformer:
    import libcst as cst
    from libcst.metadata import PositionProvider

    from .references import ARGUMENT_KEYWORDS, KNOWN_CALLS, replacement, whole
    from .rewrite_imports import _full, from_import_lines, needed_import_lines

    names: LegacyNames = facts.names

    class Rewrite(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self) -> None:
            super().__init__()
            self.in_import = 0
            self.depth = 0
            self.needed: dict[str, None] = {}  # `import x` lines the rewritten chains need
            self.call_arguments: set[int] = set()  # strings a known call reads as a module or object path

        def line(self, node: cst.CSTNode) -> int:
            return int(self.get_metadata(PositionProvider, node).start.line)

        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
            self.depth += 1

        def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> Any:
            self.depth -= 1
            return updated

        def visit_Import(self, node: cst.Import) -> None:
            self.in_import += 1

        def visit_Call(self, node: cst.Call) -> None:
            if _full(node.func).rpartition(".")[2] in KNOWN_CALLS:
                self.call_arguments.update(id(a.value) for i, a in enumerate(node.args) if (
                    a.keyword is None and i == 0) or (a.keyword is not None and a.keyword.value in ARGUMENT_KEYWORDS))

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            self.in_import += 1

        def leave_Import(self, original: cst.Import, updated: cst.Import) -> Any:
            self.in_import -= 1
            aliases = []
            for alias in original.names:
                name = _full(alias.name)
                canonical = names.module(name)
                local = alias.asname.name.value if alias.asname is not None and isinstance(
                    alias.asname.name, cst.Name) else None
                if canonical is not None:
                    aliases.append(alias.with_changes(name=cst.parse_expression(canonical)))
                elif (local is not None and name in names.live and self.depth == 0
                      and facts.moved.get(local, 0) and facts.used.get(local, 0) - 1 == facts.moved[local]):
                    continue  # an alias of a live module whose every use moved away
                else:
                    aliases.append(alias)
            if not aliases:
                return cst.RemoveFromParent()
            aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=aliases)

        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> Any:
            self.in_import -= 1
            return updated

        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine) -> Any:
            if not any(isinstance(s, cst.ImportFrom) for s in original.body):
                return updated
            body: list[Any] = []
            extra: list[cst.SimpleStatementLine] = []
            for before, after in zip(original.body, updated.body, strict=True):
                if not isinstance(before, cst.ImportFrom):
                    body.append(after)
                    continue
                lines = from_import_lines(before, facts, self.line(before))
                if lines is None:
                    body.append(after)
                    continue
                body.append(lines[0].with_changes(semicolon=after.semicolon))
                extra += [cst.SimpleStatementLine(body=[stmt]) for stmt in lines[1:]]
            first = updated.with_changes(body=body)
            return cst.FlattenSentinel([first, *extra]) if extra else first

        def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> Any:
            if self.in_import:
                return updated
            match = facts.alias_target(original)
            if match is not None:
                if not facts.check(match, self.line(original)):
                    return updated
                module = names.module(facts.aliases[original.value.value])  # type: ignore[attr-defined]
                if match.canonical == module:  # a rename inside the module the alias now names
                    return updated.with_changes(attr=cst.Name(str(match.canonical_symbol)))
                self.needed[match.canonical] = None
                return cst.parse_expression(f"{match.canonical}.{match.canonical_symbol}")
            text = _full(original)
            match = names.dotted(text) if text else None
            if match is None or not facts.check(match, self.line(original)):
                return updated
            new = names.replace_text(text)
            if new == text:
                return updated
            if match.legacy in names.live or match.canonical != names.module(match.legacy):
                self.needed[match.canonical] = None
            return cst.parse_expression(new)

        def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> Any:
            value = updated.evaluated_value
            if not isinstance(value, str):
                return updated
            match = whole(names, value, call_argument=id(original) in self.call_arguments)
            if match is None or "\\" in updated.value or not facts.check(match, self.line(original)):
                return updated
            new = replacement(names, value, match)
            return updated if new == value else updated.with_changes(
                value=f"{updated.prefix}{updated.quote}{new}{updated.quote}")

        def leave_Module(self, original: cst.Module, updated: cst.Module) -> Any:
            missing = [m for m in self.needed if not any(i == m or i.startswith(m + ".") for i in facts.imported)]
            return needed_import_lines(updated, missing) if missing else updated

    return Rewrite()

"""``ssot-runtime discover PATHS``: the redirect map written from the shims already in the code.

Read statically (:mod:`.sources`, nothing imported or run). What becomes a rule:

- a **module shim** (its body only forwards: imports, star imports, alias lines, ``__all__``,
  ``warnings.warn``, a PEP 562 ``__getattr__`` that forwards, ``sys.modules[__name__] = ...``):
  a module rule to the module it forwards to, ``mode = "observe"`` (the file is still there and
  keeps running; ``"redirect"`` for a module that replaces itself in ``sys.modules``, a pure alias
  whose uses observe mode cannot see), plus a symbol rule for each name it takes under another
  name or from another module; a module that only re-exports under the same names with no
  deprecation marker is a facade as much as a shim: undecided, no rule; ``conftest.py`` is never read;
- a **mirrored package tree** (``old/`` whose ``__init__`` is empty or forwards to ``new``,
  each module ``old/x.py`` forwarding to ``new/x.py``): one prefix rule ``"old.*" = "new.*"``;
- in a **live module** (one with code of its own, a package ``__init__`` too): alias lines
  ``Old = New`` and renamed re-exports ``from m import New as Old`` the module does not use
  itself, whose object is a class or a function defined in the tree, and names its
  ``__getattr__`` serves from a table: symbol rules.

A shim with logic beyond forwarding is refused, with its reason and line, and gets no rule. The
rules are merged into the configuration file as text: what is there stays as it is, byte for
byte, and a rule whose key (or legacy module) the file already has is left out.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import write_error
from .sources import Index, Module, build_index, helper_module, marked_as_shim

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

OBSERVE = "observe"
_FACADE = ("re-exports under the same names with no deprecation marker (no warning, rename, alias line or star "
           "import; no docstring or name that says compat, legacy, deprecated or moved): a facade (a public API) "
           "or a shim, the code does not say; no rule written (add one by hand if it is a shim)")
REDIRECT = "redirect"


class DiscoverError(Exception):
    """A configuration file discover cannot add to: one line naming the file."""


@dataclass
class Proposal:
    """One rule: ``key = to``, and where it came from."""

    kind: str  # "module" | "symbol" | "prefix"
    key: str
    to: str
    mode: str | None
    file: str
    line: int
    why: str

    def toml(self, where: Callable[[str], str]) -> str:
        from ..config.show import toml_value

        value = toml_value(self.to) if self.mode is None else \
            "{ " + f"to = {toml_value(self.to)}, mode = {toml_value(self.mode)}" + " }"
        return f"# {where(self.file)}:{self.line}: {self.why}\n{toml_value(self.key)} = {value}\n"


@dataclass
class Refusal:
    module: str
    file: str
    line: int
    reason: str


@dataclass
class Discovery:
    rules: list[Proposal] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    undecided: list[Refusal] = field(default_factory=list)  # a shim or a facade: the code does not say
    files: int = 0


def discover(paths: Iterable[str], index: Index | None = None) -> Discovery:
    """The rules the shims, mirrors and aliases under ``paths`` say, and what could not be decided."""
    index = index or build_index(paths)
    result = Discovery(files=index.files)
    mirrors = _mirrors(index)
    covered = {name for name in index.modules if _under(name, mirrors)}
    for package, (target, line, notes) in sorted(mirrors.items()):
        if _under(package, mirrors, strict=True):
            continue  # a parent's prefix rule covers it
        init = index.modules.get(package)
        file = init.file if init else _folder_file(index, package)
        children = len([m for m in index.modules if m.startswith(package + ".")])
        modules = "1 module forwards" if children == 1 else f"{children} modules forward"
        result.rules.append(Proposal("prefix", f"{package}.*", f"{target}.*", OBSERVE, file, line,
                                     f"package tree mirror: {modules} from {package} to {target}"))
        for noted, reason in notes:
            mod = index.modules[noted]
            result.refused.append(Refusal(noted, mod.file, reason[0], f"{reason[1]}; covered by the prefix rule "
                                          f"{package}.* (observe mode keeps its own code running)"))
    for name, module in sorted(index.modules.items()):
        if module.error is not None:
            result.refused.append(Refusal(name, module.file, module.error_line, module.error))
            continue
        if name in covered:
            result.rules.extend(_renames(module, index, module_rule=None))
            continue
        if module.shim and marked_as_shim(module) is None:
            result.undecided.append(Refusal(name, module.file, _forward_line(module), _FACADE))
        elif module.shim:
            result.rules.extend(_shim_rules(module, index, result.refused))
        elif module.looks_like_shim and module.logic and not helper_module(module):  # cannot decide
            line, what = module.logic[0]
            more = f" (and {len(module.logic) - 1} more)" if len(module.logic) > 1 else ""
            result.refused.append(Refusal(name, module.file, line, f"shim with logic beyond forwarding: "
                                                                  f"{what}{more}"))
        elif not helper_module(module):
            result.rules.extend(_live_rules(module, index))
    return result


def _folder_file(index: Index, package: str) -> str:
    child = next(m for n, m in sorted(index.modules.items()) if n.startswith(package + "."))
    return os.path.dirname(child.file)


def _under(name: str, mirrors: dict[str, tuple[str, int, list[tuple[str, tuple[int, str]]]]],
           strict: bool = False) -> bool:
    head = name if not strict else name.rpartition(".")[0]
    while head:
        if head in mirrors:
            return True
        head = head.rpartition(".")[0]
    return False


def target_of(module: Module) -> str | None:
    """The one module a shim forwards to, or None when its names come from several equally."""
    if module.forwards_to:
        return module.forwards_to
    stars = list(dict.fromkeys(s for s, _ in module.stars))
    if len(stars) == 1:
        return stars[0]
    offered = module.names()
    sources = Counter(b.module for n, b in module.bindings.items() if n in offered and b.symbol is not None)
    sources.update(stars)
    if not sources:
        return None
    ranked = sources.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _forward_line(module: Module, target: str | None = None) -> int:
    """The line that forwards: to ``target`` when given."""
    if module.forwards_line:
        return module.forwards_line
    lines = [line for source, line in module.stars if target in (None, source)] + [
        b.line for name, b in module.bindings.items() if target in (None, b.module) and name in module.names()]
    return min(lines) if lines else 1


def _mirrors(index: Index) -> dict[str, tuple[str, int, list[tuple[str, tuple[int, str]]]]]:
    """Packages whose modules each forward to the same-named module of another: ``{old: (new, line, notes)}``."""
    packages = sorted({n.rpartition(".")[0] for n in index.modules if "." in n} | {
        n for n, m in index.modules.items() if m.is_package}, key=lambda n: -n.count("."))
    found: dict[str, tuple[str, int, list[tuple[str, tuple[int, str]]]]] = {}
    for package in packages:
        children = [c for c in index.children(package) if not helper_module(c)]
        subpackages = {n.rpartition(".")[0] for n in index.modules if n.startswith(package + ".")
                       and n.count(".") > package.count(".") + 1}
        targets: set[str] = set()
        notes: list[tuple[str, tuple[int, str]]] = []
        ok = bool(children)
        for child in children:
            last = child.name.rpartition(".")[2]
            if child.is_package or child.name in subpackages:
                target = found[child.name][0] if child.name in found else None
            else:
                target = target_of(child) if child.error is None else None
            if target is None or not target.endswith("." + last):
                ok = False
                break
            targets.add(target[: -len(last) - 1])
            if child.logic:
                notes.append((child.name, child.logic[0]))
        for sub in subpackages - {c.name for c in children}:
            if sub.rpartition(".")[0] == package:  # a namespace subpackage
                if sub not in found:
                    ok = False
                else:
                    targets.add(found[sub][0].rpartition(".")[0])
        if not ok or len(targets) != 1:
            continue
        target = targets.pop()
        if target == package or target.startswith(package + "."):
            continue
        init = index.modules.get(package)
        line = 1
        if init is not None:
            init_target = init.forwards_to or target_of(init)
            bound = [n for n in init.names() if n in init.bindings]  # __all__ may list the submodules
            empty = not bound and not init.stars and not init.forwards_to and not init.definitions
            if not empty and init_target != target:
                continue
            line = _forward_line(init) if not empty else 1
            if init.logic:
                notes.append((package, init.logic[0]))
        found[package] = (target, line, notes)
    return found


def _describe(module: Module) -> str:
    return "module shim: " + ", ".join(module.evidence[:3] or ["re-exports only"]) + \
        (f" and {len(module.evidence) - 3} more" if len(module.evidence) > 3 else "")


def _shim_rules(module: Module, index: Index, refused: list[Refusal]) -> list[Proposal]:
    target = target_of(module)
    if target is None:
        taken = any(b.symbol is not None for n, b in module.bindings.items() if n in module.names())
        refused.append(Refusal(module.name, module.file, _forward_line(module),
                               "shim whose names come from several modules equally: no one module to map it to"
                               if taken else "shim that takes no name from another module"))
        return []
    if not index.exists(target):
        refused.append(Refusal(module.name, module.file, _forward_line(module),
                               f"shim forwarding to {target}, which is not found"))
        return []
    mode, why = OBSERVE, _describe(module)
    if module.replaces_itself:  # a pure alias: the same objects; observe mode would not see its uses
        mode, why = REDIRECT, why + "; redirect mode: a module that replaces itself in sys.modules is a pure " \
            "alias of its target (the same objects), and observe mode cannot see its uses"
    rules = [Proposal("module", module.name, target, mode, module.file, _forward_line(module, target), why)]
    return rules + _renames(module, index, module_rule=target)


def _renames(module: Module, index: Index, module_rule: str | None) -> list[Proposal]:
    """A shim's names taken under another name, or from another module than its module rule's target."""
    rules = []
    for name in module.names():
        binding = module.bindings.get(name)
        if binding is None or binding.symbol is None:
            continue
        if module_rule is not None and binding.module == module_rule and binding.symbol == name:
            continue
        if module_rule is None and binding.symbol == name and binding.module.rpartition(".")[2] == \
                module.name.rpartition(".")[2]:
            continue  # the prefix rule maps it
        if (binding.module, binding.symbol) == (module.name, name):
            continue
        what = "alias line" if binding.how == "alias" else ("re-export under another name" if binding.renamed
                                                             else "re-export from another module")
        rules.append(Proposal("symbol", f"{module.name}:{name}", f"{binding.module}:{binding.symbol}", OBSERVE,
                              module.file, binding.line, what))
    return rules


def _live_rules(module: Module, index: Index) -> list[Proposal]:
    """Alias lines and renamed re-exports in a module with code of its own: symbol rules."""
    rules = []
    for name, binding in module.bindings.items():
        if binding.symbol is None or name.startswith("_") or (name == binding.symbol and binding.how != "__getattr__"):
            continue  # a private name is no legacy name anyone imports
        if binding.how == "__getattr__":
            rules.append(Proposal("symbol", f"{module.name}:{name}", f"{binding.module}:{binding.symbol}", None,
                                  module.file, binding.line, "served by the module's __getattr__"))
            continue
        if binding.how == "import" and name in module.loaded_names:
            continue  # a local name for the module's own use
        found = index.resolve(binding.module, binding.symbol)
        if found is None or index.modules[found[0]].definitions[found[1]].kind not in ("class", "function"):
            continue  # not known to be a class or a function: a constant alias is no legacy name
        what = "alias line" if binding.how == "alias" else "re-export under another name, not used by the module"
        rules.append(Proposal("symbol", f"{module.name}:{name}", f"{found[0]}:{found[1]}", None, module.file,
                              binding.line, what))
    return rules


# -- merging into a configuration file ----------------------------------------------------------------

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

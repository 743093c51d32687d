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

import os
from collections import Counter
from dataclasses import dataclass, field

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

"""``ssot-runtime audit``: the state of a consolidation in one document, ``ssot-runtime/audit/v1``.

- **objects**: each class or function defined in the tree, with every import path that reaches
  it: its own (``canonical``), the legacy paths of the configuration (``configured``, with the
  rule), and re-exports no rule names (``unconfigured``: candidates for the map). A re-export is
  a name a module offers without defining it: a shim's names, a package ``__init__``'s imports,
  names in ``__all__``, alias lines, names a ``__getattr__`` serves, star imports, and imports
  the module does not use itself. An import a module makes for its own use is no import path.
- **duplicates**: one name defined (``class``/``def``) in more than one module, each definition
  with its import paths, and the members whose presence or signature differs. A re-export of
  the same object is no duplicate.
- **loaded_twice**: one source file loaded under two module names, from the traces (the hook
  notes it at process exit).
- **unused**: the configured legacy paths the traces show no use of, with the evidence (the
  processes and the time they cover); null without traces.
"""

from __future__ import annotations

from collections import defaultdict

from .audit_render import headline, render_csv, render_json, render_markdown, render_table
from .interfaces import differences
from .sources import Index, Module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..config import Config, Rule
    from ..traces.read import Aggregate

__all__ = ["SCHEMA", "baseline_section", "build_audit", "check_baseline", "headline", "offered", "render_csv",
           "render_json", "render_markdown", "render_table"]

SCHEMA = "ssot-runtime/audit/v1"
CANONICAL, CONFIGURED, UNCONFIGURED = "canonical", "configured", "unconfigured"


def offered(module: Module, index: Index) -> dict[str, tuple[int, str]]:
    """The names a module offers without defining them: ``{name: (line, how)}``."""
    names: dict[str, tuple[int, str]] = {}
    exported = set(module.all_names or ())
    whole = module.shim or module.is_package
    for name, binding in module.bindings.items():
        if (binding.symbol is None and binding.module.split(".")[0] in ("warnings", "sys", "importlib", "typing")) \
                or name in module.plumbing:
            continue
        if binding.how in ("alias", "__getattr__", "globals"):
            how = {"alias": "alias line", "__getattr__": "__getattr__", "globals": "globals()"}[binding.how]
        elif whole or name in exported:
            how = "re-export"
        elif name not in module.loaded_names and binding.renamed:
            how = "re-export under another name"
        else:
            continue  # the module's own use of the name
        names[name] = (binding.line, how)
    sources = [(star, line, "star import") for star, line in module.stars]
    if module.forwards_to:
        sources.append((module.forwards_to, module.forwards_line, "forwarded"))
    for source, line, how in sources:
        target = index.modules.get(source)
        if target is None:
            continue
        public = target.all_names if target.all_names is not None else [
            n for n in [*target.definitions, *offered(target, index)] if not n.startswith("_")]
        for name in public:
            names.setdefault(name, (line, how))
    return names


class _Rules:
    """Which configured rule makes ``module.symbol`` a legacy path (the lookups built once)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.symbols = {(r.legacy, r.symbol): r for r in rules if r.symbol is not None}
        self.exact = {r.legacy: r for r in rules if not r.prefix and r.symbol is None}
        self.prefixes = {r.legacy: r for r in rules if r.prefix}

    def rule_for(self, module: str, symbol: str) -> Rule | None:
        from ..config import resolve

        rule = self.symbols.get((module, symbol))
        if rule is not None:
            return rule
        found = resolve(module, self.exact, self.prefixes)
        return found[1] if found else None


def build_audit(index: Index, cfg: Config, *, agg: Aggregate | None = None,
                where: Callable[[str], str] = str, paths: list[str] | None = None) -> dict[str, Any]:
    """The ``ssot-runtime/audit/v1`` document (keys may be added later, none removed)."""
    rules = list(cfg.rules)
    lookup = _Rules(rules)
    reach: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for name, module in sorted(index.modules.items()):
        for symbol, definition in module.definitions.items():
            if definition.kind == "function" and symbol in module.warn_helpers:
                continue
            reach[(name, symbol)][f"{name}:{symbol}"] = {
                "path": f"{name}:{symbol}", "how": CANONICAL, "rule": None, "file": where(module.file),
                "line": definition.line, "via": "definition"}
        for symbol, (line, how) in offered(module, index).items():
            found = index.resolve(name, symbol)
            if found is None or found == (name, symbol):
                continue
            rule = lookup.rule_for(name, symbol)
            reach[found][f"{name}:{symbol}"] = {
                "path": f"{name}:{symbol}", "how": CONFIGURED if rule else UNCONFIGURED,
                "rule": rule.key if rule else None, "file": where(module.file), "line": line, "via": how}
    _configured_paths(index, rules, reach, lookup)
    objects: list[dict[str, Any]] = []
    for (home, symbol), reached in reach.items():
        defined = index.modules[home].definitions.get(symbol)
        if defined is None:
            continue
        entries = sorted(reached.values(), key=lambda p: ({CANONICAL: 0, CONFIGURED: 1}.get(p["how"], 2), p["path"]))
        objects.append({"object": f"{home}:{symbol}", "name": symbol, "kind": defined.kind,
                        "file": where(index.modules[home].file), "line": defined.line,
                        "import_paths_count": len(entries), "import_paths": entries})
    objects.sort(key=lambda o: (-o["import_paths_count"], o["object"]))
    by_path = {o["object"]: o for o in objects}
    duplicates = _duplicates(index, by_path, where)
    unconfigured = [{**p, "object": o["object"]} for o in objects for p in o["import_paths"]
                    if p["how"] == UNCONFIGURED]
    unread = [{"module": name, "file": where(module.file), "line": module.error_line, "reason": module.error}
              for name, module in sorted(index.modules.items()) if module.error is not None]
    unused = _unused(index, cfg, agg, where) if agg is not None else None
    loaded_twice = _loaded_twice(agg, where) if agg is not None else None
    return {
        "schema": SCHEMA,
        "sources": {"paths": list(paths or ()), "files": index.files, "config": cfg.source,
                    "rules": len(rules)},
        "totals": {"objects": len(objects), "import_paths": sum(o["import_paths_count"] for o in objects),
                   "objects_with_several_paths": sum(1 for o in objects if o["import_paths_count"] > 1),
                   "duplicates": len(duplicates), "unconfigured": len(unconfigured),
                   "loaded_twice": None if loaded_twice is None else len(loaded_twice),
                   "unused": None if unused is None else len(unused["legacy_paths"]), "unread": len(unread)},
        "objects": objects,
        "duplicates": duplicates,
        "unconfigured": unconfigured,
        "loaded_twice": loaded_twice,
        "unused": unused,
        "unread": unread,
    }


def _configured_paths(index: Index, rules: list[Rule], reach: dict[tuple[str, str], dict[str, dict[str, Any]]],
                      lookup: _Rules) -> None:
    """Legacy paths of the configuration that no file in the tree spells (their modules are gone)."""
    for rule in rules:
        if rule.symbol is not None:
            found = index.resolve(rule.target, rule.target_symbol or "")
            if found is not None:
                path = f"{rule.legacy}:{rule.symbol}"
                reach[found].setdefault(path, {"path": path, "how": CONFIGURED, "rule": rule.key, "file": None,
                                               "line": None, "via": "rule"})
            continue
        targets = [(rule.target, rule.legacy)]
        if rule.prefix:
            targets = [(n, rule.legacy + n[len(rule.target):]) for n in index.modules
                       if n == rule.target or n.startswith(rule.target + ".")]
        for target, legacy in targets:
            module = index.modules.get(target)
            if module is None or legacy in index.modules:
                continue  # a legacy module still on disk spells its own paths
            for symbol in [*module.definitions, *offered(module, index)]:
                if symbol.startswith("_") or (legacy, symbol) in lookup.symbols:
                    continue
                found = index.resolve(target, symbol)
                if found is not None:
                    path = f"{legacy}:{symbol}"
                    reach[found].setdefault(path, {"path": path, "how": CONFIGURED, "rule": rule.key, "file": None,
                                                   "line": None, "via": "rule"})


def _duplicates(index: Index, by_path: dict[str, dict[str, Any]], where: Callable[[str], str]
                ) -> list[dict[str, Any]]:
    by_name: dict[str, list[Any]] = defaultdict(list)
    for _name, module in sorted(index.modules.items()):
        for symbol, definition in module.definitions.items():
            if symbol.startswith("__") or (definition.kind == "function" and symbol in module.warn_helpers):
                continue
            by_name[symbol].append(definition)
    result = []
    for name, definitions in sorted(by_name.items()):
        if len(definitions) < 2:
            continue
        kinds = sorted({d.kind for d in definitions})
        result.append({
            "name": name,
            "kind": kinds[0] if len(kinds) == 1 else "mixed",
            "definitions": [{"object": f"{d.module}:{name}", "kind": d.kind,
                             "file": where(index.modules[d.module].file), "line": d.line,
                             "import_paths_count": by_path.get(f"{d.module}:{name}", {}).get("import_paths_count", 1)}
                            for d in definitions],
            "differences": differences(definitions),
        })
    return result


def _uses_of(rule: Rule, agg: Aggregate) -> int:
    total = 0
    for site in agg.sites.values():
        if rule.prefix:
            hit = site.legacy == rule.legacy or site.legacy.startswith(rule.legacy + ".")
        elif rule.symbol is not None:
            hit = site.legacy == rule.legacy and site.symbol == rule.symbol
        else:
            hit = site.legacy == rule.legacy
        if hit:
            total += site.uses
    return total


def _unused(index: Index, cfg: Config, agg: Aggregate, where: Callable[[str], str]) -> dict[str, Any]:
    """The rules no use reached, each with what can go; ``undecided``: the rules whose uses could not be seen.

    No verdict at all when a line of the traces did not parse (the uses it held are unknown) or
    when no process left evidence.
    """
    from ..traces.coverage import coverage

    cov = coverage(agg)
    evidence = {"processes": cov["processes"], "start": cov["start"], "end": cov["end"]}
    skipped = list(getattr(agg, "skipped", None) or ())
    if skipped:
        path, line, _why = skipped[0]
        count = len(skipped)
        return {"evidence": evidence, "legacy_paths": [], "undecided": [],
                "note": f"{count} line{'s' if count != 1 else ''} of the traces did not parse (the first: "
                        f"{path}:{line}): the uses {'they' if count != 1 else 'it'} held are unknown, so nothing "
                        "can be called unused"}
    if not cov["processes"]:
        return {"evidence": evidence, "legacy_paths": [], "undecided": [],
                "note": "no process evidence in the traces: nothing can be called unused"}
    paths, undecided = [], []
    for rule in cfg.rules:
        if _uses_of(rule, agg):
            continue
        mode = cfg.rule_mode(rule)
        module = index.modules.get(rule.legacy)
        entry: dict[str, Any] = {"rule": rule.key, "legacy": rule.legacy, "symbol": rule.symbol, "mode": mode,
                                 "file": where(module.file) if module is not None else None, "line": None,
                                 "uses": 0}
        blind = _unseen(index, rule, mode)
        if blind is not None:
            undecided.append({**entry, "reason": f"observe mode cannot see the uses of a module that replaces "
                                                 f"itself in sys.modules ({where(blind.file)}:{blind.forwards_line}):"
                                                 " run it in redirect mode to count them"})
            continue
        entry["line"], entry["remove"] = _what_can_go(rule, module, where)
        paths.append(entry)
    return {"evidence": evidence, "legacy_paths": paths, "undecided": undecided, "note": None}


def _unseen(index: Index, rule: Rule, mode: str) -> Module | None:
    """The module on disk whose uses a rule in observe mode cannot see: one that replaces itself."""
    if mode != "observe":
        return None
    for name, module in sorted(index.modules.items()):
        under = name == rule.legacy or (rule.prefix and name.startswith(rule.legacy + "."))
        if under and module.replaces_itself:
            return module
    return None


def _what_can_go(rule: Rule, module: Module | None, where: Callable[[str], str]) -> tuple[int | None, str]:
    """``(line, text)``: what deleting an unused legacy path means, in the tree as it is."""
    if module is None:
        return None, "the rule can go (no file of the legacy path is in the tree)"
    if rule.symbol is not None:
        binding = module.bindings.get(rule.symbol)
        if binding is not None and not module.shim:
            return binding.line, f"the rule and the alias line at {where(module.file)}:{binding.line} can go " \
                                 "(the module stays)"
        if binding is not None:
            return binding.line, f"the rule and the line at {where(module.file)}:{binding.line} can go"
        return None, f"the rule can go ({rule.legacy} has no line for {rule.symbol})"
    if module.shim or rule.prefix:
        return None, f"the rule and {where(module.file)} can go"
    return None, f"the rule can go ({where(module.file)} has code of its own: it stays)"


def _loaded_twice(agg: Aggregate, where: Callable[[str], str]) -> list[dict[str, Any]]:
    found = getattr(agg, "loaded_twice", None) or {}
    return [{"file": where(file), "modules": sorted(entry["modules"]), "processes": len(entry["processes"]),
             "classes": sorted(entry.get("classes", ()))}
            for file, entry in sorted(found.items())]


# -- rendering ----------------------------------------------------------------------------------------

def baseline_section(audit: dict[str, Any]) -> dict[str, Any]:
    """What a baseline allows of the audit: the duplicates (name -> modules) and the unconfigured re-exports."""
    return {
        "duplicates": {dup["name"]: sorted(d["object"].partition(":")[0] for d in dup["definitions"])
                       for dup in audit["duplicates"]},
        "unconfigured": sorted({p["path"] for p in audit["unconfigured"]}),
    }


def check_baseline(audit: dict[str, Any], allowed: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """``(offending, gone)``: a duplicate or an unconfigured re-export the baseline does not allow fails.

    A duplicate is new when its name is not in the baseline or a module defines it that the
    baseline does not list for it. Without an audit section in the baseline nothing is allowed.
    """
    allowed = allowed or {}
    known_dups: dict[str, list[str]] = allowed.get("duplicates") or {}
    known_paths = set(allowed.get("unconfigured") or ())
    offending: list[str] = [f"{u['file']}:{u['line']}: not audited: {u['reason']}" for u in audit.get("unread") or ()]
    for dup in audit["duplicates"]:
        if dup["name"] not in known_dups:  # which definition is the new one the baseline cannot say: one finding
            at = ", ".join(f"{d['object']} at {d['file']}:{d['line']}" for d in dup["definitions"])
            offending.append(f"new duplicate: {dup['kind']} {dup['name']}, defined in "
                             f"{len(dup['definitions'])} modules the baseline does not list it for: {at}")
            continue
        known = set(known_dups[dup["name"]])
        for d in dup["definitions"]:
            module = d["object"].partition(":")[0]
            if module in known:
                continue
            others = ", ".join(o["object"] for o in dup["definitions"] if o is not d)
            offending.append(f"{d['file']}:{d['line']}: new definition of a duplicate: {dup['kind']} {d['object']}, "
                             f"also defined as {others}")
    seen_paths = set()
    for p in audit["unconfigured"]:
        seen_paths.add(p["path"])
        if p["path"] not in known_paths:
            offending.append(f"{p['file']}:{p['line']}: new unconfigured re-export: {p['path']} -> {p['object']} "
                             f"({p['via']}); add a rule for it, or allow it with --write-baseline")
    gone = [f"duplicate {name}" for name in sorted(known_dups)
            if name not in {d["name"] for d in audit["duplicates"]}]
    gone += [f"unconfigured re-export {path}" for path in sorted(known_paths - seen_paths)]
    return offending, gone

"""``ssot-runtime scan``: what static analysis sees of the legacy paths, beside what ran.

Python files are read with ``ast`` (import statements, absolute and relative; attribute chains
on legacy module names; dotted strings such as ``importlib.import_module("...")``,
``mock.patch("...")``, ``__import__``); ``.toml``, ``.ini``, ``.cfg``, ``.yaml`` files for
dotted names line by line. A string or config value is a reference only when it is a whole name
(see :mod:`ssot_runtime.analysis.references`); prose that mentions a legacy path is listed, as kind
``prose``, only when asked for. Many files are parsed in parallel processes.
"""

from __future__ import annotations

import ast
import os
from dataclasses import asdict, dataclass

from ..config import Config
from ..traces.coverage import plural
from .names import LegacyNames
from .references import ARGUMENT_KEYWORDS, KNOWN_CALLS, config_names, prose_in, whole

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

SCHEMA = "ssot-runtime/scan/v1"
CONFIG_SUFFIXES = (".toml", ".ini", ".cfg", ".yaml", ".yml")
_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".mypy_cache", ".ruff_cache"}


@dataclass
class Reference:
    file: str
    line: int
    kind: str  # import | from-import | attribute | string | config | prose (with prose=True only)
    legacy: str
    symbol: str | None
    canonical: str
    canonical_symbol: str | None
    text: str
    uses: int | None = None  # with traces: uses at runtime (0: never seen)


def files_under(paths: Iterable[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            found += [os.path.join(root, n) for n in sorted(names) if n.endswith((".py", *CONFIG_SUFFIXES))]
    return found


def _package_of(path: str) -> str:
    """The package a file's relative imports resolve against (found by walking up __init__.py files)."""
    folder = os.path.dirname(os.path.abspath(path))
    parts: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parts.insert(0, os.path.basename(folder))
        folder = os.path.dirname(folder)
    return ".".join(parts)


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *parts])
    return None


def scan_python(path: str, source: str, names: LegacyNames, *, prose: bool = False) -> list[Reference]:
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    refs: list[Reference] = []

    def add(node: ast.AST, kind: str, legacy: str, symbol: str | None) -> None:
        match = names.symbol(legacy, symbol)
        if match is not None:
            line = getattr(node, "lineno", 0)
            refs.append(Reference(path, line, kind, legacy, symbol, match.canonical, match.canonical_symbol,
                                  lines[line - 1].strip() if 0 < line <= len(lines) else ""))

    package = None
    inside_chain: set[int] = set()
    call_arguments: set[int] = set()  # strings a known call reads as a module or object path
    live_aliases = {alias.asname: alias.name for node in tree.body if isinstance(node, ast.Import)
                    for alias in node.names if alias.asname and alias.name in names.live}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                match = names.dotted(alias.name)
                if match is not None:
                    add(node, "import", match.legacy, None)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                package = _package_of(path) if package is None else package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            if names.module(module) is not None:
                for alias in node.names:
                    add(node, "from-import", module, None if alias.name == "*" else alias.name)
            else:  # `from pkg import legacy_child`, `from live import Old`
                for alias in node.names:
                    child = f"{module}.{alias.name}"
                    if names.module(child) is not None:
                        add(node, "from-import", child, None)
                    elif names.live_symbol(module, alias.name) is not None:
                        add(node, "from-import", module, alias.name)
                    if child in names.live:
                        live_aliases[alias.asname or alias.name] = child
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in live_aliases and names.live_symbol(live_aliases[node.value.id], node.attr):
            add(node, "attribute", live_aliases[node.value.id], node.attr)  # `m.Old` after `import live as m`
        elif isinstance(node, ast.Attribute) and id(node) not in inside_chain:
            text = _dotted(node)
            if text is not None:
                match = names.dotted(text)
                if match is not None:
                    add(node, "attribute", match.legacy, match.symbol)
                    value: ast.AST = node.value
                    while isinstance(value, ast.Attribute):  # report the chain once, at its longest
                        inside_chain.add(id(value))
                        value = value.value
        elif isinstance(node, ast.Call):  # seen before its arguments: ast.walk goes breadth first
            func = _dotted(node.func)
            if func is not None and func.rpartition(".")[2] in KNOWN_CALLS:
                call_arguments.update(id(a) for a in [*node.args[:1], *(k.value for k in node.keywords
                                                                          if k.arg in ARGUMENT_KEYWORDS)])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = whole(names, node.value, call_argument=id(node) in call_arguments)
            if match is not None:
                add(node, "string", match.legacy, match.symbol)
            elif prose and "." in node.value:
                for mention in prose_in(names, node.value):
                    add(node, "prose", mention.legacy, mention.symbol)
    refs.sort(key=lambda r: (r.line, r.kind, r.legacy, r.symbol or ""))
    return refs


def scan_text(path: str, source: str, names: LegacyNames, *, prose: bool = False) -> list[Reference]:
    refs = []
    for number, line in enumerate(source.splitlines(), 1):
        values, mentions = config_names(names, line)
        found = [(start, "config", m) for start, _, m in values]
        found += [(start, "prose", m) for start, _, m in mentions] if prose else []
        for _start, kind, match in sorted(found, key=lambda f: f[0]):
            refs.append(Reference(path, number, kind, match.legacy, match.symbol, match.canonical,
                                  match.canonical_symbol, line.strip()))
    return refs


def scan_file(path: str, names: LegacyNames, prose: bool = False) -> tuple[list[Reference], str | None]:
    """References in one file, or an error message for a file that does not read or parse."""
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        return [], f"{path}: cannot read: {exc}"
    if not any(root in source for root in names.roots):
        return [], None  # the cheap test first: most files name no legacy root at all
    if path.endswith(".py"):
        try:
            return scan_python(path, source, names, prose=prose), None
        except SyntaxError as exc:
            return [], f"{path}:{exc.lineno}: does not parse: {exc.msg}"
    return scan_text(path, source, names, prose=prose), None


_worker: tuple[LegacyNames, bool] | None = None


def _init_worker(cfg: Config, only: tuple[str, ...], prose: bool = False) -> None:
    global _worker
    _worker = (LegacyNames(cfg, only), prose)


def _scan_chunk(paths: list[str]) -> list[tuple[list[Reference], str | None]]:
    assert _worker is not None
    return [scan_file(p, *_worker) for p in paths]


def scan(paths: Iterable[str], cfg: Config, *, only: tuple[str, ...] = (), jobs: int | None = None,
         prose: bool = False) -> tuple[list[Reference], list[str], int]:
    """All references under ``paths``: (references, errors, files read)."""
    files = files_under(paths)
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    results: list[tuple[list[Reference], str | None]]
    if jobs > 1 and len(files) > 500:
        from concurrent.futures import ProcessPoolExecutor

        size = max(50, len(files) // (jobs * 8))
        chunks = [files[i:i + size] for i in range(0, len(files), size)]
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(cfg, only, prose)) as pool:
            results = [r for chunk in pool.map(_scan_chunk, chunks) for r in chunk]
    else:
        names = LegacyNames(cfg, only)
        results = [scan_file(p, names, prose) for p in files]
    refs = [r for found, _ in results for r in found]
    errors = [e for _, e in results if e]
    return refs, errors, len(files)


def with_traces(refs: list[Reference], report: dict[str, Any], mapper: Any) -> list[dict[str, Any]]:
    """Mark static references with their runtime uses; return runtime sites the scan did not find."""
    seen: dict[tuple[str, int], int] = {}
    runtime = []
    for path in report["legacy_paths"]:
        for site in path["sites"]:
            key = (os.path.abspath(site["file"]), site["line"])
            seen[key] = seen.get(key, 0) + site["uses"]
            runtime.append((key, path["legacy"], site))
    static_keys = set()
    for ref in refs:
        if ref.kind == "prose":  # only mentions a legacy path: never a use
            continue
        key = (os.path.abspath(mapper(ref.file)), ref.line)
        static_keys.add(key)
        ref.uses = seen.get(key, 0)
    return [{"file": site["file"], "line": site["line"], "legacy": legacy, "symbol": site["symbol"],
             "uses": site["uses"], "function": site["function"]}
            for key, legacy, site in runtime if key not in static_keys]


def build_scan(refs: list[Reference], errors: list[str], files: int,
               dynamic: list[dict[str, Any]] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "sources": {"files": files, "errors": errors},
        "totals": {"references": len(refs), "files": len({r.file for r in refs}),
                   "legacy_paths": len({r.legacy for r in refs})},
        "references": [asdict(r) for r in refs],
    }
    if dynamic is not None:
        doc["totals"]["seen_at_runtime"] = sum(1 for r in refs if r.uses)
        doc["totals"]["never_seen"] = sum(1 for r in refs if not r.uses)
        doc["runtime_only"] = dynamic
    return doc


def render_text(doc: dict[str, Any], fmt: str) -> str:
    import csv
    import io

    rows = [[r["file"], r["line"], r["kind"], r["legacy"], r["symbol"] or "", r["canonical"],
             r["canonical_symbol"] or "", "" if r["uses"] is None else r["uses"]] for r in doc["references"]]
    header = ["file", "line", "kind", "legacy", "symbol", "canonical", "canonical_symbol", "uses"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()
    lines = []
    if fmt == "markdown":
        lines += ["# Static references to legacy paths\n", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    else:
        lines += [f"{r[0]}:{r[1]}: {r[2]}: {r[3]}{'.' + r[4] if r[4] else ''} -> {r[5]}"
                  f"{'.' + r[6] if r[6] else ''}" + (f"  [runtime uses: {r[7]}]" if r[7] != "" else "")
                  for r in rows]
    totals = doc["totals"]
    lines.append(f"\n{plural(totals['references'], 'reference')} in {plural(totals['files'], 'file')} "
                 f"({doc['sources']['files']} read)")
    for item in doc.get("runtime_only", []):
        lines.append(f"runtime only (dynamic): {item['file']}:{item['line']} {item['legacy']} "
                     f"{item['symbol'] or ''} {plural(item['uses'], 'use')}")
    for error in doc["sources"]["errors"]:
        lines.append(f"error: {error}")
    return "\n".join(lines) + "\n"

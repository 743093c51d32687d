"""Rewrite imports of the flat pre-0.2 module names to the staged layout (see docs/how-it-works.md).

    python tools/relayout.py FILE...     rewrite those files in place (any .py, .md, .toml, .sh)
    python tools/relayout.py --move      git mv every flat module to its stage, then rewrite the tree

Relative imports are resolved against the file's own package, mapped, and written relative to
its new place; ``from . import _scan`` style imports of modules become ``from ..analysis import
scan`` (the uses ``_scan.x`` renamed where the bare name is free, else imported ``as _scan``).
Dotted mentions in text (``ssot_runtime._traces``) are mapped too. Safe to run twice.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "ssot_runtime"

# old module (under ssot_runtime) -> new module (under ssot_runtime)
MAP = {
    "_errors": "errors",
    "_log": "log",
    "_record": "record",
    "_config": "config",
    "_config_show": "config.show",
    "_legacy_names": "analysis.names",
    "_config_check": "analysis.config_check",
    "_hook": "hook.hook",
    "_binding": "hook.binding",
    "_proxy": "hook.proxy",
    "_live": "hook.live",
    "_frames": "hook.frames",
    "_bytecode": "hook.bytecode",
    "_qualname": "hook.qualname",
    "_lock_probe": "hook.lock_probe",
    "_calls": "hook.calls",
    "_recorder": "hook.recorder",
    "_fingerprint": "hook.fingerprint",
    "_install": "runtime",
    "_telemetry": "telemetry.providers",
    "_exporters": "telemetry.exporters",
    "_otlp_json": "telemetry.otlp_json",
    "_spans": "telemetry.spans",
    "_quiet": "telemetry.quiet",
    "_exits": "telemetry.exits",
    "_signals": "telemetry.signals",
    "_traces": "traces.read",
    "_coverage": "traces.coverage",
    "_report": "analysis.report",
    "_plan": "analysis.plan",
    "_check": "analysis.check",
    "_scan": "analysis.scan",
    "_fix": "analysis.fix",
    "_references": "analysis.references",
    "_rewrite": "analysis.rewrite",
    "_rewrite_imports": "analysis.rewrite_imports",
    "_symbols": "analysis.symbols",
    "cli": "cli",
    "_cli_env": "cli.env",
    "_cli_code": "cli.code",
    "_cli_read": "cli.read",
    "_cli_traces": "cli.traces",
    "_run": "cli.run",
    "_run_outputs": "cli.run_outputs",
    "_run_report": "cli.run_report",
    "_enable": "cli.enable",
    "pytest_plugin": "pytest_plugin",
    "_xdist": "pytest_plugin.xdist",
}
PACKAGES = {"config", "hook", "telemetry", "traces", "analysis", "cli", "pytest_plugin"}
FULL = {f"ssot_runtime.{old}": f"ssot_runtime.{new}" for old, new in MAP.items() if old != new}
_SAME = {f"ssot_runtime.{old}" for old, new in MAP.items() if old == new}
_TEXT = re.compile(r"\bssot_runtime\.(_[a-z_]+)\b")


def new_path(new: str) -> Path:
    parts = new.split(".")
    if new in PACKAGES:
        return SRC.joinpath(*parts, "__init__.py")
    return SRC.joinpath(*parts[:-1], parts[-1] + ".py")


def package_of(path: Path) -> str | None:
    """The dotted package a file under src/ssot_runtime belongs to (itself for an __init__)."""
    try:
        rel = path.resolve().relative_to(SRC.parent)
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1])
    return ".".join(parts[:-1])


def relative(target: str, package: str) -> str:
    """``target`` written relative to ``package`` (both dotted, under ssot_runtime)."""
    t, p = target.split("."), package.split(".")
    common = 0
    while common < min(len(t), len(p)) and t[common] == p[common]:
        common += 1
    dots = "." * (1 + len(p) - common)
    return dots + ".".join(t[common:])


def _absolute(node: ast.ImportFrom, package: str | None) -> str | None:
    if node.level == 0:
        return node.module
    if package is None:
        return None
    base = package.split(".")
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _rewrite_import(node: ast.ImportFrom, package: str | None, renames: dict[str, str],
                    resolve_in: str | None) -> list[str] | None:
    base = _absolute(node, resolve_in or package)
    if base is None or not (base == "ssot_runtime" or base.startswith("ssot_runtime.")):
        return None
    keep_relative = node.level > 0

    def spell(module: str) -> str:
        return relative(module, package) if keep_relative and package else module

    if base in FULL or (base in _SAME and keep_relative and resolve_in and resolve_in != package):
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
        return [f"from {spell(FULL.get(base, base))} import {names}"]
    groups: dict[str, list[str]] = {}
    changed = False
    for alias in node.names:
        full = f"{base}.{alias.name}"
        if full in FULL:
            changed = True
            parent, _, leaf = FULL[full].rpartition(".")
            bound = alias.asname or alias.name
            if bound != leaf:
                renames[bound] = leaf
            groups.setdefault(parent, []).append(f"{leaf}\0{bound}")
        else:
            groups.setdefault(base, []).append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
    moved = keep_relative and resolve_in is not None and package is not None and resolve_in != package
    if not changed and not moved:
        return None
    return [f"from {spell(parent)} import {', '.join(names)}" for parent, names in groups.items()]


def rewrite_python(text: str, path: Path, resolve_in: str | None = None) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    package = package_of(path)
    lines = text.splitlines(keepends=True)
    renames: dict[str, str] = {}
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            new = _rewrite_import(node, package, renames, resolve_in)
            if new is not None:
                edits.append((node, new))
    in_src = package is not None
    final_renames = {}
    for bound, leaf in renames.items():
        # In the package the module is used by its new name where that name is free.
        free = in_src and not re.search(rf"(?<![\w.]){re.escape(leaf)}\b", text)
        final_renames[bound] = leaf if free else None
    for node, new in sorted(edits, key=lambda e: -e[0].lineno):
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[operator]
        indent = lines[first][: node.col_offset]
        tail = lines[last][node.end_col_offset :]
        out = []
        for stmt in new:
            def name(m: re.Match[str]) -> str:
                leaf, bound = m.group(1), m.group(2)
                if leaf == bound or final_renames.get(bound) == leaf:
                    return leaf
                return f"{leaf} as {bound}"
            out.append(re.sub(r"(\w+)\0(\w+)", name, stmt))
        block = "".join(f"{indent}{stmt}\n" for stmt in out[:-1]) + f"{indent}{out[-1]}{tail}"
        lines[first : last + 1] = [block]
    text = "".join(lines)
    for bound, leaf in final_renames.items():
        if leaf:
            text = re.sub(rf"(?<![\w.]){re.escape(bound)}\.", f"{leaf}.", text)
    return text


def rewrite_text(text: str) -> str:
    return _TEXT.sub(lambda m: FULL.get(m.group(0), m.group(0)), text)


def rewrite(path: Path, resolve_in: str | None = None) -> bool:
    old = path.read_text(encoding="utf-8")
    new = rewrite_python(old, path, resolve_in) if path.suffix == ".py" else old
    new = rewrite_text(new)
    if new != old:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def move() -> None:
    for old, new in MAP.items():
        src = SRC / f"{old}.py"
        dst = new_path(new)
        if not src.exists() or src == dst:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", str(src), str(dst)], check=True, cwd=ROOT)
    for package in PACKAGES:
        init = SRC / package / "__init__.py"
        if not init.exists():
            init.write_text(f'"""{package}."""\n', encoding="utf-8")
            subprocess.run(["git", "add", str(init)], check=True, cwd=ROOT)


def main(argv: list[str]) -> int:
    resolve_in = None
    if argv == ["--move"]:
        move()
        resolve_in = "ssot_runtime"  # every module was flat: relative imports meant the top package
        kinds = {".py", ".md", ".toml", ".sh", ".cfg", ".yml"}
        files = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in kinds
                 and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
                 and "results" not in p.parts and p.name != "relayout.py"]
        files += [ROOT / "Makefile"]
    else:
        files = [Path(arg) for arg in argv]
    for path in files:
        in_src = path.resolve().is_relative_to(SRC)
        if path.exists() and rewrite(path, resolve_in if in_src else None):
            print(f"rewrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

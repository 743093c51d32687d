"""The package's layout: stages that import downwards only, small rooms, each saying what it holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ssot_runtime

SRC = Path(ssot_runtime.__file__).resolve().parent

# The stages, bottom first: a module may import its own stage and those below it, never above.
STAGES = ["base", "config", "hook", "telemetry", "traces", "analysis", "runtime", "cli", "top"]
BASE = {"errors", "log", "record", "version"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"  # the front door
    first = parts[1]
    if first in BASE:
        return "base"
    if first in STAGES:
        return first
    if first in {"pytest_plugin", "testing", "__main__", "_startup"}:
        return "top"
    raise AssertionError(f"{module}: in no stage; add it to tests/test_layout.py and docs/how-it-works.md")


def imports(path: Path) -> set[str]:
    """Every ssot_runtime module this file imports, at run time or for type checking only."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ssot_runtime":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if module_path(sub) is not None else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "ssot_runtime")
    return found


def module_path(module: str) -> Path | None:
    base = SRC.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) - {module_name(p)} for p in SRC.rglob("*.py") if "_startup" not in p.parts}


def test_every_module_imports_only_its_own_stage_or_those_below() -> None:
    order = {name: i for i, name in enumerate(STAGES)}
    upward = [f"{m} ({stage(m)}) imports {t} ({stage(t)})" for m, targets in graph().items() for t in targets
              if order[stage(t)] > order[stage(m)]]
    assert not upward, "\n".join(upward)


def test_no_import_circle_between_modules_nor_between_stage_packages() -> None:
    edges = graph()
    # A package's __init__ is imported by every module inside it: count those edges too.
    for module in list(edges):
        parent = module.rpartition(".")[0]
        while parent:
            edges[module].add(parent)
            parent = parent.rpartition(".")[0]
    for module, targets in edges.items():
        edges[module] = {t for t in targets if not module.startswith(t + ".")}  # a parent is not a dependency

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    return [*path, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        return None

    circles = [c for m in sorted(edges) if (c := cycle_from(m))]
    assert not circles, " -> ".join(circles[0])


def test_every_module_says_what_it_holds_and_no_class_is_a_house() -> None:
    problems = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            problems.append(f"{path.relative_to(SRC)}: no module docstring")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 260:  # type: ignore[operator]
                problems.append(f"{path.relative_to(SRC)}:{node.lineno}: class {node.name} has "
                                f"{node.end_lineno - node.lineno + 1} lines")  # type: ignore[operator]
    assert not problems, "\n".join(problems)


def test_the_public_front_door_is_unchanged() -> None:
    assert sorted(ssot_runtime.__all__) == sorted([
        "Config", "ConfigError", "Hook", "ImportTiming", "LegacyImportError", "LegacyImportWarning", "Rule",
        "SsotRuntimeError", "UseRecord", "active_hook", "install", "load_config", "parse_config",
        "process_startup", "tracking"])
    assert (SRC / "py.typed").exists()
    for name in ssot_runtime.__all__:
        assert getattr(ssot_runtime, name) is not None


def test_importing_the_package_loads_no_telemetry_traces_analysis_or_cli() -> None:
    code = ("import sys, ssot_runtime; print(' '.join(sorted(m for m in sys.modules "
            "if m.startswith('ssot_runtime.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    heavy = [m for m in loaded if m.split(".")[1] in {"telemetry", "traces", "analysis", "cli"}]
    assert not heavy, heavy

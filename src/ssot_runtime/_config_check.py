"""``ssot-runtime config``: validate, show the effective configuration, check the canonical side."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys

from ._errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._config import Config, Rule
    from ._legacy_names import LegacyNames


def check_config(cfg: Config, *, show: bool, echo: Callable[[str], object]) -> bool:
    """Print problems (and with ``show`` the configuration); False when a rule's canonical side is broken.

    Every bad rule is one line naming the file, the key and what is missing: a canonical module
    that does not import, a canonical symbol its module lacks, a live module that does not import.
    The project's import roots (the config file's folder and its ``src/``) are on ``sys.path``.
    """
    from ._legacy_names import LegacyNames

    names = LegacyNames(cfg)
    source = str(cfg.source).removesuffix(" [tool.ssot_runtime]")
    problems: list[str] = []
    if show:
        echo(f"# source: {cfg.source}")
        for name in cfg._fields:
            if name == "rules":
                continue
            origin = "environment" if _from_env(name) else cfg.source
            echo(f"{name} = {getattr(cfg, name)!r}    # {origin}")
        echo("[redirects]")
    with _import_roots(source):
        for rule in cfg.rules:
            left = rule.key
            right = f"{rule.target}.*" if rule.prefix else (f"{rule.target}:{rule.target_symbol}" if rule.symbol
                                                             else rule.target)
            mode = cfg.rule_mode(rule)
            if show:
                echo(f"{left!r} = {right!r}    # mode {mode}" + (f", note {rule.note!r}" if rule.note else ""))
            problem = _rule_problem(rule, names)
            if problem is not None:
                problems.append(str(ConfigError(problem, source=source, key=f"redirects.{left}")))
            if mode in ("redirect", "warn") and not rule.symbol and _importable_parent(rule.legacy):
                try:
                    exists = importlib.util.find_spec(rule.legacy) is not None
                except (ImportError, ValueError):
                    exists = False
                if exists:
                    echo(f"warning: legacy name {rule.legacy!r} still exists on disk; in {mode} mode it is "
                         "shadowed (use observe mode to keep running it)")
    for problem in problems:
        echo(f"error: {problem}")
    if not problems and not show:
        echo(f"ok: {len(cfg.rules)} rules from {cfg.source}")
    return not problems


def _rule_problem(rule: Rule, names: LegacyNames) -> str | None:
    """What is wrong with one rule's canonical side (and a live module's own import), or None."""
    if rule.prefix:
        return None
    if rule.symbol is not None and names.module(rule.legacy) is None:
        try:  # a live module: it must import, since its other names stay there
            importlib.import_module(rule.legacy)
        except Exception as exc:
            return f"live module {rule.legacy!r} does not import: {type(exc).__name__}: {exc}"
    target = names.module(rule.target) or rule.target
    try:
        module = importlib.import_module(target)
    except Exception as exc:  # any failure of the canonical side is worth one line
        return f"canonical module {target!r} does not import: {type(exc).__name__}: {exc}"
    if rule.target_symbol is not None and not hasattr(module, rule.target_symbol):
        return f"canonical {target!r} has no {rule.target_symbol!r}"
    return None


@contextlib.contextmanager
def _import_roots(source: str) -> Iterator[None]:
    """The config file's folder and its ``src/`` first on ``sys.path``, as the project imports itself."""
    roots: list[str] = []
    if os.path.isfile(source):
        folder = os.path.dirname(os.path.abspath(source))
        roots = [folder, *([os.path.join(folder, "src")] if os.path.isdir(os.path.join(folder, "src")) else [])]
    saved = list(sys.path)
    sys.path[:0] = [r for r in roots if r not in sys.path]
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved


def _from_env(name: str) -> bool:
    return {"mode": "SSOT_RUNTIME_MODE", "output": "SSOT_RUNTIME_OUTPUT",
            "disabled": "SSOT_RUNTIME_DISABLED"}.get(name, "") in os.environ


def _importable_parent(name: str) -> bool:
    parent = name.rpartition(".")[0]
    if not parent:
        return True
    try:
        return importlib.util.find_spec(parent) is not None
    except (ImportError, ValueError):
        return False


def export(cfg: Config, tool: str) -> str:
    """The legacy map for the static tools users already run: ruff's banned-api or import-linter."""
    modules: dict[str, str] = {}
    symbols: dict[str, str] = {}
    for rule in cfg.rules:
        note = f" ({rule.note})" if rule.note else ""
        if rule.symbol:
            symbols[f"{rule.legacy}.{rule.symbol}"] = f"Use {rule.target}.{rule.target_symbol}{note}"
        else:
            target = f"{rule.target}.*" if rule.prefix else rule.target
            modules[rule.legacy] = f"Use {target} instead{note} (ssot-runtime)"
    if tool == "ruff":
        lines = ["# In pyproject.toml (or [lint.flake8-tidy-imports.banned-api] in ruff.toml); enable rule TID251.",
                 "[tool.ruff.lint.flake8-tidy-imports.banned-api]"]
        for name, msg in {**modules, **symbols}.items():
            lines.append(f'"{name}".msg = {_toml_string(msg)}')
        return "\n".join(lines) + "\n"
    if tool == "import-linter":
        roots = sorted({name.split(".")[0] for name in (*modules, *(r.target for r in cfg.rules))})
        lines = ["# In .importlinter or setup.cfg.", "[importlinter]", "root_packages =",
                 *(f"    {root}" for root in roots), "",
                 "[importlinter:contract:ssot-runtime-legacy]",
                 "name = Legacy import paths consolidated by ssot-runtime", "type = forbidden",
                 "source_modules =", *(f"    {root}" for root in roots),
                 "forbidden_modules =", *(f"    {name}" for name in sorted(modules)),
                 "allow_indirect_imports = True"]
        if symbols:  # import-linter forbids modules only: moved names of live modules need ruff's map
            lines += ["", "# Names that moved out of modules that stay (import-linter cannot forbid a name;",
                      "# `ssot-runtime config --export ruff` bans them):",
                      *(f"#   {name}: {msg}" for name, msg in sorted(symbols.items()))]
        return "\n".join(lines) + "\n"
    raise ValueError(f"--export takes ruff or import-linter, not {tool!r}")


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

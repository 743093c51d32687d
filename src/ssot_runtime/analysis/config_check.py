"""``ssot-runtime config``: validate, show the effective configuration, check the canonical side."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys

from ..errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from ..config import Config, Rule
    from .names import LegacyNames


def check_config(cfg: Config, *, show: bool, echo: Callable[[str], object]) -> bool:
    """Print problems (and with ``show`` the configuration); False when a rule's canonical side is broken.

    Every bad rule is one line naming the file, the key and what is missing: a canonical module
    that does not import, a canonical symbol its module lacks, a live module that does not import.
    The project's import roots (the config file's folder and its ``src/``) are on ``sys.path``.
    """
    from .names import LegacyNames

    names = LegacyNames(cfg)
    source = str(cfg.source).removesuffix(" [tool.ssot_runtime]")
    problems: list[str] = []
    if show:
        from ..config.show import show as show_toml

        echo(show_toml(cfg).rstrip("\n"))
    with _import_roots(source):
        for rule in cfg.rules:
            left = rule.key
            mode = cfg.rule_mode(rule)
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
        from ..traces.coverage import plural

        echo(f"ok: {plural(len(cfg.rules), 'rule')} from {cfg.source}")
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


def looked_for(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> list[str]:
    """Where the configuration is looked for, in order (see ``_config._find_file``)."""
    environ = os.environ if environ is None else environ
    cwd = os.path.abspath(cwd or os.getcwd())
    if environ.get("SSOT_RUNTIME_CONFIG"):
        return [os.path.join(cwd, environ["SSOT_RUNTIME_CONFIG"])]
    places = [os.path.join(cwd, "ssot-runtime.toml")]
    folder = cwd
    while True:
        pyproject = os.path.join(folder, "pyproject.toml")
        places.append(f"{pyproject} [tool.ssot_runtime]")
        parent = os.path.dirname(folder)
        if os.path.isfile(pyproject) or parent == folder:
            return places
        folder = parent


def no_config_message(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> str:
    places = looked_for(environ, cwd)
    shown = places if len(places) <= 4 else [*places[:3], "...", places[-1]]
    return f"no configuration found (looked for {', '.join(shown)})"


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
        return _import_linter(sorted(modules), cfg, symbols)
    raise ValueError(f"--export takes ruff or import-linter, not {tool!r}")


def _on_disk(name: str, bases: list[str]) -> bool:
    """Whether a module's file or package folder exists under one of ``bases``, as import-linter
    (which puts the working directory on sys.path) will look for it; nothing is imported."""
    rel = os.path.join(*name.split("."))
    for base in bases:
        stem = os.path.join(base, rel)
        if os.path.isfile(stem + ".py") or os.path.isdir(stem):
            return True
    return False


def _import_linter(legacy: list[str], cfg: Config, symbols: dict[str, str]) -> str:
    """import-linter refuses a contract naming a module that does not exist: only existing ones.

    A legacy module deleted from disk cannot be imported statically anyway (``scan`` finds its
    references); it is listed in a comment.
    """
    source = cfg.source.removesuffix(" [tool.ssot_runtime]")
    bases = [os.path.dirname(os.path.abspath(source))] if os.path.isfile(source) else []
    bases += [os.getcwd(), *(p for p in sys.path if p and os.path.isdir(p))]
    existing = [name for name in legacy if _on_disk(name, bases)]
    gone = [name for name in legacy if name not in existing]
    roots = sorted({name.split(".")[0] for name in (*existing, *(r.target for r in cfg.rules))
                    if _on_disk(name.split(".")[0], bases)})
    lines = ["# In .importlinter or setup.cfg."]
    if gone:
        lines.append(f"# Not on disk, left out (import-linter needs modules that exist): {', '.join(gone)}")
    if not existing or not roots:
        lines.append("# No legacy module exists on disk: nothing for import-linter to forbid.")
        return "\n".join(lines) + "\n"
    lines += ["[importlinter]", "root_packages =", *(f"    {root}" for root in roots), "",
              "[importlinter:contract:ssot-runtime-legacy]",
              "name = Legacy import paths consolidated by ssot-runtime", "type = forbidden",
              "source_modules =", *(f"    {root}" for root in roots),
              "forbidden_modules =", *(f"    {name}" for name in existing),
              "allow_indirect_imports = True"]
    if symbols:  # import-linter forbids modules only: moved names of live modules need ruff's map
        lines += ["", "# Names that moved out of modules that stay (import-linter cannot forbid a name;",
                  "# `ssot-runtime config --export ruff` bans them):",
                  *(f"#   {name}: {msg}" for name, msg in sorted(symbols.items()))]
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

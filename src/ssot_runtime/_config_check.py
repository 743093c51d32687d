"""``ssot-runtime config``: validate, show the effective configuration, check the canonical side."""

from __future__ import annotations

import importlib
import importlib.util
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ._config import Config


def check_config(cfg: Config, *, show: bool, echo: Callable[[str], object]) -> bool:
    """Print problems (and with ``show`` the configuration); False when a canonical module is missing."""
    ok = True
    if show:
        from ._config_show import show as show_toml

        echo(show_toml(cfg).rstrip("\n"))
    for rule in cfg.rules:
        left = rule.key
        mode = cfg.rule_mode(rule)
        if not rule.prefix:
            try:
                importlib.import_module(rule.target)
            except Exception as exc:  # any failure of the canonical side is worth one line
                echo(f"error: canonical module {rule.target!r} of {left!r} does not import: {exc}")
                ok = False
        if mode in ("redirect", "warn") and not rule.symbol and _importable_parent(rule.legacy):
            try:
                exists = importlib.util.find_spec(rule.legacy) is not None
            except (ImportError, ValueError):
                exists = False
            if exists:
                echo(f"warning: legacy name {rule.legacy!r} still exists on disk; in {mode} mode it is shadowed"
                     " (use observe mode to keep running it)")
    if ok and not show:
        from ._coverage import plural

        echo(f"ok: {plural(len(cfg.rules), 'rule')} from {cfg.source}")
    return ok


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
        return _import_linter(sorted(modules), cfg)
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


def _import_linter(legacy: list[str], cfg: Config) -> str:
    """import-linter refuses a contract naming a module that does not exist: only existing ones.

    A legacy module deleted from disk cannot be imported statically anyway (``scan`` finds its
    references); it is listed in a comment.
    """
    import sys

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
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""``config --show``: the effective configuration as TOML, each value with the layer it came from."""

from __future__ import annotations

import datetime as dt
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from . import Config

# Fields and the TOML key each is written under; the plan's live in [plan].
_TOP = ("mode", "strict", "enforce_deadlines", "warn", "skip_modules", "exporters", "output", "export_interval",
        "export_timeout", "max_sites", "service_name", "use_global_providers")
_ENV = {"mode": "SSOT_RUNTIME_MODE", "output": "SSOT_RUNTIME_OUTPUT", "disabled": "SSOT_RUNTIME_DISABLED"}


def toml_value(value: Any) -> str:
    """A value in TOML: strings quoted, lists bracketed, dates bare, nothing Python-specific."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _file_table(cfg: Config) -> Mapping[str, Any]:
    from .load import _table

    file = cfg.source.removesuffix(" [tool.ssot_runtime]")
    return _table(file) if os.path.isfile(file) else {}


def show(cfg: Config, environ: Mapping[str, str] | None = None) -> str:
    """The effective configuration, a TOML document whose comments name each value's layer."""
    environ = os.environ if environ is None else environ
    table = _file_table(cfg)
    file_layer = cfg.source if table else None

    def layer(name: str, present: bool) -> str:
        variable = _ENV.get(name)
        if variable and environ.get(variable):
            return f"environment {variable}"
        return f"file {file_layer}" if present and file_layer else "default"

    lines = [f"# effective configuration; file: {cfg.source}"]
    for name in _TOP:
        value = getattr(cfg, name)
        if value is None:
            lines.append(f"# {name} is not set    # default")
            continue
        lines.append(f"{name} = {toml_value(value)}    # {layer(name, name in table)}")
    if environ.get("SSOT_RUNTIME_DISABLED"):
        lines.append(f"# disabled = {toml_value(cfg.disabled)}    # {layer('disabled', False)}")
    raw_plan = table.get("plan")
    plan: Mapping[str, Any] = raw_plan if isinstance(raw_plan, dict) else {}
    lines += ["", "[plan]"]
    lines.append(f"priorities = {toml_value({k: list(v) for k, v in cfg.plan_priorities})}    "
                 f"# {layer('plan', 'priorities' in plan)}")
    if cfg.plan_verify is not None:
        lines.append(f"verify = {toml_value(cfg.plan_verify)}    # {layer('plan', 'verify' in plan)}")
    lines += ["", f"[redirects]    # {layer('redirects', bool(cfg.rules))}"]
    for rule in cfg.rules:
        right = f"{rule.target}.*" if rule.prefix else (f"{rule.target}:{rule.target_symbol}" if rule.symbol
                                                         else rule.target)
        fields = {"to": right, "mode": rule.mode, "note": rule.note or None, "remove_after": rule.remove_after}
        kept = {k: v for k, v in fields.items() if v is not None}
        value = toml_value(right) if len(kept) == 1 else toml_value(kept)
        effective = cfg.rule_mode(rule)
        comment = f"    # effective mode {effective}" if effective != (rule.mode or cfg.mode) else ""
        lines.append(f"{toml_value(rule.key)} = {value}{comment}")
    return "\n".join(lines) + "\n"

"""Loading the configuration: TOML files found by layers, options parsed, one ``Config`` made.

Layers, the first found wins for the file, then overrides on top of it:

1. an explicit argument (a path, a mapping or a :class:`Config`);
2. ``SSOT_RUNTIME_CONFIG=path``;
3. ``./ssot-runtime.toml``;
4. ``[tool.ssot_runtime]`` in the nearest ``pyproject.toml`` upwards from the working directory;
5. then ``SSOT_RUNTIME_MODE`` replaces ``mode`` and ``SSOT_RUNTIME_DISABLED=1`` disables the hook.
"""


from __future__ import annotations

import os
import sys

# collections.abc.Mapping without importing `collections` (this loads at interpreter start-up).
from _collections_abc import Mapping

from ..errors import ConfigError
from .rules import (
    _TOP_KEYS,
    EXPORTERS,
    WARN_CHOICES,
    Config,
    _check_cycles,
    _check_symbol_cycles,
    _parse_mode,
    _parse_rule,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _parse_telemetry(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The telemetry keys: exporters, output, intervals, limits, service name."""
    fields: dict[str, Any] = {}
    if "exporters" in data:
        exporters = data["exporters"]
        if not isinstance(exporters, list) or not all(e in EXPORTERS for e in exporters):
            raise ConfigError(f"exporters must be a list of {', '.join(EXPORTERS)}; got {exporters!r}",
                              source=source, key="exporters")
        fields["exporters"] = tuple(dict.fromkeys(exporters))
    for key in ("output", "service_name"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                raise ConfigError(f"{key} must be a non-empty string", source=source, key=key)
            fields[key] = data[key]
    for key in ("export_interval", "export_timeout"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86400:
                raise ConfigError(f"{key} must be a number of seconds above 0; got {value!r}", source=source, key=key)
            fields[key] = float(value)
    if "max_sites" in data:
        value = data["max_sites"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"max_sites must be a whole number above 0; got {value!r}", source=source,
                              key="max_sites")
        fields["max_sites"] = value
    return fields


def _parse_plan(table: Any, source: str) -> dict[str, Any]:
    """``[plan]``: ``priorities = { critical = ["**/routes/**"] }`` (first listed, first done) and ``verify``."""
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ConfigError("[plan] must be a table", source=source, key="plan")
    unknown = set(table) - {"priorities", "verify"}
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", source=source, key=f"plan.{min(unknown)}")
    fields: dict[str, Any] = {}
    priorities = table.get("priorities", {})
    if not isinstance(priorities, Mapping) or not all(
            isinstance(v, list) and all(isinstance(p, str) and p for p in v) for v in priorities.values()):
        raise ConfigError("priorities must be a table of lists of path globs", source=source, key="plan.priorities")
    fields["plan_priorities"] = tuple((str(k), tuple(v)) for k, v in priorities.items())
    if "verify" in table:
        if not isinstance(table["verify"], str) or not table["verify"].strip():
            raise ConfigError("verify must be a command, e.g. 'pytest {files}'", source=source, key="plan.verify")
        fields["plan_verify"] = table["verify"]
    return fields


def parse_config(data: Mapping[str, Any], source: str = "<mapping>") -> Config:
    """Validate a mapping with the TOML layout and return a :class:`Config`."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", source=source, key=sorted(unknown)[0])
    fields: dict[str, Any] = {"source": source}
    if "mode" in data:
        fields["mode"] = _parse_mode(data["mode"], source, "mode")
    for flag in ("strict", "enforce_deadlines", "use_global_providers"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise ConfigError(f"{flag} must be true or false", source=source, key=flag)
            fields[flag] = data[flag]
    if "warn" in data:
        if data["warn"] not in WARN_CHOICES:
            raise ConfigError(f"warn must be 'once' or 'always'; got {data['warn']!r}", source=source, key="warn")
        fields["warn"] = data["warn"]
    if "skip_modules" in data:
        skip = data["skip_modules"]
        if not isinstance(skip, list) or not all(isinstance(s, str) and s for s in skip):
            raise ConfigError("skip_modules must be a list of module patterns", source=source, key="skip_modules")
        fields["skip_modules"] = tuple(skip)
    fields.update(_parse_telemetry(data, source))
    fields.update(_parse_plan(data.get("plan"), source))
    table = data.get("redirects", {})
    if not isinstance(table, Mapping):
        raise ConfigError("[redirects] must be a table", source=source, key="redirects")
    rules = tuple(_parse_rule(str(left), value, source) for left, value in table.items())
    _check_symbol_cycles(rules, source)
    _check_cycles(rules, source)
    return Config(rules=rules, **fields)


def _read_toml(path: str) -> dict[str, Any]:
    # Imported here: only a process with a config file pays for the TOML parser.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        with open(path, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
            return data
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None


def _find_file(environ: Mapping[str, str], cwd: str) -> tuple[dict[str, Any], str] | None:
    explicit = environ.get("SSOT_RUNTIME_CONFIG")
    if explicit:
        path = os.path.join(cwd, explicit)  # relative to the working directory given
        return _table(path), path
    local = os.path.join(cwd, "ssot-runtime.toml")
    if os.path.isfile(local):
        return _read_toml(local), local
    folder = os.path.abspath(cwd)
    while True:
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject):
            section = _tool_section(_read_toml(pyproject))
            if section is not None:
                if not isinstance(section, dict):
                    raise ConfigError("must be a table", source=str(pyproject), key="tool.ssot_runtime")
                return section, f"{pyproject} [tool.ssot_runtime]"
            return None  # the nearest pyproject.toml decides, like other tools do
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _tool_section(data: dict[str, Any]) -> Any:
    """``[tool.ssot_runtime]`` of a pyproject.toml, or None (also when ``tool`` is not a table)."""
    tool = data.get("tool")
    return tool.get("ssot_runtime") if isinstance(tool, dict) else None


def _table(path: str) -> dict[str, Any]:
    """A config file's table: the whole file, or ``[tool.ssot_runtime]`` of a pyproject.toml."""
    data = _read_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        section = _tool_section(data)
        if not isinstance(section, dict):
            raise ConfigError("no [tool.ssot_runtime] table", source=str(path))
        return section
    return data


def load_config(
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Config:
    """Build the effective configuration from its layers (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if isinstance(config, Config):
        result = config
    elif isinstance(config, Mapping):
        result = parse_config(config)
    elif config is not None:
        path = os.fspath(config)
        result = parse_config(_table(path), path)
    else:
        found = _find_file(environ, os.fspath(cwd) if cwd is not None else os.getcwd())
        result = parse_config(*found) if found else Config()
    overrides: dict[str, Any] = {}
    file = result.source.removesuffix(" [tool.ssot_runtime]")
    if not os.path.isabs(result.output) and os.path.isfile(file):
        # The output folder is the configuration's: relative to its file, wherever the process runs.
        overrides["output"] = os.path.join(os.path.dirname(os.path.abspath(file)), result.output)
    if environ.get("SSOT_RUNTIME_MODE"):
        overrides["mode"] = _parse_mode(environ["SSOT_RUNTIME_MODE"], "environment", "SSOT_RUNTIME_MODE")
    if environ.get("SSOT_RUNTIME_OUTPUT"):
        overrides["output"] = environ["SSOT_RUNTIME_OUTPUT"]
    if environ.get("SSOT_RUNTIME_DISABLED", "").lower() in ("1", "true", "yes"):
        overrides["disabled"] = True
    return result.replace(**overrides) if overrides else result


def strict_requested(environ: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None) -> bool:
    """Whether the configuration file asks for ``strict = true``, read as leniently as possible.

    Used after a :class:`ConfigError` at start-up to decide between one line on stderr and failing.
    """
    environ = os.environ if environ is None else environ
    try:
        found = _find_file(environ, os.fspath(cwd) if cwd is not None else os.getcwd())
    except ConfigError:
        return False
    return bool(found and found[0].get("strict") is True)

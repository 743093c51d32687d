"""Configuration: the legacy map and the options, read from TOML.

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
from ..record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as _dt
    from typing import Any

MODES = ("redirect", "warn", "error", "observe")
WARN_CHOICES = ("once", "always")
_TOP_KEYS = frozenset(
    {"mode", "strict", "enforce_deadlines", "warn", "skip_modules", "redirects",
     # telemetry
     "exporters", "output", "export_interval", "export_timeout", "max_sites", "service_name",
     "use_global_providers",
     # migration plan
     "plan"}
)
EXPORTERS = ("local", "otlp", "console")
DEFAULT_OUTPUT = ".ssot-runtime"
_RULE_KEYS = frozenset({"to", "mode", "note", "remove_after"})


class Rule(Record):
    """One line of ``[redirects]``: a module, a package prefix (``a.*``) or a symbol (``a:X``)."""

    _fields = ("legacy", "target", "symbol", "target_symbol", "prefix", "mode", "note", "remove_after")
    __slots__ = _fields
    legacy: str
    target: str
    symbol: str | None
    target_symbol: str | None
    prefix: bool
    mode: str | None
    note: str
    remove_after: _dt.date | None

    def __init__(self, legacy: str, target: str, symbol: str | None = None, target_symbol: str | None = None,
                 prefix: bool = False, mode: str | None = None, note: str = "",
                 remove_after: _dt.date | None = None) -> None:
        self._init(legacy, target, symbol, target_symbol, prefix, mode, note, remove_after)

    @property
    def key(self) -> str:
        """The rule as written on the left-hand side."""
        if self.prefix:
            return f"{self.legacy}.*"
        return f"{self.legacy}:{self.symbol}" if self.symbol else self.legacy


class Config(Record):
    """The validated configuration; build it with :func:`load_config` or :func:`parse_config`."""

    _fields = ("rules", "mode", "strict", "enforce_deadlines", "warn", "skip_modules", "disabled", "source",
               "exporters", "output", "export_interval", "export_timeout", "max_sites", "service_name",
               "use_global_providers", "plan_priorities", "plan_verify")
    __slots__ = _fields
    rules: tuple[Rule, ...]
    mode: str
    strict: bool
    enforce_deadlines: bool
    warn: str
    skip_modules: tuple[str, ...]
    disabled: bool
    source: str
    exporters: tuple[str, ...]
    output: str
    export_interval: float
    export_timeout: float
    max_sites: int
    service_name: str | None
    use_global_providers: bool
    plan_priorities: tuple[tuple[str, tuple[str, ...]], ...]
    plan_verify: str | None

    def __init__(self, rules: tuple[Rule, ...] = (), mode: str = "redirect", strict: bool = False,
                 enforce_deadlines: bool = False, warn: str = "once", skip_modules: tuple[str, ...] = (),
                 disabled: bool = False, source: str = "<defaults>", exporters: tuple[str, ...] = ("local",),
                 output: str = DEFAULT_OUTPUT, export_interval: float = 10.0, export_timeout: float = 2.0,
                 max_sites: int = 100_000, service_name: str | None = None,
                 use_global_providers: bool = False,
                 plan_priorities: tuple[tuple[str, tuple[str, ...]], ...] = (),
                 plan_verify: str | None = None) -> None:
        self._init(rules, mode, strict, enforce_deadlines, warn, skip_modules, disabled, source, exporters, output,
                   export_interval, export_timeout, max_sites, service_name, use_global_providers, plan_priorities,
                   plan_verify)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed."""
        return Config(**{**self._asdict(), **changes})

    def rule_mode(self, rule: Rule, *, today: _dt.date | None = None) -> str:
        """The mode a rule runs in: its own, else the global one; deadlines may turn warn to error."""
        mode = rule.mode or self.mode
        if mode == "warn" and self.enforce_deadlines and rule.remove_after is not None:
            import datetime

            if rule.remove_after < (today or datetime.date.today()):
                return "error"
        return mode


def _is_module_name(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _split(side: str, source: str, key: str) -> tuple[str, str | None, bool]:
    """Split one side of a rule into (module, symbol, is_prefix), validating it."""
    module, sep, symbol = side.partition(":")
    prefix = module.endswith(".*")
    if prefix:
        module = module[:-2]
    if "*" in module or "*" in symbol:
        raise ConfigError(f"'*' is only allowed as a trailing '.*', not in {side!r}", source=source, key=key)
    if not _is_module_name(module):
        raise ConfigError(f"{module!r} is not a valid module name", source=source, key=key)
    if sep and not symbol.isidentifier():
        raise ConfigError(f"{symbol!r} is not a valid symbol name", source=source, key=key)
    if sep and prefix:
        raise ConfigError("a package prefix cannot name a symbol", source=source, key=key)
    return module, (symbol if sep else None), prefix


def _parse_date(value: Any, source: str, key: str) -> _dt.date:
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        raise ConfigError("remove_after must be a date (YYYY-MM-DD), not a date-time", source=source, key=key)
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"remove_after must be a date (YYYY-MM-DD), got {value!r}", source=source, key=key)


def _parse_mode(value: Any, source: str, key: str) -> str:
    if value not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {value!r}", source=source, key=key)
    return str(value)


def _parse_rule(left: str, value: Any, source: str) -> Rule:
    key = f"redirects.{left}"
    fields: dict[str, Any] = {}
    if isinstance(value, Mapping):
        unknown = set(value) - _RULE_KEYS
        if unknown:
            raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", source=source, key=key)
        if "to" not in value:
            raise ConfigError("a rule table needs 'to'", source=source, key=key)
        target = value["to"]
        if "mode" in value:
            fields["mode"] = _parse_mode(value["mode"], source, f"{key}.mode")
        if "note" in value:
            if not isinstance(value["note"], str):
                raise ConfigError("note must be a string", source=source, key=f"{key}.note")
            fields["note"] = value["note"]
        if "remove_after" in value:
            fields["remove_after"] = _parse_date(value["remove_after"], source, f"{key}.remove_after")
    else:
        target = value
    if not isinstance(target, str):
        raise ConfigError(f"the target must be a string, got {target!r}", source=source, key=key)
    legacy, symbol, prefix = _split(left, source, key)
    canonical, target_symbol, target_prefix = _split(target, source, key)
    if prefix != target_prefix:
        raise ConfigError("a package prefix 'a.*' must map to a prefix 'b.*'", source=source, key=key)
    if (symbol is None) != (target_symbol is None):
        raise ConfigError("a symbol rule 'a:X' must map to a symbol 'b:Y'", source=source, key=key)
    if (legacy, symbol) == (canonical, target_symbol):
        raise ConfigError("the legacy name equals its target", source=source, key=key)
    if prefix and (canonical == legacy or canonical.startswith(legacy + ".")):
        raise ConfigError("a package prefix cannot map into itself", source=source, key=key)
    return Rule(legacy, canonical, symbol, target_symbol, prefix, **fields)


def resolve(name: str, exact: Mapping[str, Rule], prefixes: Mapping[str, Rule]) -> tuple[str, Rule] | None:
    """The target of module ``name`` and the rule that maps it, or None if it is not legacy."""
    rule = exact.get(name)
    if rule is None:
        rule = prefixes.get(name)  # "a.b.*" covers "a.b" itself, before a shorter "a.*" does
    if rule is not None:
        return rule.target, rule
    head = name
    while "." in head:
        head = head.rpartition(".")[0]
        rule = prefixes.get(head)
        if rule is not None:
            return rule.target + name[len(head) :], rule
    return None


def _grows_forever(chain: list[str], depth: int) -> bool:
    """Whether the redirect chain pumps: it will grow without end and never repeat a name.

    ``resolve`` only looks at the first ``depth`` parts of a name longer than ``depth`` (the
    longest legacy name) and leaves the rest alone. So if an earlier name at least that long
    starts like the last one, and no name in between was shorter, the steps from it to the last
    name will repeat on the longer name, again and again.
    """
    last = chain[-1].split(".")
    if len(last) <= depth:
        return False
    shortest = len(last)
    for earlier in reversed(chain[:-1]):
        parts = earlier.split(".")
        if depth < len(parts) <= shortest and parts[:depth] == last[:depth]:
            return True
        shortest = min(shortest, len(parts))
    return False


def _check_cycles(rules: tuple[Rule, ...], source: str) -> None:
    exact = {r.legacy: r for r in rules if not r.prefix and r.symbol is None}
    prefixes = {r.legacy: r for r in rules if r.prefix}
    depth = max((name.count(".") + 1 for name in (*exact, *prefixes)), default=0)
    names = {r.legacy for r in rules} | {r.target for r in rules}
    # "x.*": a submodule of a prefix target no rule names ("*" is no part of any rule), since
    # "a.*"="b.*", "b.*"="a.*", "b"="c" loops on a.x and b.x but not on a or b.
    names |= {f"{r.target}.*" for r in rules if r.prefix}
    for start in sorted(names):
        chain = [start]
        step = resolve(start, exact, prefixes)
        while step is not None:
            name, rule = step
            if name in chain:
                loop = " -> ".join([*chain[chain.index(name) :], name])
                raise ConfigError(f"redirect cycle {loop}", source=source, key=f"redirects.{rule.key}")
            chain.append(name)
            if _grows_forever(chain, depth):
                loop = " -> ".join([*chain, "..."])
                raise ConfigError(f"redirect cycle without end {loop}", source=source, key=f"redirects.{rule.key}")
            step = resolve(name, exact, prefixes)


def _check_symbol_cycles(rules: tuple[Rule, ...], source: str) -> None:
    """``"m:A" = "m:B"`` with ``"m:B" = "m:A"``: a name that would forward to itself for ever."""
    symbols = {(r.legacy, r.symbol): (r.target, r.target_symbol or "") for r in rules if r.symbol}
    for start in symbols:
        chain = [start]
        step = symbols.get(start)
        while step is not None:
            if step in chain:
                loop = " -> ".join(f"{m}:{s}" for m, s in [*chain[chain.index(step):], step])
                raise ConfigError(f"redirect cycle {loop}", source=source, key=f"redirects.{start[0]}:{start[1]}")
            chain.append(step)
            step = symbols.get(step)


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

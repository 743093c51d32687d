"""The configuration's model: rules (module, prefix, symbol), the options, and how rules resolve.

Parsing a rule table lives here too (with the checks that refuse cycles and endless chains);
reading files and layering them is :mod:`.load`.
"""

from __future__ import annotations

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

    @property
    def target_key(self) -> str:
        """The rule as written on the right-hand side (``b.*`` for a prefix, ``b:Y`` for a symbol)."""
        if self.prefix:
            return f"{self.target}.*"
        return f"{self.target}:{self.target_symbol}" if self.target_symbol else self.target


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

"""The installed hook: the ``sys.meta_path`` finder, its loaders, and the state they share."""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock

from ..config import resolve
from ..errors import LegacyImportError, LegacyImportWarning
from . import lock_probe
from .binding import Binding, warn_at
from .bytecode import import_statement
from .frames import FrameClassifier
from .live import LiveBinding, attach_live, live_spec
from .proxy import LegacyModule, ObservedModule
from .recorder import Recorder

TYPE_CHECKING = False
if TYPE_CHECKING:  # this module loads at interpreter start-up: no typing, logging or threading
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import FrameType, ModuleType
    from typing import Any

    from ..config import Config, Rule
    from ..telemetry.providers import Telemetry
    from .recorder import ImportTiming, UseRecord
else:
    ModuleSpec = type(sys.__spec__)  # importlib.machinery.ModuleSpec, without importing it
    ModuleType = type(sys)

_getframe = sys._getframe


def _covers_our_warning(option: str) -> bool:
    """Whether a ``-W action:message:category:module:lineno`` option applies to LegacyImportWarning."""
    parts = [part.strip() for part in option.split(":")]
    category = parts[2] if len(parts) > 2 else ""
    return category.rpartition(".")[2] in ("", "Warning", "DeprecationWarning", "LegacyImportWarning")


def _asked_by_runpy() -> bool:
    """Whether runpy (``python -m``, ``runpy.run_module``) looks the module up to run it.

    That is ``importlib.util.find_spec`` called by runpy's ``_get_module_details``; the
    ``__import__`` of a parent package it also does is an ordinary import.
    """
    frame: FrameType | None = _getframe(2)
    below = ""
    for _ in range(6):
        if frame is None:
            return False
        # By module name: 3.11 runs `python -m` with a frozen runpy ("<frozen runpy>").
        module = frame.f_globals.get("__name__")
        if frame.f_code.co_name == "_get_module_details" and module == "runpy":
            return below == "importlib.util.find_spec"
        below = f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return False


def _runpy_spec(canonical: str) -> ModuleSpec | None:
    """The canonical module's spec, with a loader that answers runpy's ``get_code(legacy_name)``."""
    import copy
    import importlib.util

    import wrapt

    spec = importlib.util.find_spec(canonical)
    if spec is None or spec.loader is None:
        return spec

    class CanonicalCode(wrapt.ObjectProxy):  # type: ignore[type-arg]
        def get_code(self, fullname: str) -> Any:
            return self.__wrapped__.get_code(canonical)

    spec = copy.copy(spec)
    spec.loader = CanonicalCode(spec.loader)  # type: ignore[assignment]
    return spec


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


class _EmptyPackage:
    """Loader of the empty package standing in for a parent that is gone from disk."""

    @staticmethod
    def create_module(spec: ModuleSpec) -> None:
        return None

    @staticmethod
    def exec_module(module: ModuleType) -> None:
        return None


_EMPTY_PACKAGE = _EmptyPackage()


class LegacyPath(list):  # type: ignore[type-arg]
    """``__path__`` of a legacy package: the finder knows its children by this type alone."""


class RedirectFinder:
    """First in ``sys.meta_path``: one dict lookup for a name that is not legacy."""

    __slots__ = ("_known", "hook")

    def __init__(self, hook: Hook) -> None:
        self.hook = hook
        self._known = hook.known

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None,
                  _legacy_path: type = LegacyPath) -> ModuleSpec | None:
        # The whole cost for a name that is not legacy: a dict membership test and a type check.
        if fullname not in self._known and path.__class__ is not _legacy_path:
            return None
        return self.hook.find_spec(fullname, path, target)

    def __repr__(self) -> str:
        return f"<ssot_runtime.RedirectFinder {len(self.hook.config.rules)} rules>"


def _observe_loader(loader: Any, binding: Binding) -> Any:
    """Chain a module's own loader: it runs as before, then its module is observed."""
    import wrapt  # only observe mode needs it; keep it out of start-up

    class ObserveLoader(wrapt.ObjectProxy):  # type: ignore[type-arg]
        def create_module(self, spec: Any) -> Any:
            return self.__wrapped__.create_module(spec)

        def exec_module(self, module: ModuleType) -> None:
            start = time.perf_counter_ns()
            self.__wrapped__.exec_module(module)
            binding.load_ns = (start, time.perf_counter_ns())
            try:
                binding.observe(module)
                binding.hook.bindings[binding.legacy] = binding
                binding.watch_cached_imports()
            except Exception:
                binding.hook.internal_error()
                return
            binding.loaded()

    return ObserveLoader(loader)


class Hook:
    """An installed (or installable) redirect hook; :func:`ssot_runtime.install` returns one."""

    def __init__(self, config: Config, *, recorder: Recorder | None = None) -> None:
        self.config = config
        self.recorder = recorder or Recorder()
        self.classifier = FrameClassifier(config.skip_modules)
        self.exact: dict[str, Rule] = {}
        self.prefixes: dict[str, Rule] = {}
        self.symbol_rules: dict[str, dict[str, Rule]] = {}
        for rule in config.rules:
            if rule.symbol is not None:
                self.symbol_rules.setdefault(rule.legacy, {})[rule.symbol] = rule
            elif rule.prefix:
                self.prefixes[rule.legacy] = rule
                self.exact.setdefault(rule.legacy, rule)
            else:
                self.exact[rule.legacy] = rule
        # Symbol rules of modules that no rule redirects: live modules, of which only names moved.
        self.live_rules = {name: renames for name, renames in self.symbol_rules.items()
                           if resolve(name, self.exact, self.prefixes) is None}
        self.live_bindings: dict[str, LiveBinding] = {}
        # Parents of legacy names that may be gone from disk (`oldpkg` of "oldpkg.mod"): made
        # as empty legacy packages when no other finder has them. The finder looks both up in
        # one dict.
        self.parents = {
            parent for name in self.exact for parent in _ancestors(name)
            if parent not in self.exact and resolve(parent, self.exact, self.prefixes) is None
        }
        self.known: dict[str, object] = {**dict.fromkeys(self.parents, True), **self.exact,
                                         **dict.fromkeys(self.live_rules, True)}
        self._made_parents: list[str] = []
        self.bindings: dict[str, Binding] = {}
        self._resolved: dict[str, tuple[str, Rule, str] | None] = {}
        self.finder = RedirectFinder(self)
        self.installed = False
        self.telemetry: Telemetry | None = None
        self.started_ns = 0  # when install() put the finder in place (unix ns)
        self.recorder.on_first_use = self._first_use
        self._lock = allocate_lock()
        self._warned: set[object] = set()
        self._errors = 0
        self._filter: tuple[Any, ...] | None = None

    # -- finding -------------------------------------------------------------------------
    def resolve(self, name: str) -> tuple[str, Rule, str] | None:
        """The final canonical name of a legacy module (following chains), its rule and mode."""
        try:
            return self._resolved[name]
        except KeyError:
            found = self._resolve(name)
            result = None if found is None else (*found, self.config.rule_mode(found[1]))
            self._resolved[name] = result
            return result

    def _resolve(self, name: str) -> tuple[str, Rule] | None:
        first = resolve(name, self.exact, self.prefixes)
        if first is None:
            return None
        target, rule = first
        for _ in range(10_000):  # parse_config refuses cycles and endless chains: this ends
            step = resolve(target, self.exact, self.prefixes)
            if step is None:
                break
            target = step[0]
        return target, rule

    def final_symbol(self, module: str, symbol: str) -> tuple[str, str]:
        """Where ``module:symbol`` ends up, following module redirects and symbol rules."""
        for _ in range(1000):  # parse_config refuses cycles: this ends
            resolved = self.resolve(module)
            if resolved is not None:
                module = resolved[0]
            rule = self.symbol_rules.get(module, {}).get(symbol)
            if rule is None or rule.target_symbol is None:
                break
            module, symbol = rule.target, rule.target_symbol
        return module, symbol

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None) -> ModuleSpec | None:
        if fullname in self.live_rules:
            return live_spec(self, fullname, path, target)
        if fullname in self.parents:
            return self._parent_spec(fullname, path, target)
        resolved = self.resolve(fullname)
        if resolved is None:
            return None
        canonical, rule, mode = resolved
        binding = Binding(self, fullname, canonical, rule, mode)
        if mode == "error":
            self._refuse(binding)
        if mode == "observe":
            return self._observe_spec(binding, path, target)
        if "runpy" in sys.modules and _asked_by_runpy():
            # `python -m legacy.mod` runs the canonical module as __main__: hand runpy its spec,
            # so __file__, __package__ and relative imports are the canonical module's own.
            binding.record(None, _getframe(1))
            return _runpy_spec(canonical)
        spec = ModuleSpec(fullname, binding, origin=f"redirect:{canonical}")  # type: ignore[arg-type]
        existing = sys.modules.get(canonical)
        if existing is not None and "__path__" in vars(existing):
            spec.submodule_search_locations = self.legacy_path()
        return spec

    def _others_spec(self, fullname: str, path: Sequence[str] | None,
                     target: ModuleType | None) -> ModuleSpec | None:
        """The spec the other finders give, as if we were not there."""
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self.finder or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec  # type: ignore[no-any-return]
        return None

    def _observe_spec(self, binding: Binding, path: Sequence[str] | None,
                      target: ModuleType | None) -> ModuleSpec | None:
        spec = self._others_spec(binding.legacy, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _observe_loader(spec.loader, binding)
        return spec

    def _parent_spec(self, fullname: str, path: Sequence[str] | None,
                     target: ModuleType | None) -> ModuleSpec | None:
        """A parent of legacy names: the real package if there is one, else an empty one of ours."""
        spec = self._others_spec(fullname, path, target)
        if spec is None:
            spec = ModuleSpec(fullname, _EMPTY_PACKAGE, is_package=True)  # type: ignore[arg-type]
            spec.submodule_search_locations = self.legacy_path()
            self._made_parents.append(fullname)
        return spec

    def _refuse(self, binding: Binding) -> None:
        user = self.classifier.caller(_getframe(2))
        statement = import_statement(user) if user is not None else None
        symbols: tuple[str | None, ...] = (None,)
        if statement is not None and statement[0] == binding.legacy and statement[1]:
            symbols = statement[1]
        for symbol in symbols:
            binding.use(symbol, user)()
        wanted = binding.canonical_name
        if symbols != (None,):
            names = [binding.renames[s].target_symbol if s in binding.renames else s for s in symbols]
            wanted = f"from {wanted} import {', '.join(str(n) for n in names)}"
        note = f" ({binding.rule.note})" if binding.rule.note else ""
        where = f" [imported at {user.f_code.co_filename}:{user.f_lineno}]" if user else ""
        message = f"{binding.legacy!r} was removed: use {wanted!r} instead{note}{where}"
        now = time.time_ns()
        self.recorder.record_import(binding.legacy, binding.canonical_name, "error",
                                    *self.recorder.where(user), now, now, message)
        raise LegacyImportError(message, name=binding.legacy)

    @staticmethod
    def legacy_path(entries: Sequence[str] = ()) -> LegacyPath:
        return LegacyPath(entries)

    # -- telemetry -----------------------------------------------------------------------
    def _first_use(self, *, at_exit: bool = False) -> None:
        """The first legacy use in this process: now, and not before, telemetry starts."""
        if not self.installed:
            return
        from ..log import log

        log("info", "hook installed; " + ("no legacy use, evidence at exit" if at_exit else
                                          "first legacy use, starting telemetry"),
            config=self.config.source, rules=len(self.config.rules), mode=self.config.mode)
        try:
            from ..telemetry.providers import Telemetry

            if self.telemetry is None:
                self.telemetry = Telemetry(self)
            self.telemetry.start(at_exit=at_exit)
        except Exception:
            self.internal_error()

    def flush(self) -> None:
        """Export what was recorded so far, now (telemetry exports periodically and at exit anyway)."""
        if self.telemetry is not None:
            self.telemetry.flush()

    # -- shared services for bindings ----------------------------------------------------
    def warn(self, message: str, frame: FrameType, *, always: bool) -> None:
        """Issue our warning; a failure to issue it never costs the use its count."""
        try:
            warn_at(message, frame, always=always)
        except LegacyImportWarning:
            raise  # the user's filters made it an error (-W error): intended
        except Exception:
            self.internal_error()

    def first_warning(self, key: object) -> bool:
        with self._lock:
            if key in self._warned:
                return False
            self._warned.add(key)
            return True

    def internal_error(self) -> None:
        """Swallow an error of ours: the application must go on. Logged once, then counted."""
        self._errors += 1
        if self._errors == 1:
            import logging

            logging.getLogger("ssot_runtime").warning(
                "ssot-runtime: internal error while recording (further ones are counted)", exc_info=True)
            from ..log import notice

            error = sys.exc_info()[1]
            notice(f"internal error while recording, uses may be lost: {type(error).__name__}: {error}")

    @property
    def internal_errors(self) -> int:
        return self._errors

    # -- lifecycle -----------------------------------------------------------------------
    def install(self) -> Hook:
        """Put the finder first in ``sys.meta_path`` and make our warnings visible by default.

        Installs even a configuration marked disabled: :func:`ssot_runtime.install` is where
        ``SSOT_RUNTIME_DISABLED`` is honoured.
        """
        if self.installed:
            return self
        sys.meta_path.insert(0, self.finder)
        attach_live(self)
        self._show_warnings()
        import atexit

        # Now, not at the first use: callbacks the application registers later run before
        # ours (atexit is last in, first out), so a use inside one of them is still flushed.
        atexit.register(self._at_exit)
        self.started_ns = time.time_ns()
        self.installed = True
        return self

    def leave_evidence(self) -> None:
        """With no use so far, start telemetry now (without threads), only so that this process
        leaves the evidence that it ran under the hook; its shutdown writes it."""
        if self.telemetry is None:
            self._first_use(at_exit=True)

    def _at_exit(self) -> None:
        self.leave_evidence()
        if self.telemetry is not None:
            self.telemetry.shutdown()

    def _show_warnings(self) -> None:
        # DeprecationWarning is ignored by default outside __main__; ours is shown unless the
        # user decided otherwise: a -W / PYTHONWARNINGS option that covers our category leaves
        # the filters alone. Otherwise insert just before the first filter that would ignore it
        # (the interpreter's default `ignore::DeprecationWarning`).
        if any(_covers_our_warning(option) for option in sys.warnoptions):
            return
        entry = ("default", None, LegacyImportWarning, None, 0)
        import warnings

        filters: list[Any] = warnings.filters  # type: ignore[assignment]
        for index, (action, message, category, module, _lineno) in enumerate(filters):
            if issubclass(LegacyImportWarning, category) and message is None and module is None:
                if action == "ignore":
                    filters.insert(index, entry)
                    self._filter = entry
                    mutated = getattr(warnings, "_filters_mutated", None)
                    if mutated is not None:
                        mutated()
                break

    def uninstall(self) -> None:
        """Remove the finder and every legacy module it made; observed modules get their class back."""
        if not self.installed:
            return
        self.installed = False
        import atexit

        atexit.unregister(self._at_exit)
        if self.telemetry is not None:
            self.telemetry.shutdown()
        while self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        for live in self.live_bindings.values():
            live.detach()
        self.live_bindings.clear()
        for name in self._made_parents:
            module = sys.modules.get(name)
            if module is not None and isinstance(getattr(module, "__path__", None), LegacyPath):
                del sys.modules[name]
        for name, binding in list(self.bindings.items()):
            lock_probe.uninstall(name, binding.probe)
            module = binding.module
            if isinstance(module, ObservedModule):
                module.__class__ = ModuleType  # type: ignore[assignment]
                if isinstance(getattr(module, "__path__", None), LegacyPath):
                    module.__path__ = list(module.__path__)
                continue
            if sys.modules.get(name) is module:
                del sys.modules[name]
            parent_name, _, leaf = name.rpartition(".")
            parent = sys.modules.get(parent_name)
            if parent is not None and not isinstance(parent, LegacyModule) and \
                    parent.__dict__.get(leaf) is module:
                delattr(parent, leaf)
        if self._filter is not None:
            import warnings

            filters: list[Any] = warnings.filters  # type: ignore[assignment]
            if self._filter in filters:  # the user may have reset the filters
                filters.remove(self._filter)
            self._filter = None
            mutated = getattr(warnings, "_filters_mutated", None)
            if mutated is not None:
                mutated()

    def snapshot(self) -> tuple[UseRecord, ...]:
        """Every use recorded so far (see :class:`ssot_runtime.UseRecord`)."""
        return self.recorder.snapshot()

    def import_timings(self) -> tuple[ImportTiming, ...]:
        """Each first import of a legacy module, with how long loading took."""
        return self.recorder.import_timings()

    def __enter__(self) -> Hook:
        return self if self.config.disabled else self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

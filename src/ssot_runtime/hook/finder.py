"""Finding legacy names: the ``sys.meta_path`` finder, the specs it gives, and the loaders it chains.

:class:`RedirectFinder` is the only object in ``sys.meta_path``; everything past its one dict
lookup runs once per legacy module (the :class:`Finding` half of the hook).
"""

from __future__ import annotations

import sys
import time

from ..config import resolve
from ..errors import LegacyImportError
from .binding import Binding
from .bytecode import import_statement
from .importlib_bootstrap_frames import exec_observed
from .live import live_spec

TYPE_CHECKING = False
if TYPE_CHECKING:  # this module loads at interpreter start-up: no typing, logging or threading
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import FrameType, ModuleType
    from typing import Any

    from ..config import Config, Rule
    from .frames import FrameClassifier
    from .recorder import Recorder
else:
    ModuleSpec = type(sys.__spec__)  # importlib.machinery.ModuleSpec, without importing it

_getframe = sys._getframe
_MODULE = type(sys)


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

    def __init__(self, hook: Finding) -> None:
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
        # Defined there: a frame the warnings module skips, so that the module's own
        # warnings.warn(..., stacklevel=2) points at the importing line.
        exec_module = exec_observed

        def create_module(self, spec: Any) -> Any:
            return self.__wrapped__.create_module(spec)

        def observed(self, module: ModuleType, start: int) -> Binding | None:
            """After the module's own code ran: observe it; the binding, or None after an internal error."""
            binding.load_ns = (start, time.perf_counter_ns())
            try:
                replacement = sys.modules.get(binding.legacy)
                if replacement is not module and isinstance(replacement, _MODULE):
                    # sys.modules[__name__] = canon: the replacement is what importers get
                    binding.adopt(replacement, module.__dict__.get("__spec__"))
                else:
                    binding.observe(module)
                    if replacement is not module and replacement is not None:
                        _not_observable(binding, replacement)
                binding.hook.bindings[binding.legacy] = binding
                binding.watch_cached_imports()
            except Exception:
                binding.hook.internal_error()
                return None
            return binding

    return ObserveLoader(loader)


def _not_observable(binding: Binding, replacement: object) -> None:
    """A shim put an object that is no module in its place: nothing of ours can stand in for it.

    Its first import counts as a use of the module (a from-import too, whose names are read on
    that object), so that the path never looks unused; later uses are not seen, and stderr says so.
    """
    from ..log import notice

    user = binding.hook.classifier.caller(_getframe(2))
    statement = import_statement(user) if user is not None else None
    if user is not None and statement is not None and statement[1] is not None:
        binding.use(None, user)()  # `import legacy` is counted by the first import itself
    notice(f"{binding.legacy!r} put a {type(replacement).__name__} in its place in sys.modules: only its "
           "first import is counted, later uses of it are lost")


class Finding:
    """The hook's half that finds: rules resolved (chains followed), specs made per kind of name."""

    __slots__ = ()
    # The hook's state (set in ``BaseHook.__init__``).
    config: Config
    recorder: Recorder
    classifier: FrameClassifier
    exact: dict[str, Rule]
    prefixes: dict[str, Rule]
    symbol_rules: dict[str, dict[str, Rule]]
    live_rules: dict[str, dict[str, Rule]]
    parents: set[str]
    finder: RedirectFinder
    known: dict[str, object]
    _resolved: dict[str, tuple[str, Rule, str] | None]
    _made_parents: list[str]
    bindings: dict[str, Binding]
    live_bindings: dict[str, Any]

    if TYPE_CHECKING:  # the hook's services, which make it the Host of its bindings
        def internal_error(self) -> None: ...
        def warn(self, message: str, frame: FrameType, *, always: bool) -> None: ...
        def first_warning(self, key: object) -> bool: ...

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

"""The installed hook: the ``sys.meta_path`` finder, its loaders, and the state they share."""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock

from ..config import resolve
from ..errors import LegacyImportWarning
from . import lock_probe
from .callers import warn_at
from .finder import Finding, LegacyPath, RedirectFinder, _ancestors
from .frames import FrameClassifier
from .live import LiveBinding, attach_live
from .proxy import LegacyModule, ObservedModule
from .recorder import Recorder

TYPE_CHECKING = False
if TYPE_CHECKING:  # this module loads at interpreter start-up: no typing, logging or threading
    from importlib.machinery import ModuleSpec
    from types import FrameType, ModuleType
    from typing import Any, TypeVar

    from ..config import Config, Rule
    from .binding import Binding
    from .ports import Exporter

    H = TypeVar("H", bound="BaseHook")
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


class BaseHook(Finding):
    """The redirect hook without export: what it records stays in the process.

    :class:`ssot_runtime.Hook` (what :func:`ssot_runtime.install` returns) adds telemetry by
    overriding :meth:`new_exporter`.
    """

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
        self.telemetry: Exporter | None = None
        self.started_ns = 0  # when install() put the finder in place (unix ns)
        self.loaded_twice: list[Any] = []  # files loaded under two module names, noted at exit (duplicates)
        self.recorder.on_first_use = self._first_use
        self._lock = allocate_lock()
        self._warned: set[object] = set()
        self._errors = 0
        self._filter: tuple[Any, ...] | None = None

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
            if self.telemetry is None:
                self.telemetry = self.new_exporter()
            if self.telemetry is not None:
                self.telemetry.start(at_exit=at_exit)
        except Exception:
            self.internal_error()

    def new_exporter(self) -> Exporter | None:
        """What takes the records out of the process, made at the first use (none here)."""
        return None

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
    def install(self: H) -> H:
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

    def note_at_exit(self) -> None:
        """The process is ending: note the files loaded under two module names (one walk of sys.modules)."""
        from .duplicates import loaded_twice

        try:
            self.loaded_twice = loaded_twice()
        except Exception:  # a module object whose dict misbehaves: no note, and no failure at exit
            self.loaded_twice = []

    def _at_exit(self) -> None:
        self.note_at_exit()
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
            if module is not None and isinstance(getattr(module, "__dict__", {}).get("__path__"), LegacyPath):
                del sys.modules[name]
        for name, binding in list(self.bindings.items()):
            lock_probe.uninstall(name, binding.probe)
            module = binding.module
            if isinstance(module, ObservedModule):
                module.__class__ = ModuleType  # type: ignore[assignment]
                path = module.__dict__.get("__path__")  # never through the shim's own __getattr__
                if isinstance(path, LegacyPath):
                    module.__path__ = list(path)
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

    def __enter__(self: H) -> H:
        return self if self.config.disabled else self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

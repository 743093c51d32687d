"""One legacy module's state and its loader: what it maps to, its module object, its writes.

How it serves names is in :mod:`.serving`, how it records uses in :mod:`.uses`, the hot paths in
:mod:`.proxy`; everything here runs once per module, and never lets an internal error reach the
application.
"""

from __future__ import annotations

import importlib
import sys
import time

from . import lock_probe, proxy
from .frames import USER
from .serving import NameServing
from .uses import UseRecording

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType, ModuleType
    from typing import Any

    from ..config import Rule
    from .ports import Host

    Action = Callable[[], object]

_getframe = sys._getframe
# 3.12+: a frame's module name without making its frame object (None before).
_module_of: Callable[[int], str | None] | None = getattr(sys, "_getframemodulename", None)
_FROZEN = "_frozen_importlib"  # the module name of importlib's bootstrap frames
_NO_RENAMES: dict[str, Rule] = {}


class Binding(NameServing, UseRecording):
    """A legacy module: what it maps to, how it is recorded, its module object; also its loader."""

    __slots__ = ("canonical_name", "children", "hook", "legacy", "load_ns", "mode", "module", "namespace",
                 "probe", "renames", "rule", "target")

    def __init__(self, hook: Host, legacy: str, canonical_name: str, rule: Rule, mode: str) -> None:
        self.hook = hook
        self.legacy = legacy
        self.canonical_name = canonical_name
        self.rule = rule
        self.mode = mode
        self.renames: dict[str, Rule] = hook.symbol_rules.get(legacy, _NO_RENAMES)
        self.module: proxy.LegacyModule | None = None
        self.target: ModuleType | None = None  # the canonical module (redirect and warn)
        self.namespace: dict[str, Any] | None = None  # the module's own dict (observe)
        self.children: dict[str, ModuleType] = {}
        self.load_ns = (0, 0)
        self.probe: lock_probe.LockProbe | None = None

    # -- the loader protocol (a binding is its module's loader) ---------------------------
    def exec_module(self, module: ModuleType) -> None:
        if self.module is not module:  # importlib.reload(legacy): reload the canonical module
            previous = proxy.binding_of(module)
            if previous is not None and previous.target is not None:
                importlib.reload(previous.target)
            return
        # Set only now: _init_module_attrs probes __path__, and the hook would make that a call.
        module.__dict__["__getattr__"] = self.module_getattr
        self.hook.bindings[self.legacy] = self
        if lock_probe.NEEDED:  # 3.10 only: two calls less on a first import elsewhere
            self.watch_cached_imports()
        self.loaded()

    def watch_cached_imports(self) -> None:
        """3.10: see ``import_module`` calls that find the module loaded (see ``_lock_probe``)."""
        self.probe = lock_probe.install(self.legacy, self.module, self._cached_import)

    def _cached_import(self, find_and_load: FrameType) -> None:
        self.spec_read(find_and_load, None)  # what 3.11's read of __spec__ there does

    def loaded(self) -> None:
        """Called by a loader's ``exec_module`` once the module is ready: record the import.

        Frame objects are made on demand and cost more than anything else here, so the usual
        stack is read at known depths: loaded < exec_module < _load_unlocked <
        _find_and_load_unlocked < _find_and_load < the importer.
        """
        if _module_of is not None:  # 3.12+: the usual stacks read without making frame objects
            depth = self._importer_depth()
            if depth:
                user = _getframe(depth)
                if self.hook.classifier.kind(user) == USER:
                    self.first_import(user, user_known=True)
                    return
        try:
            anchor: FrameType | None = _getframe(4)
        except ValueError:
            anchor = None
        if anchor is None or anchor.f_code.co_name != "_find_and_load":
            self.first_import(_getframe(1))  # an unusual stack: walk it all
            return
        up = anchor.f_back
        count = True
        if up is not None and up.f_code.co_name == "_gcd_import":
            up2 = up.f_back
            if up2 is not None and up2.f_code.co_name == "_call_with_frames_removed":
                up3 = up2.f_back
                # The parent of a module being imported: an implicit import, not a use.
                count = up3 is None or up3.f_code.co_name != "_find_and_load_unlocked"
        self.first_import(up, count=count)

    def _importer_depth(self) -> int:
        """3.12+: how deep the importer's frame is below :meth:`loaded`'s, by module names alone; 0
        for a stack that is not one of the two usual ones (the frames are then read as before).

        ``import legacy`` has the importer right above ``_find_and_load`` (depth 5);
        ``importlib.import_module`` has ``_gcd_import`` and ``import_module`` between (depth 7).
        Anything else (the implicit import of a parent, a user frame that is skipped or
        machinery) goes the long way, which tells them apart by function names.
        """
        module_of = _module_of
        assert module_of is not None
        if not (module_of(3) == _FROZEN and module_of(4) == _FROZEN and module_of(5) == _FROZEN):
            return 0  # +1: this method's own frame
        above = module_of(6)
        if above == _FROZEN:
            if module_of(7) != "importlib":
                return 0
            above, depth = module_of(8), 7
        else:
            depth = 5
        if above is None or self.hook.classifier.kind_of_module(above) != USER:
            return 0
        return depth

    def is_package(self, fullname: str) -> bool:
        return self.target is not None and "__path__" in vars(self.target)

    def get_code(self, fullname: str) -> CodeType | None:
        """``python -m legacy.module`` runs the canonical module's code (and counts one use)."""
        import importlib.util

        spec = importlib.util.find_spec(self.canonical_name)
        loader = getattr(spec, "loader", None)
        if not hasattr(loader, "get_code"):
            raise ImportError(f"ssot-runtime: cannot run {self.canonical_name!r} for {fullname!r}",
                              name=fullname)
        self.record(None, _getframe(1))  # past runpy: the caller of run_module, or none for -m
        return loader.get_code(self.canonical_name)  # type: ignore[union-attr,no-any-return]

    # -- building the module -------------------------------------------------------------
    def create_module(self, spec: Any) -> ModuleType:
        """Import the canonical module and make the legacy module object that forwards to it."""
        start = time.perf_counter_ns()
        target = sys.modules.get(self.canonical_name)
        if target is None or getattr(target.__spec__, "_initializing", False):
            try:
                target = importlib.import_module(self.canonical_name)
            except ImportError as exc:
                raise ImportError(
                    f"ssot-runtime: {self.legacy!r} is redirected to {self.canonical_name!r}, "
                    f"which cannot be imported: {exc}", name=self.legacy) from exc
            self.load_ns = (start, time.perf_counter_ns())
        else:
            self.load_ns = (start, start)  # already loaded: nothing to time
        module = proxy.LegacyModule(self.legacy, getattr(target, "__doc__", None))
        ns = module.__dict__
        # Filled here so that _init_module_attrs finds them set and skips its setattr calls.
        ns["__ssot_binding__"] = self
        ns["__spec__"] = spec
        ns["__loader__"] = self
        if "__path__" in vars(target):
            spec.submodule_search_locations = ns["__path__"] = self.hook.legacy_path()
            ns["__package__"] = self.legacy
        else:
            ns["__package__"] = self.legacy.rpartition(".")[0]
        self.module, self.target = module, target
        return module

    def observe(self, module: ModuleType) -> None:
        """Turn a module that ran its own code into a recorded one (its class changes, nothing else)."""
        namespace = module.__dict__
        self.module, self.namespace = module, namespace  # type: ignore[assignment]
        namespace["__ssot_binding__"] = self
        original = namespace.get("__getattr__")
        if callable(original):
            namespace["__getattr__"] = self._wrap_shim_getattr(original)
        cls = proxy.new_module_class(self, proxy.ObservedModule, self.legacy)
        for name in list(namespace):
            if not (name[:2] == "__" and name[-2:] == "__"):
                setattr(cls, name, self._property(name))
        module.__class__ = cls
        path = namespace.get("__path__")  # from the dict: a shim's own __getattr__ is never asked for dunders
        if isinstance(path, list):
            module.__path__ = self.hook.legacy_path(path)

    def adopt(self, replacement: ModuleType, spec: Any) -> None:
        """A shim that put another module in its place (``sys.modules[__name__] = canon``): that
        module is the canonical one. The legacy name gets a legacy module object forwarding to it,
        recorded as a redirect is; the objects are the replacement's own."""
        module = proxy.LegacyModule(self.legacy, vars(replacement).get("__doc__"))
        ns = module.__dict__
        ns["__ssot_binding__"] = self
        ns["__spec__"] = spec
        ns["__loader__"] = spec.loader
        path = vars(replacement).get("__path__")
        if path is not None:  # children load from where they did before, as legacy names (observed)
            ns["__path__"] = self.hook.legacy_path(path)
            ns["__package__"] = self.legacy
        else:
            ns["__package__"] = self.legacy.rpartition(".")[0]
        ns["__getattr__"] = self.module_getattr
        self.module, self.target = module, replacement
        sys.modules[self.legacy] = module  # what the import system returns once exec_module is done


    # -- writes and introspection --------------------------------------------------------
    def attach_submodule(self, name: str, child: ModuleType) -> None:
        self.children[name] = child
        cls = type(self.module)
        if cls is not proxy.LegacyModule:
            setattr(cls, name, proxy.submodule_property(self, name, child))

    def set(self, name: str, value: Any) -> None:
        if self.namespace is not None:
            self.namespace[name] = value
            if name not in vars(type(self.module)):
                setattr(type(self.module), name, self._property(name))
            return
        rule = self.renames.get(name)
        if rule is not None:
            setattr(importlib.import_module(rule.target), rule.target_symbol or name, value)
        else:
            setattr(self.target, name, value)

    def delete(self, name: str) -> None:
        if self.namespace is not None:
            try:
                del self.namespace[name]
            except KeyError:
                raise AttributeError(name) from None
            return
        rule = self.renames.get(name)
        if rule is not None:
            delattr(importlib.import_module(rule.target), rule.target_symbol or name)
        else:
            delattr(self.target, name)

    def dir(self) -> list[str]:
        source = self.namespace if self.namespace is not None else dir(self.target)
        return sorted({*source, *self.renames})

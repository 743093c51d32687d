"""One legacy module's state: its canonical module, its renames, and the slow paths of recording.

The hot paths live in :mod:`ssot_runtime.hook.proxy`; everything here runs once per site, per name
or per module, and never lets an internal error reach the application.
"""

from __future__ import annotations

import importlib
import sys
import time

from ..errors import LegacyImportError, LegacyImportWarning
from . import calls as _calls
from . import lock_probe, proxy
from .bytecode import from_import_offset, import_statement, is_attribute_read
from .frames import MACHINE, SKIP
from .recorder import FrameInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType, ModuleType
    from typing import Any

    from ..config import Rule
    from .hook import Hook

    Action = Callable[[], object]

_getframe = sys._getframe
_NO_RENAMES: dict[str, Rule] = {}
# What we raise on purpose (error mode, warnings turned into errors by the user's filters) goes
# through the guards that swallow our own internal errors.
_INTENDED = (LegacyImportError, LegacyImportWarning)
# Dunders that describe the legacy module itself; any other dunder (``__version__``) forwards.
_OWN_DUNDERS = frozenset({"__path__", "__file__", "__cached__", "__loader__", "__spec__", "__package__",
                          "__name__", "__builtins__", "__getattr__", "__dict__", "__class__"})


class Binding:
    """A legacy module: what it maps to, how it is recorded, its module object; also its loader."""

    __slots__ = ("canonical_name", "children", "hook", "legacy", "load_ns", "mode", "module", "namespace",
                 "probe", "renames", "rule", "target")

    def __init__(self, hook: Hook, legacy: str, canonical_name: str, rule: Rule, mode: str) -> None:
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

    def is_package(self, fullname: str) -> bool:
        return self.target is not None and hasattr(self.target, "__path__")

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
        if isinstance(getattr(module, "__path__", None), list):
            module.__path__ = self.hook.legacy_path(module.__path__)

    def upgrade(self) -> type[proxy.LegacyModule]:
        """Give the module a class of its own with a property for every name it has now.

        When the canonical module has finished initialising, the PEP 562 hook goes: a miss is
        then a plain AttributeError, as on the canonical module (``from x import y`` probes
        ``__path__`` each time, and the hook would make that a Python call).
        """
        module = self.module
        assert module is not None and self.target is not None
        cls = type(module)
        if cls is not proxy.LegacyModule:
            return cls
        cls = proxy.new_module_class(self, proxy.LegacyModule, self.legacy)
        target_ns = vars(self.target)
        for name in [*target_ns, *self.renames]:
            if name[:2] == "__" and name[-2:] == "__":
                if name not in _OWN_DUNDERS and name != "__doc__":
                    setattr(cls, name, proxy.dunder_property(self.target, name))
                continue
            prop = self._property(name)
            if prop is not None:
                setattr(cls, name, prop)
        if "__all__" not in target_ns:
            cls.__all__ = property(lambda _self: self.public_names())  # type: ignore[attr-defined]
        for name, child in self.children.items():
            setattr(cls, name, proxy.submodule_property(self, name, child))
        spec = getattr(self.target, "__spec__", None)
        if not getattr(spec, "_initializing", False):
            module.__dict__.pop("__getattr__", None)
        module.__class__ = cls
        return cls

    def _property(self, name: str) -> property | None:
        """The property for ``name``, or None where neither the canonical module nor a rule has it."""
        rule = self.renames.get(name)
        if rule is not None and self.hook.config.rule_mode(rule) == "error":
            return proxy.refused_property(self, name)
        if self.namespace is not None:
            return proxy.observed_property(self, name, self.namespace)
        if rule is not None:
            try:
                holder: object = importlib.import_module(rule.target)
            except ImportError as exc:
                # An ImportError, not an AttributeError: `from legacy import Name` would replace
                # the latter with its own "cannot import name" and lose why.
                raise ImportError(f"ssot-runtime: {self.legacy}:{name} is redirected to "
                                  f"{rule.target}:{rule.target_symbol}, which cannot be imported: {exc}",
                                  name=rule.target) from exc
            return proxy.forward_property(self, name, holder, rule.target_symbol or name)
        if self.target is None or not hasattr(self.target, name):
            return None
        return proxy.forward_property(self, name, self.target, name)

    def module_getattr(self, name: str) -> Any:
        """The PEP 562 ``__getattr__`` of a legacy module that has no class of its own yet."""
        binding = self
        if name[:2] == "__" and name[-2:] == "__":
            if name == "__all__":
                return binding.public_names()
            if name not in _OWN_DUNDERS and binding.target is not None:
                return getattr(binding.target, name)
            raise AttributeError(f"module {binding.legacy!r} has no attribute {name!r}")
        reader = _getframe(1)
        if binding.hook.classifier.kind(reader) == MACHINE:
            return binding.peek(name)  # importlib probing a from-list: not a use
        cls = binding.upgrade()
        child = binding.children.get(name)
        if child is not None:
            binding.submodule_read(child, reader, None)
            return child
        if name not in vars(cls):
            prop = binding._property(name)
            if prop is None:
                raise AttributeError(f"module {binding.legacy!r} (redirected to "
                                     f"{binding.canonical_name!r}) has no attribute {name!r}")
            setattr(cls, name, prop)
        return getattr(binding.module, name)


    def _wrap_shim_getattr(self, original: Callable[[str], Any]) -> Callable[[str], Any]:
        """Record the names a PEP 562 shim serves from its own ``__getattr__``."""
        binding = self

        def __getattr__(name: str) -> Any:
            value = original(name)
            if not (name[:2] == "__" and name[-2:] == "__"):
                binding.record(name, _getframe(1))
            return value

        __getattr__.__wrapped__ = original  # type: ignore[attr-defined]
        return __getattr__

    def peek(self, name: str) -> Any:
        """The value of ``name`` without recording a use."""
        if name in self.children:
            return self.children[name]
        rule = self.renames.get(name)
        if rule is not None and self.hook.config.rule_mode(rule) == "error":
            return None
        if self.namespace is not None:
            return self.namespace[name]
        if rule is not None:
            return getattr(importlib.import_module(rule.target), rule.target_symbol or name)
        return getattr(self.target, name)

    def public_names(self) -> list[str]:
        source = self.target if self.target is not None else self.module
        names = getattr(source, "__all__", None)
        if names is None:
            names = [n for n in vars(source) if not n.startswith("_")]
        return [*names, *(n for n in self.renames if n not in names)]

    # -- recording: the slow paths -------------------------------------------------------
    def new_site(self, table: proxy.SiteTable, attr: str, frame: FrameType) -> None:
        """First read of ``attr`` at this frame's position: decide what reads there do, count this one."""
        try:
            kind = self.hook.classifier.kind(frame)
            if kind == MACHINE:
                proxy.remember(table, frame, proxy._noop)
                return
            if kind == SKIP:
                if _patch_restore(frame):  # mock.patch's exit checking what it restored: not a use
                    proxy.remember(table, frame, proxy._noop)
                    return
                proxy.remember(table, frame, self._walker(attr))
                self.use(attr, self.hook.classifier.caller(frame))()
                return
            action = self.use(attr, frame)
            proxy.remember(table, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def record(self, attr: str | None, frame: FrameType | None) -> None:
        """One use of ``attr`` by the user at or above ``frame`` (no caching: rare paths)."""
        try:
            self.use(attr, self.hook.classifier.caller(frame))()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def _walker(self, attr: str) -> Action:
        caller = self.hook.classifier.caller
        use = self.use

        def walk() -> None:
            use(attr, caller(_getframe(2)))()

        return walk

    def use(self, attr: str | None, frame: FrameType | None, seen: float | None = None) -> Action:
        """The action that counts one use of ``attr`` at the user frame ``frame``."""
        rule = self.renames.get(attr) if attr is not None else None
        if rule is not None:
            canonical, canonical_symbol, mode = self.symbol_target(rule)
        else:
            canonical, canonical_symbol, mode = self.canonical_name, attr, self.mode
        recorder = self.hook.recorder
        site = recorder.site(self.legacy, attr, canonical, canonical_symbol, mode, recorder.where(frame), seen)
        if mode != "warn" or frame is None:
            return site.hit
        note = (rule.note if rule is not None else "") or self.rule.note
        message = self._message(attr, canonical, canonical_symbol, note)
        if self.hook.config.warn == "always":
            warn = self.hook.warn

            def hit_and_warn() -> None:
                site.hit()
                warn(message, frame, always=True)

            return hit_and_warn
        if self.hook.first_warning(site.key):
            try:
                self.hook.warn(message, frame, always=False)
            except LegacyImportWarning:  # -W error: raised at the user's line, and the use still counts
                site.hit()
                raise
        return site.hit

    def symbol_target(self, rule: Rule) -> tuple[str, str | None, str]:
        """Where a renamed symbol goes and the mode its uses run in (the rule's own, else the module's)."""
        return rule.target, rule.target_symbol, self.hook.config.rule_mode(rule) if rule.mode else self.mode

    def _message(self, attr: str | None, canonical: str, canonical_symbol: str | None, note: str) -> str:
        old = f"{self.legacy}.{attr}" if attr else self.legacy
        new = f"{canonical}.{canonical_symbol}" if canonical_symbol else canonical
        text = f"{old!r} is a legacy import path; use {new!r} instead"
        return f"{text} ({note})" if note else text

    def spec_read(self, frame: FrameType,
                  cache: proxy.SiteTable | None) -> None:
        """A read of ``__spec__``: an import statement finding the module cached, or a plain read."""
        try:
            classifier = self.hook.classifier
            kind = classifier.kind(frame)
            if kind == MACHINE:
                # importlib.import_module() of a cached module reads it in _find_and_load.
                if frame.f_code.co_name == "_find_and_load" and not _implicit_parent_import(frame):
                    user = classifier.caller(frame)
                    if not _resolved_for_a_patch(frame, user):
                        self.statement_action(user, called=True)()
                return
            if kind == SKIP:
                self.statement_action(classifier.caller(frame), called=not is_attribute_read(frame))()
                return
            action = self.statement_action(frame, called=not is_attribute_read(frame))
            if cache is not None:
                proxy.remember(cache, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def statement_action(self, frame: FrameType | None, *, called: bool, seen: float | None = None) -> Action:
        """What an import of this module by the user at ``frame`` counts: a module use, or nothing."""
        if frame is None:
            return proxy._noop
        statement = import_statement(frame)
        if statement is None:
            # import_module() / __import__() count; a plain `legacy.__spec__` read does not, nor
            # getattr(legacy, "__spec__") (Django's autoreloader, inspect.getmembers).
            return self.use(None, frame, seen) if called and not _calls.reads_an_attribute(frame) else proxy._noop
        name, fromlist = statement
        if name == self.legacy and fromlist is None:
            return self.use(None, frame, seen)
        parent, _, leaf = self.legacy.rpartition(".")
        if fromlist and name == parent and leaf in fromlist and parent not in self.hook.bindings:
            # `from real_package import legacy_child`: the child is bound on a package we do not
            # own, so only the statement's first execution in a process is seen (documented).
            return self.use(None, frame, seen)
        return proxy._noop

    def submodule_read(self, child: ModuleType, frame: FrameType, cache: proxy.SiteTable | None) -> None:
        """A read of a legacy child on this legacy parent: ``from parent import child`` is a use."""
        try:
            classifier = self.hook.classifier
            kind = classifier.kind(frame)
            action: Action = proxy._noop
            child_binding = self.hook.bindings.get(child.__name__)
            if kind != MACHINE and child_binding is not None and from_import_offset(frame) is not None:
                user = classifier.caller(frame)
                action = child_binding.use(None, user)
                if kind == SKIP:
                    action()
                    return
            if cache is not None:
                proxy.remember(cache, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def first_import(self, frame: FrameType | None, *, count: bool = True) -> None:
        """Record the import that loaded this module: its use, and how long loading took.

        ``count`` is false for the implicit import of a parent package, which is not a use.
        """
        try:
            user = self.hook.classifier.caller(frame)
            count = count and not _resolved_for_a_patch(frame, user)
            if user is not None and self.mode != "warn":
                # Classifying the statement and finding the site can wait until records are read:
                # keep what the frame says now, off the import's path.
                recorder = self.hook.recorder
                # The binding's name, not the binding: a module imported again and again must not
                # be kept alive (with its dict and spec) until records are read.
                recorder.defer(_record_deferred, self.hook, self.legacy, user.f_code, user.f_lasti, user.f_globals,
                               count, self.load_ns, recorder.now())
            else:
                self.record_first_import(user, count, self.load_ns)
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def record_first_import(self, user: FrameType | FrameInfo | None, count: bool, load_ns: tuple[int, int],
                            seen: float | None = None) -> None:
        """The use and the timing of a first import (see :meth:`first_import`)."""
        try:
            if user is not None and count:
                self.statement_action(user, called=True, seen=seen)()  # type: ignore[arg-type]
            recorder = self.hook.recorder
            where = recorder.where(user)  # type: ignore[arg-type]
            recorder.record_import(self.legacy, self.canonical_name, self.mode, *where, *load_ns)
            from ..log import log

            log("info", "first use of a legacy module", legacy=self.legacy, canonical=self.canonical_name,
                mode=self.mode, file=where[0], line=where[1])
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def refuse_symbol(self, attr: str, frame: FrameType) -> None:
        user = self.hook.classifier.caller(frame)
        self.use(attr, user)()
        rule = self.renames[attr]
        raise LegacyImportError(
            f"{self.legacy}.{attr} was removed: use {rule.target}.{rule.target_symbol}"
            + (f" ({rule.note})" if rule.note else "") + _where(user),
            name=self.legacy)

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


def _record_deferred(hook: Hook, legacy: str, code: CodeType, lasti: int, f_globals: dict[str, Any], count: bool,
                     load_ns: tuple[int, int], seen: float) -> None:
    """A first import kept by :meth:`Binding.first_import`, recorded by its legacy module's binding.

    Any binding of the name records alike (the same rule, mode and canonical names).
    """
    binding = hook.bindings.get(legacy)
    if binding is not None:
        binding.record_first_import(FrameInfo(code, lasti, f_globals), count, load_ns, seen)


def _implicit_parent_import(frame: FrameType) -> bool:
    """Whether ``_find_and_load`` runs for the parent of a module being imported (not a use)."""
    names: list[str] = []
    up: FrameType | None = frame.f_back
    while up is not None and len(names) < 3:
        names.append(up.f_code.co_name)
        up = up.f_back
    # _find_and_load < _gcd_import < _call_with_frames_removed < _find_and_load_unlocked
    return names[1:3] == ["_call_with_frames_removed", "_find_and_load_unlocked"]


# unittest.mock's functions that resolve a patch target ("legacy.X": import legacy, read X).
_PATCH_RESOLVERS = frozenset({"get_original", "__enter__", "_get_target", "_importer", "_dot_lookup", "<lambda>"})


def _resolved_for_a_patch(frame: FrameType | None, user: FrameType | None) -> bool:
    """Whether an import runs to resolve ``mock.patch("legacy.X")``'s target: one patch is one
    use of ``X`` (counted where mock reads it), not a use of the module as well.

    mock's frames are walked past to find the user, so they lie between ``frame`` and ``user``:
    only those are read (an import statement of the user's own reads none), never the stack above.
    """
    depth = 0
    while frame is not None and frame is not user and depth < 12:
        if frame.f_globals.get("__name__") == "unittest.mock":
            return frame.f_code.co_name in _PATCH_RESOLVERS
        frame = frame.f_back
        depth += 1
    return False


def _patch_restore(frame: FrameType) -> bool:
    """A read by ``mock.patch``'s exit (``hasattr`` after restoring the original): not a use."""
    return frame.f_code.co_name == "__exit__" and frame.f_globals.get("__name__") == "unittest.mock"


def _where(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return f" [imported at {frame.f_code.co_filename}:{frame.f_lineno}]"


def warn_at(message: str, frame: FrameType, *, always: bool) -> None:
    """Issue a :class:`LegacyImportWarning` attributed to ``frame``'s line, as ``warnings.warn`` would."""
    import warnings  # the first warning pays for it, not start-up

    f_globals = frame.f_globals
    registry = None if always else f_globals.setdefault("__warningregistry__", {})
    # The globals help linecache find the source through the module's loader. From 3.12 they
    # make importlib warn first ("Module globals is missing a __spec__.loader") where the spec
    # has no loader (a script's __main__): -W error then raises that instead of ours. Such code
    # is read from its file by name.
    #
    # A module run by runpy as __main__ (`python -m app.main`) has the spec of "app.main" and the
    # name "__main__": warnings asks its loader for the source of "__main__", and the loader
    # raises ImportError out of warn_explicit. Its source is read by file name too.
    spec = f_globals.get("__spec__")
    name = f_globals.get("__name__")
    usable = getattr(spec, "loader", None) is not None and getattr(spec, "name", None) == name
    warnings.warn_explicit(message, LegacyImportWarning, frame.f_code.co_filename, frame.f_lineno or 0,
                           module=name, registry=registry, module_globals=f_globals if usable else None)

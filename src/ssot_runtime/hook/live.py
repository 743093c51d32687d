"""Live modules: modules that still exist, of which only some names moved (``"live.mod:Old" = "canon:New"``).

The module stays itself: it is loaded by its own loader, and its ``__spec__``, ``__file__``,
``__loader__`` and dict are never touched. Only its class changes, to a subclass of the class it
had, with one property per legacy name. A property wins over the module's dict for
``live.mod.Old`` (and ``getattr``, ``from live.mod import Old``, ``mock.patch``), while the
module's own code keeps reading its globals from the dict. Every other name is a plain dict
read: the cost of a ``ModuleType`` subclass (the interpreter does not specialise reads on it),
and nothing else. Modules without legacy names are never touched.
"""

from __future__ import annotations

import importlib
import sys

from .binding import Binding
from .frames import SKIP
from .importlib_bootstrap_frames import exec_live
from .uses import _INTENDED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import FrameType, ModuleType
    from typing import Any

    from ..config import Rule
    from .ports import Host
    from .proxy import SiteTable
else:
    ModuleType = type(sys)

_getframe = sys._getframe


class LiveBinding(Binding):
    """The legacy names of one live module: their rules, the module, and the class it had."""

    __slots__ = ("original_class",)

    def __init__(self, hook: Host, legacy: str, renames: dict[str, Rule]) -> None:
        first = next(iter(renames.values()))
        super().__init__(hook, legacy, legacy, first, hook.config.mode)
        self.renames = renames
        self.original_class: type | None = None

    def symbol_target(self, rule: Rule) -> tuple[str, str | None, str]:
        module, symbol = self.hook.final_symbol(rule.target, rule.target_symbol or "")
        return module, symbol, self.hook.config.rule_mode(rule)

    # -- attaching to the module ---------------------------------------------------------
    def attach(self, module: ModuleType) -> None:
        """Give ``module`` a class of its own with a property per legacy name (idempotent)."""
        cls = type(module)
        if getattr(cls, "__ssot_live__", None) is self:
            return
        earlier = getattr(cls, "__ssot_live__", None)
        if isinstance(earlier, LiveBinding) and earlier.original_class is not None:
            cls = earlier.original_class  # attached by another hook that is gone: start from its original
        namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__, "__ssot_live__": self}
        ns = module.__dict__
        for attr, rule in self.renames.items():
            if self.hook.config.rule_mode(rule) == "error":
                namespace[attr] = refused_property(self, attr)
            else:
                target, symbol, _mode = self.symbol_target(rule)
                namespace[attr] = live_property(self, attr, ns, target, symbol or attr)
        live = type(f"{cls.__name__}[{self.legacy}]", (cls,), namespace)
        self.module, self.namespace, self.original_class = module, ns, cls  # type: ignore[assignment]
        module.__class__ = live

    def detach(self) -> None:
        """Give the module back the class it had before :meth:`attach`."""
        module, original = self.module, self.original_class
        if module is not None and original is not None and getattr(type(module), "__ssot_live__", None) is self:
            module.__class__ = original
        self.module = self.original_class = None

    def canonical_holder(self, target: str) -> ModuleType:
        """The canonical module of a legacy name, imported on the name's first read."""
        try:
            return importlib.import_module(target)
        except ImportError as exc:
            raise ImportError(f"ssot-runtime: a legacy name of {self.legacy!r} is redirected to {target!r}, "
                              f"which cannot be imported: {exc}", name=target) from exc

    def own_getattr(self, attr: str) -> tuple[bool, Any]:
        """The value the module's own PEP 562 ``__getattr__`` serves for ``attr``, if it serves it."""
        hook = self.namespace.get("__getattr__") if self.namespace is not None else None
        if not callable(hook):
            return False, None
        try:
            return True, hook(attr)
        except AttributeError:
            return False, None

    def patched(self, attr: str, frame: FrameType) -> None:
        """A write to a name the module defines itself, by ``mock.patch``: its read bypassed us.

        ``mock.patch`` reads ``module.__dict__[name]`` directly when the name is there, so the
        patching write in its ``__enter__`` is the use (its restoring write is not).
        """
        try:
            classifier = self.hook.classifier
            if classifier.kind(frame) == SKIP and frame.f_code.co_name == "__enter__":
                self.use(attr, classifier.caller(frame))()
        except _INTENDED:  # a warning the user's filters turn into an error
            raise
        except Exception:
            self.hook.internal_error()


def live_property(binding: LiveBinding, attr: str, namespace: dict[str, Any], target: str, name: str) -> property:
    """A legacy name of a live module: the module's own value if it still has one, else the canonical one.

    The value is read first and the use counted after it: a read that finds nothing (``mock.patch``
    probing after its ``delattr``) is not a use.
    """
    # Sites as everywhere (see _proxy.remember): under the offset, checked against the code
    # object; a second code object at a taken offset under (id(code), offset).
    table: SiteTable = {}
    table_get = table.get
    new_site = binding.new_site
    holder: Any = None
    holder_ns: dict[str, Any] | None = None  # the canonical module's dict, once it is imported
    own_hook = "__getattr__" in namespace  # a PEP 562 hook of its own: every read asks it first

    def value_of() -> Any:
        nonlocal holder, holder_ns
        if attr in namespace:  # the module still defines it (a compatibility line)
            return namespace[attr]
        if "__getattr__" in namespace:
            served, value = binding.own_getattr(attr)
            if served:
                return value
        if holder is None:
            holder = binding.canonical_holder(target)
            holder_ns = None if own_hook else getattr(holder, "__dict__", None)
        return getattr(holder, name)

    def fget(self: ModuleType) -> Any:
        # The common case: one dict test and a subscript, then the site by its offset.
        if holder_ns is None or attr in namespace:
            value = value_of()
        else:
            try:
                value = holder_ns[name]
            except KeyError:
                value = getattr(holder, name)  # not in its dict (or patched away): as getattr says
        f = _getframe(1)
        entry = table_get(f.f_lasti)
        if entry is not None and entry[0] is f.f_code:
            entry[1]()
        else:
            entry = table_get((id(f.f_code), f.f_lasti))
            if entry is not None and entry[0] is f.f_code:
                entry[1]()
            else:
                new_site(table, attr, f)
        return value

    def fset(self: ModuleType, value: Any) -> None:
        nonlocal holder
        if attr in namespace:
            binding.patched(attr, _getframe(1))
            namespace[attr] = value
            return
        if holder is None:
            holder = binding.canonical_holder(target)
        setattr(holder, name, value)

    def fdel(self: ModuleType) -> None:
        nonlocal holder
        if attr in namespace:
            del namespace[attr]
            return
        if holder is None:
            holder = binding.canonical_holder(target)
        delattr(holder, name)

    return property(fget, fset, fdel)


def refused_property(binding: LiveBinding, attr: str) -> property:
    """A legacy name in error mode: reading it counts one use and raises LegacyImportError."""

    def fget(self: ModuleType) -> Any:
        return binding.refuse_symbol(attr, _getframe(1))

    return property(fget)


class LiveLoader:
    """Wraps a live module's own loader for one load: it runs as before, then the module is attached.

    The module's ``__spec__.loader`` and ``__loader__`` get the original loader back once it ran.
    """

    def __init__(self, loader: Any, spec: Any, binding: LiveBinding) -> None:
        self._loader, self._spec, self._binding = loader, spec, binding

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    # Defined there: a frame the warnings module skips, so that the module's own
    # warnings.warn(..., stacklevel=2) points at the importing line.
    exec_module = exec_live

    def give_back(self, module: ModuleType) -> None:
        """Once the module's own loader ran it: its spec and ``__loader__`` get that loader back."""
        original = self._loader
        if self._spec.loader is self:
            self._spec.loader = original
        if module.__dict__.get("__loader__") is self:
            module.__loader__ = original

    def attach(self, module: ModuleType) -> None:
        try:
            self._binding.attach(module)
            self._binding.hook.live_bindings[self._binding.legacy] = self._binding
        except Exception:
            self._binding.hook.internal_error()


def live_spec(hook: Host, fullname: str, path: Sequence[str] | None, target: ModuleType | None) -> ModuleSpec | None:
    """A live module's own spec (what the other finders give), its loader wrapped for the one load."""
    if fullname in hook.parents:
        spec = hook._parent_spec(fullname, path, target)
    else:
        spec = hook._others_spec(fullname, path, target)
    if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
        binding = hook.live_bindings.get(fullname) or LiveBinding(hook, fullname, hook.live_rules[fullname])
        spec.loader = LiveLoader(spec.loader, spec, binding)  # type: ignore[assignment]
    return spec


def attach_live(hook: Host) -> None:
    """Live modules imported before ``install()`` (by ``sitecustomize``, a test runner): handled from now on."""
    for name, renames in hook.live_rules.items():
        module = sys.modules.get(name)
        if isinstance(module, ModuleType) and name not in hook.live_bindings:
            try:
                binding = LiveBinding(hook, name, renames)
                binding.attach(module)
                hook.live_bindings[name] = binding
            except Exception:
                hook.internal_error()

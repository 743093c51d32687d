"""How a legacy module serves its names: a property per name, made on first read, and the PEP 562 path.

A mixin of :class:`~ssot_runtime.hook.binding.Binding`; the properties themselves (the hot paths)
are made by :mod:`ssot_runtime.hook.proxy`.
"""

from __future__ import annotations

import importlib
import sys

from . import proxy
from .frames import MACHINE
from .importlib_bootstrap_frames import shim_getattr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, ModuleType
    from typing import Any

    from ..config import Rule
    from .ports import Host

    Action = Callable[[], object]

_getframe = sys._getframe
# Dunders that describe the legacy module itself; any other dunder (``__version__``) forwards.
_OWN_DUNDERS = frozenset({"__path__", "__file__", "__cached__", "__loader__", "__spec__", "__package__",
                          "__name__", "__builtins__", "__getattr__", "__dict__", "__class__"})


class BindingState:
    """What a binding holds (set in ``Binding.__init__``), declared once for its halves."""

    __slots__ = ()
    hook: Host
    legacy: str
    canonical_name: str
    rule: Rule
    mode: str
    renames: dict[str, Rule]
    module: proxy.LegacyModule | None
    target: ModuleType | None
    namespace: dict[str, Any] | None
    children: dict[str, ModuleType]
    load_ns: tuple[int, int]


class NameServing(BindingState):
    """The names of a legacy module: the class of properties, and reads before it exists."""

    __slots__ = ()

    if TYPE_CHECKING:  # the other halves of Binding: what makes it a proxy's BindingPort
        def new_site(self, table: proxy.SiteTable, attr: str, frame: FrameType) -> None: ...
        def spec_read(self, frame: FrameType, cache: proxy.SiteTable | None) -> None: ...
        def submodule_read(self, child: ModuleType, frame: FrameType, cache: proxy.SiteTable | None) -> None: ...
        def refuse_symbol(self, attr: str, frame: FrameType) -> Any: ...
        def symbol_target(self, rule: Rule) -> tuple[str, str | None, str]: ...
        def record(self, attr: str | None, frame: FrameType | None) -> None: ...
        def attach_submodule(self, name: str, child: ModuleType) -> None: ...
        def set(self, name: str, value: Any) -> None: ...
        def delete(self, name: str) -> None: ...
        def dir(self) -> list[str]: ...

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
        """Record the names a PEP 562 shim serves from its own ``__getattr__``.

        The wrapper is defined where the warnings module skips its frame: a shim's own
        ``warnings.warn(..., stacklevel=2)`` points at the user's line.
        """
        return shim_getattr(original, self.record)

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

    def unrefused(self, name: str) -> Any:
        """The value of a refused name (error mode) where reading it is no use: a star import, ``inspect``."""
        if self.namespace is not None and name in self.namespace:
            return self.namespace[name]  # the module still defines it (a compatibility line)
        module, symbol, _mode = self.symbol_target(self.renames[name])
        return getattr(importlib.import_module(module), symbol or name)

    def public_names(self) -> list[str]:
        source = self.target if self.target is not None else self.module
        names = getattr(source, "__all__", None)
        if names is None:
            names = [n for n in vars(source) if not n.startswith("_")]
        return [*names, *(n for n in self.renames if n not in names)]

"""Legacy module objects: each read of a name records its caller, then gives the canonical object.

Every legacy module gets its own ``ModuleType`` subclass, so a name read is a property call
(no ``__getattr__`` fallback, which on 3.11 builds and drops an AttributeError each time).
Properties are made on a name's first read through a PEP 562 ``__getattr__`` kept in the
module's own dict. ``__spec__`` is a property too: the interpreter reads it on every import
statement that finds the module cached, which is how repeated ``import legacy`` are counted.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # nothing of typing at run time: this module loads at interpreter start-up
    from collections.abc import Callable
    from types import CodeType
    from typing import Any

    from .ports import BindingPort as Binding

    Action = Callable[[], object]
    # Hot-path caches are keyed by the frame's offset, checked by the code's identity: O(1)
    # whatever the size of the code (frame.f_lineno is not), no hashing of code objects (they
    # hash by content), no id() call and no tuple built per read. A second code at an offset
    # already taken goes under (id(code), offset), read when the first key misses (`remember`).
    # The reads are written out in each property: a helper call would cost what they save.
    SiteTable = dict[int | tuple[int, int], tuple[CodeType, Action]]
    from types import ModuleType
else:
    ModuleType = type(sys)  # types.ModuleType, without importing `types`

_getframe = sys._getframe



def _noop() -> None:
    return None


def remember(table: SiteTable, frame: Any, action: Action) -> None:
    """Keep ``action`` for the frame's position: under its offset, or its second key if taken."""
    code, lasti = frame.f_code, frame.f_lasti
    if len(table) > _TABLE_SIZE:
        table.clear()  # only a cache: code made at run time must not pile up here
    first = table.get(lasti)
    if first is None or first[0] is code:
        table[lasti] = (code, action)
    else:
        table[(id(code), lasti)] = (code, action)


_TABLE_SIZE = 100_000


def binding_of(module: ModuleType) -> Binding | None:
    """The binding a legacy module object belongs to (kept in its dict: the class may be shared)."""
    return module.__dict__.get("__ssot_binding__")


class LegacyModule(ModuleType):
    """A legacy module name that forwards to its canonical module and records each use.

    A freshly imported legacy module is an instance of this shared class: every name read goes
    through the PEP 562 hook in its dict. The first real read gives it a class of its own, with
    a property per name (see :meth:`Binding.upgrade`): class creation costs more than the whole
    rest of a first import, and a legacy module that is only imported never pays for it.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__spec__":  # the import system's own write, on every first import
            self.__dict__[name] = value
            return
        if name[:2] == "__" and name[-2:] == "__":
            if name == "__class__":
                ModuleType.__setattr__(self, name, value)
            else:  # __spec__ and the rest live in the dict (the properties read it from there)
                self.__dict__[name] = value
            return
        binding = binding_of(self)
        if binding is None:
            ModuleType.__setattr__(self, name, value)
        elif isinstance(value, LegacyModule) and value.__name__ == f"{self.__name__}.{name}":
            # The import system binds a child to its parent; keep it here so the canonical
            # package's own attribute stays the canonical submodule.
            binding.attach_submodule(name, value)
        else:
            binding.set(name, value)

    def __delattr__(self, name: str) -> None:
        binding = binding_of(self)
        if binding is None or (name[:2] == "__" and name[-2:] == "__"):
            ModuleType.__delattr__(self, name)
        else:
            binding.delete(name)

    def __dir__(self) -> list[str]:
        binding = binding_of(self)
        return binding.dir() if binding is not None else list(ModuleType.__dir__(self))

    def __repr__(self) -> str:
        binding = binding_of(self)
        if binding is None:
            return ModuleType.__repr__(self)
        return f"<module {self.__name__!r} (ssot-runtime {binding.mode}: {binding.canonical_name!r})>"

    @property
    def __spec__(self) -> Any:
        # The shared class's generic reader; a module's own class has a specialised one.
        ns = self.__dict__
        binding = ns.get("__ssot_binding__")
        if binding is not None:
            binding.spec_read(_getframe(1), None)
        return ns.get("__spec__")

    @__spec__.setter
    def __spec__(self, value: Any) -> None:
        self.__dict__["__spec__"] = value


class ObservedModule(LegacyModule):
    """A legacy module that still exists on disk: it runs its own code; its uses are recorded."""


def new_module_class(binding: Binding, base: type[LegacyModule], name: str) -> type[LegacyModule]:
    """A class for one legacy module, with its own ``__spec__`` property."""
    namespace: dict[str, Any] = {"__spec__": spec_property(binding), "__module__": base.__module__,
                                 "__slots__": ()}
    return type(f"{base.__name__}[{name}]", (base,), namespace)


def spec_property(binding: Binding) -> property:
    """``__spec__``: read on each import statement; records ``import legacy`` (symbol null)."""
    cache: SiteTable = {}
    cache_get = cache.get
    classify = binding.spec_read
    assert binding.module is not None
    namespace = binding.module.__dict__  # one class per module: its dict, without self.__dict__

    def fget(self: ModuleType) -> Any:
        f = _getframe(1)
        entry = cache_get(f.f_lasti)
        if entry is not None and entry[0] is f.f_code:
            entry[1]()
        else:
            entry = cache_get((id(f.f_code), f.f_lasti))
            if entry is not None and entry[0] is f.f_code:
                entry[1]()
            else:
                classify(f, cache)
        try:
            return namespace["__spec__"]
        except KeyError:
            return None

    def fset(self: ModuleType, value: Any) -> None:
        self.__dict__["__spec__"] = value

    return property(fget, fset)


def dunder_property(target: object, name: str) -> property:
    """A dunder such as ``__version__`` read from the canonical module, never a use."""
    return property(lambda self: getattr(target, name))


def forward_property(binding: Binding, attr: str, target: object, name: str) -> property:
    """A redirected name: find the site by (file, line, function), hit it, read ``target.name``."""
    table: SiteTable = {}
    table_get = table.get
    new_site = binding.new_site
    if type(target) is ModuleType:
        # A plain module's names are its dict's: a subscript instead of a getattr() call.
        namespace = vars(target)

        def fget(self: ModuleType) -> Any:
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
            try:
                return namespace[name]
            except KeyError:  # a PEP 562 __getattr__ of the canonical module serves it
                return getattr(target, name)
    else:
        def fget(self: ModuleType) -> Any:
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
            return getattr(target, name)

    def fset(self: ModuleType, value: Any) -> None:
        setattr(target, name, value)

    def fdel(self: ModuleType) -> None:
        delattr(target, name)

    return property(fget, fset, fdel)


def observed_property(binding: Binding, attr: str, namespace: dict[str, Any]) -> property:
    """A name of a module that still exists: the value lives in the module's own dict."""
    table: SiteTable = {}
    table_get = table.get
    new_site = binding.new_site
    module_name = binding.legacy

    def fget(self: ModuleType) -> Any:
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
        try:
            return namespace[attr]
        except KeyError:
            raise AttributeError(f"module {module_name!r} has no attribute {attr!r}") from None

    def fset(self: ModuleType, value: Any) -> None:
        namespace[attr] = value

    def fdel(self: ModuleType) -> None:
        try:
            del namespace[attr]
        except KeyError:
            raise AttributeError(attr) from None

    return property(fget, fset, fdel)


def refused_property(binding: Binding, attr: str) -> property:
    """A symbol rule in error mode: reading it raises :class:`LegacyImportError`."""

    def fget(self: ModuleType) -> Any:
        return binding.refuse_symbol(attr, _getframe(1))

    return property(fget)


def submodule_property(binding: Binding, attr: str, child: ModuleType) -> property:
    """A legacy child module bound on its legacy parent.

    ``from legacy import child`` counts a use of ``legacy.child``; ``legacy.child.X`` chains and
    ``import legacy.child as c`` are counted on the child itself, so they hit nothing here.
    """
    cache: SiteTable = {}
    cache_get = cache.get

    def fget(self: ModuleType) -> Any:
        f = _getframe(1)
        entry = cache_get(f.f_lasti)
        if entry is not None and entry[0] is f.f_code:
            entry[1]()
        else:
            entry = cache_get((id(f.f_code), f.f_lasti))
            if entry is not None and entry[0] is f.f_code:
                entry[1]()
            else:
                binding.submodule_read(child, f, cache)
        return child

    return property(fget)

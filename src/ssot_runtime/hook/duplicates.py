"""One source file loaded under two module names: noted at process exit, never on the import path.

When a package is reachable from two ``sys.path`` entries (``src/`` and ``src/app/``), or is
aliased without its submodules, one file runs twice: two module objects, two class objects
from one definition (``isinstance`` fails across them, a singleton exists twice). At exit the
hook walks ``sys.modules`` once and groups the module objects by their ``__file__``; a file
held by two distinct module objects is noted. A name that ``sys.modules`` holds for the same
object twice (``sys.modules[__name__] = other``) is one load, not two. ``make bench`` measures
the walk (the row ``exit note: sys.modules walk``).

The note leaves the process as the gauge ``ssot.module.loaded_twice`` (one point per file: the
number of module objects, the module names and the classes defined twice as attributes), which
``audit --traces`` reads back.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

LOADED_TWICE = "ssot.module.loaded_twice"
MODULES = "ssot.modules"
CLASSES = "ssot.classes"


class Noted:
    """One file loaded more than once: its module names and the classes that exist twice."""

    __slots__ = ("classes", "file", "modules")

    def __init__(self, file: str, modules: tuple[str, ...], classes: tuple[str, ...]) -> None:
        self.file = file
        self.modules = modules
        self.classes = classes

    def __repr__(self) -> str:
        return f"Noted({self.file!r}, {self.modules!r}, {self.classes!r})"


def loaded_twice(modules: Mapping[str, object] | None = None) -> list[Noted]:
    """The files that more than one module object in ``sys.modules`` was loaded from."""
    import sys

    if modules is None:
        modules = sys.modules
    entries = list(modules.items())
    owner: dict[str, object] = {}  # file -> the first module object seen for it
    twice: dict[str, dict[int, object]] = {}  # only files with a second object: rare, built only then
    for _name, module in entries:
        namespace = getattr(module, "__dict__", None)  # the dict itself: no __getattr__, no property runs
        if type(namespace) is not dict:
            continue
        file = namespace.get("__file__")
        if type(file) is not str:
            continue
        first = owner.setdefault(file, module)
        if first is not module:
            twice.setdefault(file, {id(first): first})[id(module)] = module
    if not twice:
        return []
    names: dict[int, list[str]] = {}
    wanted = {key for objects in twice.values() for key in objects}
    for name, module in entries:  # the names sys.modules holds them under (one object may have two)
        if id(module) in wanted:
            names.setdefault(id(module), []).append(name)
    noted = []
    for file, objects in sorted(twice.items()):
        named = [(min(names[key]), module) for key, module in objects.items()]
        noted.append(Noted(file, tuple(sorted(n for n, _ in named)), _twice(named)))
    return noted


def _twice(objects: list[tuple[str, object]]) -> tuple[str, ...]:
    """Classes that each module object defines itself (``__module__`` is its own name): two class objects."""
    seen: dict[str, int] = {}
    for _name, module in objects:
        namespace = vars(module)
        own = namespace.get("__name__")  # what its classes' __module__ says (a sys.modules key may differ)
        for attr, value in list(namespace.items()):
            if isinstance(value, type) and value.__dict__.get("__module__") == own and \
                    value.__dict__.get("__qualname__", value.__name__) == attr:  # an alias is no second class
                seen[attr] = seen.get(attr, 0) + 1
    return tuple(sorted(attr for attr, count in seen.items() if count > 1))

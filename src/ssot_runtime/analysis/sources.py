"""A static index of a source tree for ``discover`` and ``audit``: read with ``ast``, nothing run.

Each ``.py`` file becomes a :class:`Module` named as the import system would name it (the
folders above it that hold an ``__init__.py`` are its packages; a folder given on the command
line that is no package is an import root). A module knows what it defines (top-level classes
and functions), what it binds from elsewhere (imports, alias lines ``B = A`` and ``B = mod.A``,
names a PEP 562 ``__getattr__`` serves) and whether its body does nothing but forward: a
**shim**. A body that forwards and also does something else is a shim with logic: its reason
names the line.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field

from .module_reader import _Reader
from .source_model import _EXTENSIONS, SKIP_DIRS, Binding, Definition, Module, helper_module, marked_as_shim

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["SKIP_DIRS", "Binding", "Definition", "Index", "Module", "build_index", "helper_module", "marked_as_shim",
           "module_files"]



@dataclass
class Index:
    modules: dict[str, Module] = field(default_factory=dict)
    extensions: set[str] = field(default_factory=set)  # compiled modules seen in the tree
    files: int = 0
    roots: list[str] = field(default_factory=list)  # import roots: the paths' own, then sys.path
    _on_disk: dict[str, bool] = field(default_factory=dict)

    def exists(self, name: str) -> bool:
        """Whether a module of that name is in the tree or, outside it, on disk under an import root."""
        if name in self.modules or name in self.extensions:
            return True
        if name not in self._on_disk:
            self._on_disk[name] = any(_on_disk(root, name) for root in self.roots)
        return self._on_disk[name]

    def warn_helper(self, module: str, name: str) -> bool:
        """Whether ``module.name`` is a function of the tree that only warns."""
        mod = self.modules.get(module)
        if mod is None:
            return False
        _read(mod, self)
        return name in mod.warn_helpers

    def children(self, package: str) -> list[Module]:
        prefix = package + "."
        return [m for n, m in sorted(self.modules.items()) if n.startswith(prefix) and "." not in n[len(prefix):]]

    def resolve(self, module: str, name: str, _seen: frozenset[tuple[str, str]] = frozenset()
                ) -> tuple[str, str] | None:
        """The definition ``module.name`` reaches through imports and aliases: ``(module, name)``.

        None when it leaves the index or cannot be followed (a name bound to a module, a cycle).
        """
        key = (module, name)
        if key in _seen:
            return None
        seen = _seen | {key}
        mod = self.modules.get(module)
        if mod is None:
            return None
        if name in mod.definitions:
            return module, name
        binding = mod.bindings.get(name)
        if binding is not None:
            if binding.symbol is None:
                return None
            return self.resolve(binding.module, binding.symbol, seen)
        for star, _line in mod.stars:
            found = self.resolve(star, name, seen)
            if found is not None:
                return found
        if mod.forwards_to is not None:
            return self.resolve(mod.forwards_to, name, seen)
        return None


def module_files(paths: Iterable[str]) -> Iterator[tuple[str, str, bool]]:
    """``(module name, file, is_package)`` for every ``.py`` file (and compiled module) under the paths."""
    for path in paths:
        path = os.path.abspath(path)
        if os.path.isfile(path):
            folder = os.path.dirname(path)
            yield _name(path, _root_of(folder)), path, os.path.basename(path) == "__init__.py"
            continue
        root = _root_of(path) if os.path.isfile(os.path.join(path, "__init__.py")) else path
        # A src/ layout: src/ is the import root of what is below it (as for `config`'s checks).
        src = os.path.join(path, "src")
        src_root = src if os.path.isdir(src) and not os.path.isfile(os.path.join(src, "__init__.py")) else None
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and d.isidentifier())
            for file in sorted(files):
                full = os.path.join(folder, file)
                if file == "conftest.py":
                    continue  # pytest's plugin file, loaded by pytest, never imported by a name: no module
                if file.endswith(".py") or file.endswith(_EXTENSIONS):
                    below_src = src_root is not None and full.startswith(src_root + os.sep)
                    name = _name(full, src_root if below_src and src_root else root)
                    if name and all(part.isidentifier() for part in name.split(".")):
                        yield name, full, file == "__init__.py"


def _root_of(folder: str) -> str:
    """The import root above a folder: the first ancestor without ``__init__.py``."""
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _name(file: str, root: str) -> str:
    relative = os.path.relpath(file, root)
    parts = relative.split(os.sep)
    last = parts[-1]
    if last == "__init__.py":
        parts = parts[:-1]
    elif last.endswith(".py"):
        parts[-1] = last[:-3]
    else:  # an extension module: name.cpython-311-x86_64-linux-gnu.so
        parts[-1] = last.split(".")[0]
    return ".".join(parts)


def _on_disk(root: str, name: str) -> bool:
    """A module found as a file by its name alone (nothing imported): source, package or compiled."""
    base = os.path.join(root, *name.split("."))
    if os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py")):
        return True
    folder, stem = os.path.split(base)
    try:
        return any(entry.startswith(stem + ".") and entry.endswith(_EXTENSIONS) for entry in os.listdir(folder))
    except OSError:
        return False


def build_index(paths: Iterable[str]) -> Index:
    import sys

    paths = list(paths)
    index = Index()
    roots = [_root_of(os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)))
             for p in paths]
    roots += [os.path.join(os.path.abspath(p), "src") for p in paths if os.path.isdir(os.path.join(p, "src"))]
    index.roots = list(dict.fromkeys([*roots, *(os.path.abspath(p) for p in sys.path if p and os.path.isdir(p))]))
    for name, file, is_package in module_files(paths):
        if file.endswith(_EXTENSIONS):
            index.extensions.add(name)
            continue
        index.files += 1
        if name in index.modules:  # the same name twice (two paths given): the first stays
            continue
        index.modules[name] = Module(name, file, is_package)
    for module in index.modules.values():
        _read(module, index)
    return index


def _read(module: Module, index: Index) -> None:
    """Fill a module from its file (once; a module whose warning helper another one calls is read first)."""
    if module.read:
        return
    module.read = True
    try:
        with open(module.file, "rb") as f:
            tree = ast.parse(f.read(), filename=module.file)
    except (OSError, SyntaxError, ValueError) as exc:
        module.error = f"does not parse: {exc}"
        module.error_line = (exc.lineno or 1) if isinstance(exc, SyntaxError) else 1
        return
    module.docstring = ast.get_docstring(tree)
    reader = _Reader(module, index)
    reader.body(tree.body)
    renamed = {name for name, b in module.bindings.items() if b.renamed and b.how == "import"}
    if renamed:  # whether the module uses them itself: a walk of the whole tree, only when it matters
        module.loaded_names = frozenset(
            node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in renamed
            and isinstance(node.ctx, ast.Load))

"""Which names a canonical module has, read from its source: rewrites to a missing name are refused.

A name exists when the module's file binds it at top level (``def``, ``class``, an assignment,
an import, also inside top-level ``if``/``try``/``with``/``for`` blocks) or, for a package,
when it is a submodule. A module with ``from x import *`` or its own ``__getattr__`` may have
any name. A module that is not found as source is imported as a last resort.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

ANY = "*"  # the module may have any name


class CanonicalNames:
    """Looks canonical modules up under the project's import roots, then ``sys.path``."""

    def __init__(self, roots: Iterable[str] = ()) -> None:
        self.roots = list(dict.fromkeys(os.path.abspath(r) for r in roots))
        self._names: dict[str, tuple[frozenset[str], str | None] | None] = {}

    def add_root(self, root: str) -> None:
        root = os.path.abspath(root)
        if root not in self.roots:
            self.roots.append(root)
            self._names = {k: v for k, v in self._names.items() if v is not None}

    def missing(self, module: str, name: str) -> str | None:
        """Why ``module.name`` cannot be written (a line for the user), or None when it exists."""
        found = self._lookup(module)
        if found is None:
            return f"canonical module {module!r} not found"
        names, folder = found
        if ANY in names or name in names:
            return None
        if folder is not None and (os.path.isfile(os.path.join(folder, f"{name}.py"))
                                   or os.path.isdir(os.path.join(folder, name))):
            return None
        return f"canonical {module!r} has no {name!r}"

    def _lookup(self, module: str) -> tuple[frozenset[str], str | None] | None:
        if module not in self._names:
            self._names[module] = self._read(module)
        return self._names[module]

    def _read(self, module: str) -> tuple[frozenset[str], str | None] | None:
        parts = module.split(".")
        for root in [*self.roots, *(p for p in sys.path if p and os.path.isdir(p))]:
            base = os.path.join(root, *parts)
            if os.path.isfile(os.path.join(base, "__init__.py")):
                return _top_level_names(os.path.join(base, "__init__.py")), base
            if os.path.isfile(base + ".py"):
                return _top_level_names(base + ".py"), None
            if os.path.isdir(base) and len(parts) > 1 and os.path.isdir(os.path.join(root, parts[0])):
                return frozenset(), base  # a namespace package: its submodules only
        try:  # not source under any root: an installed or compiled module
            spec = importlib.util.find_spec(module)
            if spec is None:
                return None
            loaded = importlib.import_module(module)
        except Exception:
            return None
        path = getattr(loaded, "__path__", None)
        return frozenset(vars(loaded)), (next(iter(path), None) if path else None)


def _top_level_names(path: str) -> frozenset[str]:
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, UnicodeDecodeError, SyntaxError):
        return frozenset({ANY})
    names: set[str] = set()
    _bind(tree.body, names)
    return frozenset(names)


def _bind(body: list[ast.stmt], names: set[str]) -> None:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(ANY if node.name == "__getattr__" else node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(ANY if a.name == "*" else (a.asname or a.name) for a in node.names)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    names.update(n.id for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name))
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                 ast.ClassDef)):
                _bind(block, names)
        for handler in getattr(node, "handlers", []):
            _bind(handler.body, names)

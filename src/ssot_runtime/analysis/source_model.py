"""What ``discover`` and ``audit`` know of a module read with ``ast``: its names, bindings, forwards.

:class:`Module` (what a file defines and binds, whether it only forwards: a shim), and the
small readings of syntax the readers share. The index of a whole tree is :mod:`.sources`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class Tree(Protocol):
        """The index as the readers ask it (``sources.Index``)."""

        def exists(self, name: str) -> bool: ...
        def warn_helper(self, module: str, name: str) -> bool: ...

# Folders never entered below a path given: environments, caches, version control.
SKIP_DIRS = frozenset({"__pycache__", "site-packages", "node_modules", ".venv", "venv", ".git", ".tox", ".nox",
                       "build", "dist"})
_EXTENSIONS = (".so", ".pyd")
# Modules a shim imports for its plumbing: binding them is no re-export.
_PLUMBING = frozenset({"warnings", "sys", "importlib", "typing", "__future__", "types", "functools"})


@dataclass
class Binding:
    """A top-level name a module takes from elsewhere: ``module.symbol`` (``symbol`` None: the module)."""

    name: str
    module: str
    symbol: str | None
    line: int
    how: str  # "import", "alias", "__getattr__", "globals"
    renamed: bool = False


@dataclass
class Definition:
    """A top-level ``class`` or ``def``."""

    module: str
    name: str
    kind: str  # "class" | "function"
    line: int
    node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Module:
    name: str
    file: str
    is_package: bool
    definitions: dict[str, Definition] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    stars: list[tuple[str, int]] = field(default_factory=list)
    all_names: list[str] | None = None
    loaded_names: frozenset[str] = frozenset()  # names the module's own code reads (of its renamed imports)
    warn_helpers: set[str] = field(default_factory=set)  # its functions that only warn
    plumbing: set[str] = field(default_factory=set)  # names it imports to warn with: no re-export
    read: bool = False
    forwards_to: str | None = None  # the module a shim (or its __getattr__) forwards everything to
    forwards_line: int = 0
    replaces_itself: bool = False  # ``sys.modules[__name__] = module``: the module object is the target's
    evidence: list[str] = field(default_factory=list)  # what makes it look like a shim
    logic: list[tuple[int, str]] = field(default_factory=list)  # what it does beyond forwarding
    constants: dict[str, tuple[int, object]] = field(default_factory=dict)
    warns: bool = False  # calls warnings.warn (or a helper that only warns) at import
    imports_in_logic: bool = False  # imports inside a try/if/...: a shim that chooses, when it defines nothing
    error: str | None = None  # a file that does not parse
    error_line: int = 1
    docstring: str | None = None

    @property
    def shim(self) -> bool:
        """Only forwarding: no definition of its own, no other logic.

        A package ``__init__`` that only re-exports is its package's public face, no shim, unless it
        warns or forwards all of itself.
        """
        if self.error is not None or self.logic:
            return False
        if self.is_package and not (self.forwards_to or self.warns):
            return False
        return bool(self.names() or self.stars or self.forwards_to)

    @property
    def looks_like_shim(self) -> bool:
        """Forwarding all of itself (``__getattr__`` to one module, ``sys.modules``, a star import outside a
        package ``__init__``, or imports inside a ``try``/``if``, in a module that defines nothing) or
        warning at import: a shim, whatever else it does."""
        if self.definitions:
            return bool(self.forwards_to or self.warns)
        return bool(self.forwards_to or self.warns or (self.stars and not self.is_package) or self.imports_in_logic)

    @property
    def parent(self) -> str:
        return self.name.rpartition(".")[0]

    def names(self) -> list[str]:
        """What a shim offers: ``__all__`` and every name it binds that is neither private nor plumbing."""
        bound = [name for name, b in self.bindings.items()
                 if not name.startswith("_") and name not in self.plumbing
                 and b.module.split(".")[0] not in _PLUMBING]
        return list(dict.fromkeys([*(self.all_names or ()), *bound]))

    def public(self) -> list[str]:
        """The names the module offers: ``__all__``, else its bindings that are no plumbing."""
        if self.all_names is not None:
            return list(self.all_names)
        return [name for name, b in self.bindings.items()
                if not name.startswith("_") and name not in self.plumbing
                and b.module.split(".")[0] not in _PLUMBING]


_COMPAT_NAME = re.compile(r"(^|_)(compat|compatibility|backcompat|legacy|old|deprecated|shims?|aliases?|moved)"
                          r"($|_)", re.IGNORECASE)
_DEPRECATION = re.compile(r"deprecat|compat|legacy|backward|moved|obsolete|renamed|shim|alias|no longer",
                          re.IGNORECASE)


def marked_as_shim(module: Module) -> str | None:
    """What says a module that forwards is a compatibility shim, not a facade (a public API that
    re-exports): a warning, a rename or an alias line, a star import, ``sys.modules`` or ``__getattr__``
    forwarding, a docstring that says so, a name like a shim's. None: a plain re-export module."""
    if module.warns:
        return "it warns"
    if module.forwards_to:
        return "it forwards all of itself"
    if module.stars:
        return "a star import"
    offered = set(module.names())
    for name, binding in module.bindings.items():
        if name in offered and (binding.renamed or binding.how != "import"):
            return "a rename" if binding.renamed else "an alias line"
    if module.docstring and _DEPRECATION.search(module.docstring):
        return "its docstring"
    if any(_COMPAT_NAME.search(part) for part in module.name.split(".")):
        return "its name"
    return None


def absolute(module: Module, level: int, target: str | None) -> str:
    """The absolute name of a relative import in ``module``."""
    if level == 0:
        return target or ""
    base = module.name if module.is_package else module.parent
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{target}" if target and base else (target or base)


def _const(node: ast.expr) -> object:
    """A literal's value, or raise ValueError."""
    return ast.literal_eval(node)


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``, or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    parts = _dotted(test)
    return parts is not None and parts[-1] == "TYPE_CHECKING"


def _warn_only(node: ast.FunctionDef, warn_names: set[str]) -> bool:
    """A function whose body only builds strings and calls ``warnings.warn``."""
    warned = False

    def ok(body: list[ast.stmt]) -> bool:
        nonlocal warned
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and all(
                    (a.name if isinstance(stmt, ast.Import) else stmt.module) == "warnings" for a in stmt.names):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                parts = _dotted(stmt.value.func)
                if parts is not None and ".".join(parts) in warn_names:
                    warned = True
                    continue
                return False
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets) and not any(
                    isinstance(n, ast.Call) for n in ast.walk(stmt.value)):
                continue
            if isinstance(stmt, ast.If) and not any(isinstance(n, ast.Call) for n in ast.walk(stmt.test)):
                if ok(stmt.body) and ok(stmt.orelse):
                    continue
                return False
            return False
        return True

    return ok(node.body) and warned


def helper_module(module: Module) -> bool:
    """A module of warning helpers only (numpy's ``core/_utils.py``): imports and warn-only functions."""
    return module.error is None and bool(module.definitions) and all(
        d.kind == "function" and d.name in module.warn_helpers for d in module.definitions.values()
    ) and all(b.symbol is None and b.module in _PLUMBING for b in module.bindings.values()) and not module.stars

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
import re
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

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


class _Reader:
    """Walks a module's top level, filling the :class:`Module`."""

    def __init__(self, module: Module, index: Index) -> None:
        self.m = module
        self.index = index
        self.warn_names = {"warnings.warn"}  # callables that only warn
        self.warn_helpers: dict[str, ast.FunctionDef] = {}

    # -- names ------------------------------------------------------------------------------------
    def _bind_import(self, node: ast.Import | ast.ImportFrom, into: dict[str, Binding]) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    into[alias.asname] = Binding(alias.asname, alias.name, None, node.lineno, "import", True)
                else:
                    top = alias.name.split(".")[0]
                    into[top] = Binding(top, top, None, node.lineno, "import")
            return
        source = absolute(self.m, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                continue
            bound = alias.asname or alias.name
            sub = f"{source}.{alias.name}"
            if self.index.exists(sub):  # the submodule, also where the package binds it too
                into[bound] = Binding(bound, sub, None, node.lineno, "import", bound != alias.name)
            else:
                into[bound] = Binding(bound, source, alias.name, node.lineno, "import", bound != alias.name)
            if source == "warnings" and alias.name == "warn":
                self.warn_names.add(bound)

    def _target_of(self, node: ast.expr, scope: dict[str, Binding]) -> tuple[str, str | None] | None:
        """What an expression names: a bound module or one of its attributes, ``(module, symbol)``."""
        parts = _dotted(node)
        if parts is None:
            return None
        head = parts[0]
        binding = scope.get(head) or self.m.bindings.get(head)
        if binding is None:
            if head in self.m.definitions and len(parts) == 1:
                return self.m.name, head
            return None
        if binding.symbol is not None:
            return (binding.module, binding.symbol) if len(parts) == 1 else None
        module = binding.module
        rest = parts[1:]
        while rest and self.index.exists(f"{module}.{rest[0]}"):  # import a.b.c binds a: a.b.c.X
            module = f"{module}.{rest[0]}"
            rest = rest[1:]
        if not rest:
            return module, None
        if len(rest) == 1:
            return module, rest[0]
        return None

    def _is_warn_call(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        parts = _dotted(node.func)
        if parts is None:
            return False
        name = ".".join(parts)
        if name in self.warn_names or name in self.warn_helpers:
            return True
        binding = self.m.bindings.get(parts[0])
        if len(parts) == 1 and binding is not None and binding.symbol is not None and \
                self.index.warn_helper(binding.module, binding.symbol):
            self.m.plumbing.add(parts[0])
            return True
        return False

    def _logic(self, line: int, what: str) -> None:
        self.m.logic.append((line, what))

    # -- the body ---------------------------------------------------------------------------------
    def body(self, body: list[ast.stmt]) -> None:
        m = self.m
        for node in body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring, or a string (or `...`) anywhere else: it does nothing
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                source = absolute(m, node.level, node.module)
                m.stars.append((source, node.lineno))
                m.evidence.append(f"star import of {source} (line {node.lineno})")
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._bind_import(node, m.bindings)
                continue
            if isinstance(node, ast.Expr) and self._is_warn_call(node.value):
                m.evidence.append(f"warnings.warn (line {node.lineno})")
                m.warns = True
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                self._assign(node)
                continue
            if isinstance(node, ast.Delete):
                for target in node.targets:
                    for name in (t.id for t in ast.walk(target) if isinstance(t, ast.Name)):
                        m.bindings.pop(name, None)
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._definition(node)
                continue
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                continue  # imports for type checkers only
            if isinstance(node, ast.For) and self._globals_loop(node):
                continue
            kind = type(node).__name__.lower()
            self._logic(node.lineno, f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} statement")
            if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node)):
                m.imports_in_logic = True

    def _definition(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        m = self.m
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            _GetattrReader(self, node).read()
            return
        if isinstance(node, ast.FunctionDef) and node.name == "__dir__":
            return
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        m.definitions[node.name] = Definition(m.name, node.name, kind, node.lineno, node)
        if isinstance(node, ast.FunctionDef) and _warn_only(node, self.warn_names):
            self.warn_helpers[node.name] = node  # a helper that only warns is part of forwarding
            m.warn_helpers.add(node.name)
            return
        self._logic(node.lineno, f"defines {kind} {node.name}")

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        m = self.m
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if len(targets) == 1 and isinstance(targets[0], ast.Subscript) and value is not None:
            if _dotted(targets[0].value) == ["sys", "modules"] and _dotted(targets[0].slice) == ["__name__"]:
                found = self._target_of(value, {})
                if found is not None and found[1] is None:
                    m.forwards_to, m.forwards_line = found[0], node.lineno
                    m.replaces_itself = True
                    m.evidence.append(f"sys.modules[__name__] = {found[0]} (line {node.lineno})")
                    return
            self._logic(node.lineno, "an assignment")
            return
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or value is None:
            self._logic(node.lineno, "an assignment")
            return
        name = targets[0].id
        if name == "__all__":
            try:
                names = _const(value)
            except ValueError:
                return
            if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
                if isinstance(node, ast.AugAssign):
                    m.all_names = [*(m.all_names or []), *names]
                else:
                    m.all_names = list(names)
            return
        if isinstance(node, ast.AugAssign):
            self._logic(node.lineno, f"changes {name}")
            return
        found = self._target_of(value, {})
        if found is not None:
            module, symbol = found
            m.bindings[name] = Binding(name, module, symbol, node.lineno, "alias", symbol != name)
            return
        try:
            m.constants[name] = (node.lineno, _const(value))
        except ValueError:
            self._logic(node.lineno, f"computes {name}")
            return
        if not name.startswith("_"):
            self._logic(node.lineno, f"defines constant {name}")

    def _globals_loop(self, node: ast.For) -> bool:
        """``for n in ["a", "b"]: globals()[n] = getattr(mod, n)`` (numpy's shims keep pickled names so)."""
        if node.orelse or len(node.body) != 1 or not isinstance(node.target, ast.Name):
            return False
        try:
            names = _const(node.iter)
        except ValueError:
            return False
        stmt = node.body[0]
        if not (isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)
                and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            return False
        target, value = stmt.targets[0], stmt.value
        var = node.target.id
        if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Call)
                and _dotted(target.value.func) == ["globals"] and _dotted(target.slice) == [var]):
            return False
        if not (isinstance(value, ast.Call) and _dotted(value.func) == ["getattr"] and len(value.args) == 2
                and _dotted(value.args[1]) == [var]):
            return False
        found = self._target_of(value.args[0], {})
        if found is None or found[1] is not None:
            return False
        for n in names:
            self.m.bindings[n] = Binding(n, found[0], n, node.lineno, "globals")
        return True


class _GetattrReader:
    """A PEP 562 ``__getattr__``: does it only forward (through ``getattr``, ``import_module``, a dict)?"""

    def __init__(self, reader: _Reader, node: ast.FunctionDef) -> None:
        self.r = reader
        self.node = node
        self.param = node.args.args[0].arg if node.args.args else ""
        self.local: dict[str, Binding] = {}
        self.modules: dict[str, str] = {}  # local variable -> the module it holds
        self.values: set[str] = {self.param}  # local variables holding a forwarded value or a name
        self.dicts: dict[str, tuple[str, object]] = {}  # local -> (dict constant, how) for D[name] lookups
        self.targets: list[str] = []
        self.named: dict[str, tuple[str, str | None]] = {}
        self.problem: tuple[int, str] | None = None

    def read(self) -> None:
        self.block(self.node.body)
        m = self.r.m
        if self.problem is not None:
            m.evidence.append(f"__getattr__ (line {self.node.lineno})")
            self.r._logic(*self.problem)
        if self.named:
            for name, (module, symbol) in self.named.items():
                m.bindings.setdefault(name, Binding(name, module, symbol if symbol is not None else name,
                                                    self.node.lineno, "__getattr__", (symbol or name) != name))
            names = "1 name" if len(self.named) == 1 else f"{len(self.named)} names"
            m.evidence.append(f"__getattr__ forwarding {names} (line {self.node.lineno})")
        targets = list(dict.fromkeys(self.targets))
        if len(targets) == 1:
            m.forwards_to, m.forwards_line = targets[0], self.node.lineno
            m.evidence.append(f"__getattr__ forwarding to {targets[0]} (line {self.node.lineno})")
        elif len(targets) > 1:
            self.r._logic(self.node.lineno, f"__getattr__ forwards to {len(targets)} modules: "
                                            f"{', '.join(targets)}")
        elif not self.named and self.problem is None:
            self.r._logic(self.node.lineno, "__getattr__ forwards nowhere that can be read")

    def fail(self, node: ast.AST, what: str) -> None:
        if self.problem is None:
            self.problem = (getattr(node, "lineno", self.node.lineno), f"__getattr__ {what}")

    def module_of(self, node: ast.expr) -> str | None:
        """The module an expression holds: a bound module, a local one, ``import_module("x")``."""
        if isinstance(node, ast.Name) and node.id in self.modules:
            return self.modules[node.id]
        if isinstance(node, ast.Call) and _dotted(node.func) in (["import_module"], ["importlib", "import_module"]) \
                and len(node.args) == 1 and not node.keywords:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return arg.value
        found = self.r._target_of(node, self.local)
        if found is not None and found[1] is None:
            return found[0]
        return None

    def forward_value(self, node: ast.expr) -> bool:
        """``getattr(M, name[, default])``, ``M.__dict__[name]``, a dict lookup, a variable holding one."""
        if isinstance(node, ast.Name):
            return node.id in self.values
        if isinstance(node, ast.Call) and _dotted(node.func) == ["getattr"] and 2 <= len(node.args) <= 3:
            if _dotted(node.args[1]) != [self.param]:
                self.fail(node, "reads another name than the one asked for")
                return True
            dict_module = self._dict_module(node.args[0])
            if dict_module:
                return True
            module = self.module_of(node.args[0])
            if module is None:
                self.fail(node, "reads from an object that is not a module")
                return True
            self.targets.append(module)
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in self.r.m.constants:
            return self._dict_lookup(node.value.id, node)
        return False

    def _dict_module(self, node: ast.expr) -> bool:
        """``getattr(import_module(D[name]), name)``: each key of D forwards to the module named by its value."""
        if not (isinstance(node, ast.Call) and _dotted(node.func) in (["import_module"],
                                                                       ["importlib", "import_module"])):
            return False
        if len(node.args) != 1:
            return False
        arg = node.args[0]
        if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
            table = self.r.m.constants.get(arg.value.id)
            if table is not None and isinstance(table[1], dict):
                for key, value in table[1].items():
                    if isinstance(key, str) and isinstance(value, str):
                        self.named[key] = (value, key)
                    else:
                        self.fail(node, f"looks {key!r} up in {arg.value.id}, whose value is no module name")
                return True
        return isinstance(arg, ast.Name) and arg.id in self.dicts

    def _dict_lookup(self, table_name: str, node: ast.expr) -> bool:
        table = self.r.m.constants[table_name][1]
        if not isinstance(table, dict):
            return False
        for key, value in table.items():
            if isinstance(key, str) and isinstance(value, tuple) and len(value) == 2 and all(
                    isinstance(v, str) for v in value):
                self.named[key] = (value[0], value[1])
            elif isinstance(key, str) and isinstance(value, str):
                self.named[key] = (value, key) if ":" not in value else tuple(value.split(":", 1))  # type: ignore[assignment]
            else:
                self.fail(node, f"looks {key!r} up in {table_name}, whose value is no module name")
        return True

    def block(self, body: list[ast.stmt]) -> None:
        for node in body:  # on after a problem: the modules it forwards to are still worth knowing
            self.statement(node)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            scope: dict[str, Binding] = {}
            self.r._bind_import(node, scope)
            for name, binding in scope.items():
                self.local[name] = binding
                if binding.symbol is None:
                    self.modules[name] = binding.module
            return
        if isinstance(node, ast.Expr) and self.r._is_warn_call(node.value):
            self.r.m.evidence.append(f"warnings.warn in __getattr__ (line {node.lineno})")
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and self._local_warn(node.value):
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name):
                if isinstance(value, ast.Call) and _dotted(value.func) == ["object"] and not value.args:
                    self.values.add(target.id)  # a sentinel
                    return
                module = self.module_of(value)
                if module is not None and isinstance(value, ast.Call):
                    self.modules[target.id] = module
                    self.targets.append(module)
                    return
                if self.forward_value(value):
                    self.values.add(target.id)
                    return
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Subscript) and isinstance(
                    value.value, ast.Name) and value.value.id in self.r.m.constants:
                names = [t.id for t in target.elts if isinstance(t, ast.Name)]
                if self._dict_lookup(value.value.id, value):
                    self.values.update(names)
                    self.dicts.update({n: (value.value.id, "tuple") for n in names})
                    return
            self.fail(node, "assigns something that is no forwarded value")
            return
        if isinstance(node, ast.Return):
            if node.value is None:
                self.fail(node, "returns None")
                return
            value = node.value
            if isinstance(value, ast.Call) and _dotted(value.func) == ["getattr"] and len(value.args) >= 2:
                obj = value.args[0]
                if isinstance(obj, ast.Call) and self._dict_module(obj):
                    return
                if isinstance(obj, ast.Name) and obj.id in self.dicts:
                    return  # getattr(import_module(module), symbol) after module, symbol = D[name]
            if not self.forward_value(value):
                self.fail(node, "returns something that is not forwarded")
            return
        if isinstance(node, ast.Raise):
            return  # AttributeError for unknown names
        if isinstance(node, ast.If):
            if self._plain_test(node.test):
                self.block(node.body)
                self.block(node.orelse)
                return
            self.fail(node, "decides on more than the name")
            return
        self.fail(node, f"does more than forward (a {type(node).__name__.lower()} statement)")

    def _local_warn(self, call: ast.Call) -> bool:
        parts = _dotted(call.func)
        if parts is None or len(parts) != 1 or parts[0] not in self.local:
            return False
        binding = self.local[parts[0]]
        if binding.symbol is None:
            return False
        if self.r.index.warn_helper(binding.module, binding.symbol):
            self.r.m.evidence.append(f"warning helper {binding.module}.{binding.symbol} in __getattr__ "
                                     f"(line {call.lineno})")
            return True
        return False

    def _plain_test(self, test: ast.expr) -> bool:
        """A test on the name, a forwarded value, constants: no call but ``isinstance``/``hasattr``/``startswith``."""
        for node in ast.walk(test):
            if isinstance(node, ast.Call):
                parts = _dotted(node.func) or []
                if parts[-1:] not in (["startswith"], ["endswith"], ["get"], ["isinstance"]):
                    return False
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in self.values \
                    and node.id not in self.r.m.constants and node.id != "isinstance":
                return False
        return True


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

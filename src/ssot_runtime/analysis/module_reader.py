"""The walk of one module's top level for ``discover`` and ``audit``: what it binds and whether it forwards."""

from __future__ import annotations

import ast

from .getattr_reader import _GetattrReader
from .source_model import (
    Binding,
    Definition,
    Module,
    _const,
    _dotted,
    _is_type_checking,
    _warn_only,
    absolute,
)

TYPE_CHECKING = False
if TYPE_CHECKING:

    from .source_model import Tree


class _Reader:
    """Walks a module's top level, filling the :class:`Module`."""

    def __init__(self, module: Module, index: Tree) -> None:
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

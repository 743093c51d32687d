"""A PEP 562 ``__getattr__`` read for ``discover``: does it only forward (``getattr``, ``import_module``, a dict)?"""

from __future__ import annotations

import ast

from .source_model import Binding, _dotted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from .source_model import Module, Tree

    class Reading(Protocol):
        """The module reader a ``__getattr__`` is read for (``module_reader._Reader``)."""

        m: Module
        index: Tree

        def _bind_import(self, node: ast.Import | ast.ImportFrom, into: dict[str, Binding]) -> None: ...
        def _is_warn_call(self, node: ast.AST) -> bool: ...
        def _logic(self, line: int, what: str) -> None: ...
        def _target_of(self, node: ast.expr, scope: dict[str, Binding]) -> tuple[str, str | None] | None: ...


class _GetattrReader:
    """A PEP 562 ``__getattr__``: does it only forward (through ``getattr``, ``import_module``, a dict)?"""

    def __init__(self, reader: Reading, node: ast.FunctionDef) -> None:
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

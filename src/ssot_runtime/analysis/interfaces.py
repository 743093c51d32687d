"""The public interface of a class or a function, read from its source, and how two differ.

A class's interface is what its body defines: its bases, each method with its signature as
written (``(self, ws: object, user_id: str) -> None``; ``property``, ``classmethod`` and
``staticmethod`` say so), class attributes (with their annotation) and the attributes its
``__init__`` sets on ``self``. Names with one leading underscore are private and left out;
dunder methods are in. What a class inherits is not read: two classes that differ only
through their bases show the difference in ``(bases)``. A function's interface is its
signature. Signatures are compared as text: a difference in an annotation's spelling is a
difference.
"""

from __future__ import annotations

import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .sources import Definition

BASES = "(bases)"
SIGNATURE = "(signature)"
_DECORATORS = ("property", "classmethod", "staticmethod", "cached_property")


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _parameter(arg: ast.arg, default: ast.expr | None, star: str = "") -> str:
    text = star + arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation is not None else "")
    if default is not None:  # as PEP 8 writes it: `qty: int = 1`, `qty=1`
        text += (" = " if arg.annotation is not None else "=") + ast.unparse(default)
    return text


def parameters(args: ast.arguments) -> str:
    """The parameters as they are written (``ast.unparse`` would give ``qty: int=1``)."""
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [_parameter(a, d) for a, d in zip(positional, defaults, strict=True)]
    if args.posonlyargs:
        parts.insert(len(args.posonlyargs), "/")
    if args.vararg is not None:
        parts.append(_parameter(args.vararg, None, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [_parameter(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg is not None:
        parts.append(_parameter(args.kwarg, None, "**"))
    return ", ".join(parts)


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    text = f"({parameters(node.args)})"
    if node.returns is not None:
        text += f" -> {ast.unparse(node.returns)}"
    kinds = [ast.unparse(d).rpartition(".")[2] for d in node.decorator_list]
    marks = [k for k in kinds if k in _DECORATORS]
    prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
    return " ".join([*marks, prefix + text]) if marks else prefix + text


def interface(definition: Definition) -> dict[str, str]:
    """``{member: what it is}`` for a class; ``{"(signature)": ...}`` for a function."""
    node = definition.node
    if not isinstance(node, ast.ClassDef):
        return {SIGNATURE: signature(node)}
    members: dict[str, str] = {}
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    members[BASES] = f"({', '.join(bases)})"
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _public(stmt.name) and not _is_setter(stmt):
                members[stmt.name] = signature(stmt)
            if stmt.name == "__init__":
                for name, text in _instance_attributes(stmt).items():
                    members.setdefault(name, text)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and _public(stmt.target.id):
            members[stmt.target.id] = f"attribute: {ast.unparse(stmt.annotation)}"
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and _public(target.id):
                    members.setdefault(target.id, "attribute")
        elif isinstance(stmt, ast.ClassDef) and _public(stmt.name):
            members[stmt.name] = "class"
    return members


def _is_setter(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter") for d in node.decorator_list)


def _instance_attributes(init: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    if not init.args.args:
        return {}
    this = init.args.args[0].arg
    found: dict[str, str] = {}
    for node in ast.walk(init):
        target: ast.expr | None = None
        annotation: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, annotation = node.target, node.annotation
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == this \
                and _public(target.attr):
            found.setdefault(target.attr, "instance attribute" + (f": {ast.unparse(annotation)}"
                                                                  if annotation is not None else ""))
    return found


def differences(definitions: Sequence[Definition]) -> list[dict[str, object]]:
    """Each member whose presence or text is not the same in every definition.

    ``[{"member": "add_connection", "in": {"app.a": "(self, ws) -> None", "app.b": None}}]``:
    one entry per member, ``None`` where a definition lacks it. Sorted by member.
    """
    faces = [(d.module, interface(d)) for d in definitions]
    members = sorted({m for _, face in faces for m in face})
    result: list[dict[str, object]] = []
    for member in members:
        values = {module: face.get(member) for module, face in faces}
        if len(set(values.values())) > 1:
            result.append({"member": member, "in": values})
    return result

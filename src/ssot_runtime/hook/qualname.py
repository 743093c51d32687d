"""3.10: a code object's qualified name (``Service.handle``, ``f.<locals>.<lambda>``).

3.11 keeps it on the code (``co_qualname``); 3.10 has only ``co_name``, and reports keyed by
function would differ by version. The name is found once per site, never per use: from the
source file's syntax tree (read once per file), keyed by the code's first line and name, else
from the function object that runs the code.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from types import CodeType
    from typing import Any

_SCOPES: dict[str, dict[tuple[int, str], str]] = {}
_CACHE_LIMIT = 2000  # files
_COMPREHENSIONS = {"ListComp": "<listcomp>", "SetComp": "<setcomp>", "DictComp": "<dictcomp>",
                   "GeneratorExp": "<genexpr>"}


def qualname(code: CodeType, f_globals: dict[str, Any]) -> str:
    """The qualified name 3.11 would give ``code``; its plain name where none can be found."""
    if code.co_name == "<module>":
        return "<module>"
    found = _scopes(code.co_filename, f_globals).get((code.co_firstlineno, code.co_name))
    return found or _from_function(code) or code.co_name


def _scopes(filename: str, f_globals: dict[str, Any]) -> dict[tuple[int, str], str]:
    scopes = _SCOPES.get(filename)
    if scopes is None:
        if len(_SCOPES) > _CACHE_LIMIT:
            _SCOPES.clear()
        scopes = _SCOPES[filename] = _parse(filename, f_globals)
    return scopes


def _parse(filename: str, f_globals: dict[str, Any]) -> dict[tuple[int, str], str]:
    import ast
    import linecache

    source = "".join(linecache.getlines(filename, f_globals))
    if not source:
        return {}
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return {}
    scopes: dict[tuple[int, str], str] = {}
    _visit(tree, "", scopes, ast)
    return scopes


def _visit(node: ast.AST, prefix: str, scopes: dict[tuple[int, str], str], ast: Any) -> None:
    """Name every scope below ``node`` the way the compiler does, ``prefix`` being the enclosing one."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        name = f"{prefix}{node.name}"
        # A decorated definition's code starts at its first decorator.
        for line in {node.lineno, *(d.lineno for d in node.decorator_list)}:
            scopes.setdefault((line, node.name), name)
        if isinstance(node, ast.ClassDef):
            outer, inner = [*node.decorator_list, *node.bases, *node.keywords], f"{name}."
        else:
            defaults = [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
            outer, inner = [*node.decorator_list, *defaults], f"{name}.<locals>."
        for part in outer:  # evaluated in the enclosing scope
            _visit(part, prefix, scopes, ast)
        for statement in node.body:
            _visit(statement, inner, scopes, ast)
        return
    kind = type(node).__name__
    if kind == "Lambda" or kind in _COMPREHENSIONS:
        code_name = "<lambda>" if kind == "Lambda" else _COMPREHENSIONS[kind]
        name = f"{prefix}{code_name}"
        scopes.setdefault((node.lineno, code_name), name)  # type: ignore[attr-defined]
        prefix = f"{name}.<locals>."
    for child in ast.iter_child_nodes(node):
        _visit(child, prefix, scopes, ast)


def _from_function(code: CodeType) -> str | None:
    """The ``__qualname__`` of a function whose code this is (code made from strings)."""
    import gc

    for referrer in gc.get_referrers(code):
        if getattr(referrer, "__code__", None) is code:
            name = getattr(referrer, "__qualname__", None)
            if isinstance(name, str):
                return name
    return None

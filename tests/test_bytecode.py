"""The bytecode reader against this interpreter's own ``dis``: every import form, both paths."""

from __future__ import annotations

import dis
import sys
from types import CodeType
from typing import Any

import pytest

from ssot_runtime.hook import bytecode as _bytecode

# Many constants first, so that some statements need EXTENDED_ARG for their operands.
PADDING = "\n".join(f"c{n} = {n + 1000}.5" for n in range(300))
STATEMENTS = [
    "import a",
    "import a.b.c",
    "import a.b as c",
    "import a.b.c as d",
    "from a import b",
    "from a import b, c as d",
    "from a.b import *",
    "from . import x",
    "from .m import y",
    "from .. import z",
    "from ...deep.er import w, v",
]


class At:
    """A frame stand-in: the code, an offset and the globals of a module in package ``p.q.r``."""

    def __init__(self, code: CodeType, offset: int) -> None:
        self.f_code, self.f_lasti = code, offset
        self.f_globals: dict[str, Any] = {"__package__": "p.q.r"}


def expected(code: CodeType) -> list[tuple[int, tuple[str, tuple[str, ...] | None], list[int]]]:
    """(IMPORT_NAME offset, statement, IMPORT_FROM offsets of a from-import) as dis reads them."""
    found = []
    instructions = [i for i in dis.get_instructions(code) if i.opname != "EXTENDED_ARG"]
    for n, ins in enumerate(instructions):
        if ins.opname != "IMPORT_NAME":
            continue
        level, fromlist = instructions[n - 2].argval, instructions[n - 1].argval
        name = ins.argval
        if level:
            base = "p.q.r".rsplit(".", level - 1)[0] if level > 1 else "p.q.r"
            name = f"{base}.{name}" if name else base
        froms = []
        if fromlist is not None:
            for later in instructions[n + 1:]:
                if later.opname == "IMPORT_NAME":
                    break
                if later.opname == "IMPORT_FROM":
                    froms.append(later.offset)
        found.append((ins.offset, (name, tuple(fromlist) if fromlist is not None else None), froms))
    return found


RAW_BYTES = pytest.param(True, id="raw-bytes", marks=pytest.mark.skipif(
    not _bytecode.KNOWN, reason="version-specific: the raw-bytes path serves 3.10-3.13 only (dis elsewhere)"))


@pytest.mark.parametrize("known", [RAW_BYTES, pytest.param(False, id="dis")])
@pytest.mark.parametrize("where", ["module", "function"])
def test_every_import_form_reads_as_dis_says(known: bool, where: str) -> None:
    body = "\n".join(STATEMENTS)
    source = f"{PADDING}\n{body}\n" if where == "module" else \
        f"{PADDING}\ndef f():\n" + "\n".join(f"    {s}" for s in STATEMENTS if "*" not in s) + "\n"
    code = compile(source, "<statements>", "exec")
    if where == "function":
        code = next(c for c in code.co_consts if isinstance(c, CodeType))
    cases = expected(code)
    assert len(cases) == len([s for s in STATEMENTS if where == "module" or "*" not in s])
    for offset, statement, froms in cases:
        assert _bytecode.import_statement(At(code, offset), known=known) == statement
        for at in froms:
            assert _bytecode.from_import_offset(At(code, at), known=known) == offset
    # `import a.b as c` reads its submodule with IMPORT_FROM: not a from-import.
    for ins in dis.get_instructions(code):
        if ins.opname == "IMPORT_FROM" and all(ins.offset not in f for _, _, f in cases):
            assert _bytecode.from_import_offset(At(code, ins.offset), known=known) is None


def test_other_instructions_are_no_import_statement() -> None:
    code = compile("import importlib\nimportlib.import_module('a')\nx = importlib.util\n", "<s>", "exec")
    for ins in dis.get_instructions(code):
        if ins.opname != "IMPORT_NAME":
            assert _bytecode.import_statement(At(code, ins.offset)) is None
            assert _bytecode.import_statement(At(code, ins.offset), known=False) is None


def test_this_interpreters_bytecode_is_known_or_read_through_dis() -> None:
    # A version this code was not checked against must take the exact (dis) path.
    assert ((3, 10) <= sys.version_info[:2] <= (3, 13)) == _bytecode.KNOWN


def test_the_import_stack_is_the_one_read_at_known_depths(tmp_path: Any) -> None:
    """``Binding.loaded`` reads the importer at fixed depths below ``exec_module`` (and walks the
    whole stack when they do not hold): they must hold on every supported version."""
    import importlib
    import importlib.abc
    import importlib.util

    seen: list[list[str]] = []

    class Loader(importlib.abc.Loader):
        def create_module(self, spec: Any) -> None:
            return None

        def exec_module(self, module: Any) -> None:
            frame = sys._getframe(0)
            names = []
            for _ in range(7):
                names.append(frame.f_code.co_name)
                frame = frame.f_back
            seen.append(names)

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name in ("probe_pkg", "probe_pkg.child"):
                return importlib.util.spec_from_loader(name, Loader(), is_package=name == "probe_pkg")
            return None

    def load(how: str) -> tuple[list[str], list[str]]:
        seen.clear()
        sys.meta_path.insert(0, finder)
        try:
            if how == "statement":
                import probe_pkg.child  # noqa: F401
            else:
                importlib.import_module("probe_pkg.child")
        finally:
            sys.meta_path.remove(finder)
            sys.modules.pop("probe_pkg.child", None)
            sys.modules.pop("probe_pkg", None)
        parent, child = seen
        return parent, child

    finder = Finder()
    chain = ["exec_module", "_load_unlocked", "_find_and_load_unlocked", "_find_and_load"]
    parent, child = load("statement")
    assert child[:5] == [*chain, "load"]
    # The parent, imported on the way to the child (not a use of its own): below the child's
    # _find_and_load_unlocked; through import_module, with _gcd_import between.
    assert parent[:6] == [*chain, "_call_with_frames_removed", "_find_and_load_unlocked"]
    parent, child = load("import_module")
    assert child[:5] == [*chain, "_gcd_import"]
    assert parent[:7] == [*chain, "_gcd_import", "_call_with_frames_removed", "_find_and_load_unlocked"]

"""Star imports and ``inspect`` read every name of a module: never a use of a name, never refused."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from ssot_runtime import LegacyImportError, LegacyImportWarning
from ssot_runtime.testing import capture

from .conftest import Tree
from .test_counting import line_of, run

MODELS = {
    "shop/__init__.py": "",
    "shop/core/__init__.py": "",
    # The alias line stays: the live module's own dict still has the legacy name.
    "shop/core/models.py": "class Order:\n    pass\n\nLegacyOrder = Order\n",
}
MODES = ("redirect", "warn", "observe", "error")


@pytest.mark.parametrize("mode", MODES)
def test_a_star_import_and_getmembers_of_a_live_module_are_no_use(make_tree: Tree, tmp_path: Path, mode: str) -> None:
    make_tree(MODELS)
    user = tmp_path / f"user_star_{mode}.py"
    config = {"mode": mode, "redirects": {"shop.core.models:LegacyOrder": "shop.core.models:Order"}}
    with warnings.catch_warnings(record=True) as caught, capture(config) as uses:
        warnings.simplefilter("always")
        ns = run("""
            import inspect
            from shop.core.models import *
            import shop.core.models
            members = dict(inspect.getmembers(shop.core.models))
            """, user)
        order = sys.modules["shop.core.models"].Order
        assert ns["LegacyOrder"] is order and ns["members"]["LegacyOrder"] is order
        if mode == "error":
            with pytest.raises(LegacyImportError):
                run("import shop.core.models\nshop.core.models.LegacyOrder\n", tmp_path / "user_read.py")
        else:
            run("import shop.core.models\nshop.core.models.LegacyOrder\n", tmp_path / "user_read.py")
    assert [(r.symbol, Path(r.file).name, r.line, r.count) for r in uses.records] == [
        ("LegacyOrder", "user_read.py", 2, 1)]
    assert [w for w in caught if issubclass(w.category, LegacyImportWarning) and w.filename != str(
        tmp_path / "user_read.py")] == []
    assert uses.hook.internal_errors == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_star_import_of_a_redirected_module_is_one_use_of_the_module(make_tree: Tree, tmp_path: Path,
                                                                       mode: str) -> None:
    """Its names (renamed ones too, even refused ones) are read by the star import: no use of each."""
    make_tree({**MODELS, "old/__init__.py": "", "old/mod.py": "from shop.core.models import *\n"})
    user = tmp_path / f"user_star_redirect_{mode}.py"
    config = {"mode": "redirect", "redirects": {
        "old.mod": {"to": "shop.core.models", "mode": mode},
        "old.mod:Legacy": {"to": "shop.core.models:Order", "mode": "error"}}}
    source = """
        import inspect
        for _ in range(3):
            from old.mod import *
        import old.mod
        members = dict(inspect.getmembers(old.mod))
        """
    with warnings.catch_warnings(), capture(config) as uses:
        warnings.simplefilter("ignore")
        if mode == "error":
            with pytest.raises(LegacyImportError):
                run(source, user)
            return
        ns = run(source, user)
        order = sys.modules["shop.core.models"].Order
        assert ns["Order"] is order
        # A redirected module's `__all__` and dir() have the renamed name; a shim (observe) may not.
        assert ns.get("Legacy", order) is order and ns["members"].get("Legacy", order) is order
    assert {(r.symbol, r.line): r.count for r in uses.records} == {
        (None, line_of(user, "import *")): 3, (None, line_of(user, "import old.mod")): 1}
    assert uses.hook.internal_errors == 0


@pytest.mark.parametrize("known", [True, False], ids=["raw-bytes", "dis"])
def test_the_star_import_instruction_is_found_on_both_paths(known: bool) -> None:
    import dis
    from types import SimpleNamespace

    from ssot_runtime.hook.bytecode import is_star_import

    code = compile("from m import *\nfrom m import a\n", "<star>", "exec")
    offsets = {i.offset: i.opname for i in dis.get_instructions(code)}
    star = [o for o, name in offsets.items() if name in ("IMPORT_STAR", "CALL_INTRINSIC_1")]
    assert len(star) == 1
    assert [o for o in offsets if is_star_import(SimpleNamespace(f_code=code, f_lasti=o), known=known)] == star

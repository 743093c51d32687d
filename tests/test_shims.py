"""Compatibility shims under observe mode: they run their own code, and their uses are counted exactly."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from ssot_runtime.testing import capture

from .conftest import Tree
from .test_counting import line_of, run

CANON = {"shop/__init__.py": "", "shop/canon.py": "class Manager:\n    pass\n"}
# A PEP 562 shim that looks its names up in a dict (KeyError for anything else), and one that
# warns for every name it is asked.
DICT_SHIM = """
    import importlib
    CALLS = []
    _MOVED = {"Old": ("shop.canon", "Manager")}

    def __getattr__(name):
        CALLS.append(name)
        module, attr = _MOVED[name]
        return getattr(importlib.import_module(module), attr)
"""
WARNING_SHIM = """
    import warnings
    import shop.canon
    CALLS = []

    def __getattr__(name):
        CALLS.append(name)
        warnings.warn(f"shop.lazy.{name} moved to shop.canon", DeprecationWarning, stacklevel=2)
        return getattr(shop.canon, name)
"""


def test_observing_a_pep_562_shim_never_asks_its_getattr_for_dunders(make_tree: Tree, tmp_path: Path) -> None:
    make_tree({**CANON, "shop/lazy.py": DICT_SHIM,
               "shop/warning.py": WARNING_SHIM.replace("shop.lazy", "shop.warning")})
    user = tmp_path / "user_lazy.py"
    config = {"mode": "observe", "redirects": {"shop.lazy": "shop.canon", "shop.warning": "shop.canon"}}
    with warnings.catch_warnings(record=True) as caught, capture(config) as uses:
        warnings.simplefilter("always")
        ns = run("""
            import shop.lazy
            import shop.warning
            old = shop.lazy.Old
            manager = shop.warning.Manager
            """, user)
        assert ns["old"] is ns["manager"] is sys.modules["shop.canon"].Manager
    assert sys.modules["shop.lazy"].CALLS == ["Old"] and sys.modules["shop.warning"].CALLS == ["Manager"]
    assert [str(w.message) for w in caught] == ["shop.warning.Manager moved to shop.canon"]
    assert uses.hook.internal_errors == 0
    assert {(r.legacy, r.symbol, r.line): r.count for r in uses.records} == {
        ("shop.lazy", None, line_of(user, "import shop.lazy")): 1,
        ("shop.warning", None, line_of(user, "import shop.warning")): 1,
        ("shop.lazy", "Old", line_of(user, "shop.lazy.Old")): 1,
        ("shop.warning", "Manager", line_of(user, "shop.warning.Manager")): 1}

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


def _run_app(root: Path, *, hooked: bool) -> str:
    """``python app.py`` in a real process with the default warning filters; its stderr."""
    import os
    import subprocess

    import ssot_runtime

    from .projects import clean_env

    src = os.path.dirname(os.path.dirname(ssot_runtime.__file__))
    env = clean_env(PYTHONPATH=os.pathsep.join([str(root), src]), PYTHONWARNINGS="")
    env.pop("PYTHONWARNINGS")
    if hooked:
        env["SSOT_RUNTIME_CONFIG"] = str(root / "ssot-runtime.toml")
    launcher = ("import runpy, ssot_runtime\nhook = ssot_runtime.process_startup()\n"
                "runpy.run_path('app.py', run_name='__main__')\n"
                "assert hook is None or hook.internal_errors == 0\n"
                "print(sorted((r.legacy, r.symbol or '', r.line, r.count) for r in hook.snapshot()) if hook else '')\n")
    result = subprocess.run([sys.executable, "-c", launcher], cwd=root, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr + result.stdout


def test_a_shims_own_deprecation_warning_points_at_the_importing_line(tmp_path: Path) -> None:
    """``warnings.warn(..., stacklevel=2)`` in a shim's body, its ``__getattr__`` or a live module's
    body points at the user's line as without the hook (and is shown there by default filters)."""
    import textwrap

    root = tmp_path / "proj"
    files = {
        "pkg/__init__.py": "",
        "pkg/canon.py": "class New:\n    pass\n",
        "pkg/shim.py": """
            import warnings
            warnings.warn("pkg.shim is deprecated: use pkg.canon", DeprecationWarning, stacklevel=2)
            from pkg.canon import New
        """,
        "pkg/lazy.py": """
            import warnings

            def __getattr__(name):
                if name == "Old":
                    warnings.warn("pkg.lazy.Old moved to pkg.canon.New", DeprecationWarning, stacklevel=2)
                    from pkg.canon import New
                    return New
                raise AttributeError(name)
        """,
        "pkg/livemod.py": """
            import warnings
            warnings.warn("pkg.livemod is going away", DeprecationWarning, stacklevel=2)
            from pkg.canon import New as Old
        """,
        "app.py": "import pkg.shim\nimport pkg.lazy\npkg.lazy.Old\nimport pkg.livemod\npkg.livemod.Old\n",
        "ssot-runtime.toml": 'mode = "observe"\nexporters = []\n[redirects]\n"pkg.shim" = "pkg.canon"\n'
                             '"pkg.lazy" = "pkg.canon"\n"pkg.livemod:Old" = "pkg.canon:New"\n',
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    plain, hooked = _run_app(root, hooked=False), _run_app(root, hooked=True)
    assert plain.splitlines()[::2] == [
        "app.py:1: DeprecationWarning: pkg.shim is deprecated: use pkg.canon",
        "app.py:3: DeprecationWarning: pkg.lazy.Old moved to pkg.canon.New",
        "app.py:4: DeprecationWarning: pkg.livemod is going away", ""]
    assert hooked.splitlines()[:-1] == plain.splitlines()[:-1]
    assert hooked.splitlines()[-1] == str([("pkg.lazy", "", 2, 1), ("pkg.lazy", "Old", 3, 1),
                                           ("pkg.livemod", "Old", 5, 1), ("pkg.shim", "", 1, 1)])


def test_a_shim_that_puts_the_canonical_module_in_sys_modules_is_counted_exactly(make_tree: Tree,
                                                                                 tmp_path: Path) -> None:
    """``sys.modules[__name__] = pkg.canon``: the replacement is the canonical module, counted as a redirect."""
    make_tree({
        "pkg/__init__.py": "",
        "pkg/canon.py": "class New:\n    pass\n\ndef make():\n    return New()\n",
        "pkg/shim_sys.py": "import sys\nimport pkg.canon\nsys.modules[__name__] = pkg.canon\n",
    })
    user = tmp_path / "user_shim_sys.py"
    config = {"mode": "observe", "redirects": {"pkg.shim_sys": "pkg.canon"}}
    with capture(config) as uses:
        ns = run("""
            from pkg.shim_sys import New
            import pkg.shim_sys as shim
            shim.make()
            for _ in range(3):
                from pkg.shim_sys import New
                import pkg.shim_sys
            """, user)
        canon = sys.modules["pkg.canon"]
        assert ns["New"] is canon.New and ns["shim"].New is canon.New and type(ns["shim"].make()) is canon.New
        assert canon.__spec__.name == "pkg.canon" and canon.__name__ == "pkg.canon"
    assert uses.hook.internal_errors == 0
    assert {(r.symbol, r.line): r.count for r in uses.records if r.file == str(user)} == {
        ("New", line_of(user, "from pkg.shim_sys import New")): 1,
        (None, line_of(user, "import pkg.shim_sys as shim")): 1,
        ("make", line_of(user, "shim.make()")): 1,
        ("New", line_of(user, "    from pkg.shim_sys import New")): 3,
        (None, line_of(user, "    import pkg.shim_sys")): 3}
    assert {(r.legacy, r.canonical, r.mode) for r in uses.records} == {("pkg.shim_sys", "pkg.canon", "observe")}


def test_a_shim_that_puts_an_object_in_sys_modules_counts_its_first_import_and_says_so(tmp_path: Path) -> None:
    """No module object of ours can stand in for an arbitrary object: the path must still not look unused."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "canon.py").write_text("class New:\n    pass\n")
    (root / "pkg" / "callable_shim.py").write_text(
        "import sys\nimport pkg.canon\n\nclass _Shim:\n    New = pkg.canon.New\n\n"
        "    def __call__(self):\n        return 1\n\nsys.modules[__name__] = _Shim()\n")
    (root / "app.py").write_text("from pkg.callable_shim import New\nimport pkg.callable_shim\n")
    (root / "ssot-runtime.toml").write_text(
        'mode = "observe"\nexporters = []\n[redirects]\n"pkg.callable_shim" = "pkg.canon"\n')
    out = _run_app(root, hooked=True).splitlines()
    assert out[-1] == str([("pkg.callable_shim", "", 1, 1)])
    assert out[0] == ("ssot-runtime: 'pkg.callable_shim' put a _Shim in its place in sys.modules: only its first "
                      "import is counted, later uses of it are lost")

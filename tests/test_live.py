"""Symbol rules on live modules: modules that still exist, of which only some names moved."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from pathlib import Path

import pytest

import ssot_runtime
from ssot_runtime import LegacyImportError, LegacyImportWarning
from ssot_runtime.testing import capture

from .conftest import Tree
from .test_counting import line_of, run

SHOP = {
    "shop/__init__.py": "PACKAGE_VALUE = 'pkg'\n",
    "shop/canon.py": """
        class Manager:
            pass

        def get_manager():
            return "canonical"
    """,
    "shop/live.py": """
        KEEP = "keep"

        def own_view():
            return globals().get("OldManager", "absent")
    """,
    "shop/compat.py": """
        class OldManager:  # the file still defines the old name itself
            pass

        def own_view():
            return OldManager
    """,
    "shop/lazy.py": """
        CALLS = []

        def __getattr__(name):
            CALLS.append(name)
            if name == "OldManager":
                from shop.canon import Manager
                return Manager
            if name == "Lazy":
                return "lazy"
            raise AttributeError(name)
    """,
}
NON_ERROR = ("redirect", "warn", "observe")
ALL_MODES = (*NON_ERROR, "error")


def config(mode: str, **extra: object) -> dict[str, object]:
    return {"mode": mode, **extra, "redirects": {
        "shop.live:OldManager": "shop.canon:Manager",
        "shop.compat:OldManager": "shop.canon:Manager",
        "shop.lazy:OldManager": "shop.canon:Manager",
        "shop:get_manager": "shop.canon:get_manager",
    }}


@pytest.fixture
def shop(make_tree: Tree) -> Path:
    return make_tree(SHOP)


def canon() -> object:
    return importlib.import_module("shop.canon").Manager


@pytest.mark.parametrize("mode", NON_ERROR)
def test_every_form_gives_the_canonical_object_and_counts_each_site(shop: Path, tmp_path: Path,
                                                                   mode: str) -> None:
    user = tmp_path / f"user_{mode}.py"
    source = """
        import importlib, pkgutil
        from unittest import mock
        import shop.live
        import shop.live as m
        import shop.canon

        def reads():
            out = []
            for _ in range(3):
                out.append(shop.live.OldManager)  # attribute
            out.append(getattr(m, "OldManager"))  # getattr
            from shop.live import OldManager  # from-import
            out.append(OldManager)
            out.append(m.OldManager)  # alias
            out.append(pkgutil.resolve_name("shop.live:OldManager"))  # string
            return out

        def patched():
            with mock.patch("shop.live.OldManager") as fake:  # mock.patch
                return fake, shop.canon.Manager

        A = reads()
        B = reads()
        C = patched()
    """
    with capture(config(mode)) as uses:
        ns = run(source, user)
        manager = canon()
        assert all(value is manager for value in [*ns["A"], *ns["B"]])  # type: ignore[misc]
        fake, seen = ns["C"]  # type: ignore[misc]
        assert seen is fake and sys.modules["shop.canon"].Manager is manager  # patched, then restored
    expected = {"# attribute": 6, "# getattr": 2, "# from-import": 2, "# alias": 2, "# string": 2, "# mock.patch": 1}
    for marker, count in expected.items():
        assert uses.count("shop.live", "OldManager", line=line_of(user, marker)) == count, marker
    assert uses.count("shop.live") == sum(expected.values())
    assert {r.canonical for r in uses.records} == {"shop.canon"} and {r.mode for r in uses.records} == {mode}
    assert uses.count("shop.live", None) == 0  # importing a live module is no use


def test_the_module_stays_itself(shop: Path) -> None:
    with capture(config("redirect")):
        import shop.live as live

        assert live.__spec__.origin == str(shop / "shop" / "live.py")
        assert live.__file__ == str(shop / "shop" / "live.py")
        assert live.__loader__ is live.__spec__.loader
        assert type(live.__loader__).__name__ == "SourceFileLoader"
        assert live.KEEP == "keep" and "OldManager" not in vars(live)
        assert live.own_view() == "absent"  # its own code reads its own globals
        assert isinstance(live, type(sys))
        importlib.reload(live)  # its own loader runs it again; the legacy name stays handled
        assert live.OldManager is canon() and live.__loader__ is live.__spec__.loader
        assert type(live.__loader__).__name__ == "SourceFileLoader"
    assert type(live) is type(sys) and not hasattr(live, "OldManager")
    importlib.reload(live)
    assert live.KEEP == "keep"


@pytest.mark.parametrize("mode", NON_ERROR)
def test_a_compatibility_line_keeps_the_modules_own_value(shop: Path, tmp_path: Path, mode: str) -> None:
    user = tmp_path / "user_compat.py"
    with capture(config(mode)) as uses:
        ns = run("import shop.compat\nVALUE = shop.compat.OldManager  # read\n"
                 "from unittest import mock\nwith mock.patch('shop.compat.OldManager') as FAKE:  # patch\n"
                 "    SEEN = shop.compat.own_view()\n", user)
        compat = sys.modules["shop.compat"]
        assert ns["VALUE"] is vars(compat)["OldManager"] is not canon()
        assert ns["SEEN"] is ns["FAKE"]  # the module's own global was patched
        assert compat.own_view() is ns["VALUE"]  # and restored
    assert uses.count("shop.compat", "OldManager", line=2) == 1
    assert uses.count("shop.compat", "OldManager", line=4) == 1


@pytest.mark.parametrize("mode", NON_ERROR)
def test_a_module_with_its_own_getattr_is_counted_once(shop: Path, tmp_path: Path, mode: str) -> None:
    user = tmp_path / "user_lazy.py"
    with capture(config(mode)) as uses:
        ns = run("import shop.lazy\nA = shop.lazy.OldManager\nB = shop.lazy.Lazy\n", user)
        lazy = sys.modules["shop.lazy"]
        assert ns["A"] is canon() and ns["B"] == "lazy"
        assert lazy.CALLS == ["OldManager", "Lazy"]  # its own hook ran once for each
        with pytest.raises(AttributeError):
            lazy.Missing  # noqa: B018
    assert uses.count("shop.lazy", "OldManager") == 1 and uses.count("shop.lazy") == 1


@pytest.mark.parametrize("mode", NON_ERROR)
def test_from_a_live_package_counts_once(shop: Path, tmp_path: Path, mode: str) -> None:
    user = tmp_path / "user_pkg.py"
    with capture(config(mode)) as uses:
        ns = run("from shop import get_manager, PACKAGE_VALUE\n", user)
        assert ns["get_manager"] is sys.modules["shop.canon"].get_manager
        assert ns["PACKAGE_VALUE"] == "pkg"
    assert uses.count("shop", "get_manager", line=1) == 1 and uses.count() == 1


@pytest.mark.parametrize("mode", ALL_MODES)
def test_imported_before_install_and_restored_by_uninstall(shop: Path, tmp_path: Path, mode: str) -> None:
    import shop.live as live

    before_dict, before_class = dict(vars(live)), type(live)
    hook = ssot_runtime.install({**config(mode), "exporters": []})
    try:
        if mode == "error":
            with pytest.raises(LegacyImportError):
                live.OldManager  # noqa: B018
        else:
            assert live.OldManager is canon()
        assert live.KEEP == "keep"
        assert sum(r.count for r in hook.snapshot()) == 1
    finally:
        hook.uninstall()
    assert type(live) is before_class and vars(live) == before_dict
    assert not hasattr(live, "OldManager")
    with pytest.raises(ImportError):
        exec("from shop.live import OldManager", {})


def test_error_mode_refuses_every_form_and_counts_each(shop: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_error.py"
    source = """
        import pkgutil
        import shop.live as m
        from unittest import mock

        def attempt(fn):
            try:
                fn()
            except ImportError as exc:
                return exc
        ERRORS = [
            attempt(lambda: m.OldManager),  # attribute
            attempt(lambda: getattr(m, "OldManager")),  # getattr
            attempt(lambda: exec("from shop.live import OldManager", {})),
            attempt(lambda: mock.patch("shop.live.OldManager").start()),  # mock
            attempt(lambda: exec("from shop import get_manager", {})),
            attempt(lambda: pkgutil.resolve_name("shop.live:OldManager")),  # string
        ]
        KEEP = m.KEEP
    """
    with capture(config("error")) as uses:
        ns = run(source, user)
    errors = ns["ERRORS"]
    assert all(isinstance(e, LegacyImportError) for e in errors)  # type: ignore[attr-defined]
    assert "shop.live.OldManager was removed: use shop.canon.Manager" in str(errors[0])  # type: ignore[index]
    assert ns["KEEP"] == "keep"
    assert uses.count("shop.live", "OldManager", line=line_of(user, "# attribute")) == 1
    assert uses.count("shop.live", "OldManager", line=line_of(user, "# getattr")) == 1
    assert uses.count("shop.live", "OldManager", line=line_of(user, "# mock")) == 1
    assert uses.count("shop.live", "OldManager", line=line_of(user, "# string")) == 1
    assert uses.count("shop.live", "OldManager") == 5 and uses.count("shop", "get_manager") == 1
    assert {r.mode for r in uses.records} == {"error"}


def test_warn_mode_warns_at_the_users_line_once_per_site(shop: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_warn.py"
    warnings.resetwarnings()
    cfg = {**config("warn"), "redirects": {"shop.live:OldManager": {"to": "shop.canon:Manager", "note": "see #7"}}}
    with capture(cfg) as uses, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        run("import shop.live\nfor _ in range(3):\n    shop.live.OldManager\n", user)
    ours = [w for w in caught if issubclass(w.category, LegacyImportWarning)]
    assert len(ours) == 1 and ours[0].filename == str(user) and ours[0].lineno == 3
    assert "'shop.live.OldManager' is a legacy import path; use 'shop.canon.Manager' instead (see #7)" \
        in str(ours[0].message)
    assert uses.count("shop.live", "OldManager", line=3) == 3


@pytest.mark.parametrize(("enforce", "refused"), [(True, True), (False, False)])
def test_deadlines_turn_warn_into_error(shop: Path, enforce: bool, refused: bool) -> None:
    cfg = {"mode": "warn", "enforce_deadlines": enforce, "redirects": {
        "shop.live:OldManager": {"to": "shop.canon:Manager", "remove_after": "2001-01-01"}}}
    with capture(cfg) as uses:
        import shop.live

        if refused:
            with pytest.raises(LegacyImportError):
                shop.live.OldManager  # noqa: B018
        else:
            assert shop.live.OldManager is canon()
    assert uses.count("shop.live", "OldManager") == 1
    assert uses.records[0].mode == ("error" if refused else "warn")


def test_modules_without_legacy_names_are_untouched(shop: Path) -> None:
    with capture(config("redirect")):
        import shop.canon

        assert type(shop.canon) is type(sys)
        assert pkgutil.resolve_name("shop.canon:Manager") is canon()


def test_a_misspelled_canonical_name_is_an_attribute_error(make_tree: Tree) -> None:
    make_tree({"shop/__init__.py": "", "shop/canon.py": "class Manager: pass\n", "shop/live.py": "X = 1\n"})
    with capture({"redirects": {"shop.live:Old": "shop.canon:Managr"}}):
        import shop.live

        with pytest.raises(AttributeError):  # `ssot-runtime config` names the misspelling
            shop.live.Old  # noqa: B018
        assert shop.live.X == 1


def test_in_a_real_process_started_with_the_live_module_already_imported(shop: Path, tmp_path: Path) -> None:
    """As under sitecustomize or a test runner: the module is loaded before the hook starts."""
    import json
    import os
    import subprocess
    import textwrap

    rules = '[redirects]\n"shop.live:OldManager" = "shop.canon:Manager"\n'
    (shop / "ssot-runtime.toml").write_text("exporters = []\n" + rules)
    script = textwrap.dedent("""
        import json, sys
        import shop.live
        import ssot_runtime
        hook = ssot_runtime.process_startup()
        from shop.live import OldManager
        import shop.canon
        same = [OldManager is shop.canon.Manager, shop.live.OldManager is shop.canon.Manager]
        counts = sorted((r.symbol, r.line, r.count) for r in hook.snapshot())
        hook.uninstall()
        print(json.dumps({"same": same, "counts": counts, "restored": type(shop.live) is type(sys)}))
    """)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")},
           "SSOT_RUNTIME_CONFIG": str(shop / "ssot-runtime.toml"), "PYTHONPATH": str(shop)}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"same": [True, True], "counts": [["OldManager", 6, 1], ["OldManager", 8, 1]], "restored": True}


def test_sites_at_the_same_offset_in_two_functions_are_counted_apart(shop: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_offsets.py"
    source = ("import shop.live\n\ndef a():\n    return shop.live.OldManager\n\n"
              "def b():\n    return shop.live.OldManager\n\nfor _ in range(5):\n    a(); b(); b()\n")
    with capture(config("redirect")) as uses:
        run(source, user)
    assert uses.count("shop.live", "OldManager", line=4) == 5
    assert uses.count("shop.live", "OldManager", line=7) == 10

"""The hook beside the rest of the import system and the tools that poke at modules."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pickle
import runpy
import sys
import zipfile
from pathlib import Path
from unittest import mock

import pytest
import wrapt

import ssot_runtime
from ssot_runtime.testing import capture

from .conftest import CONFIG, Tree

LEGACY = "app.ws.unified_manager"


def test_find_spec_gives_a_spec_for_the_legacy_name(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG):
        spec = importlib.util.find_spec(LEGACY)
        assert spec is not None and spec.name == LEGACY
        assert importlib.util.find_spec("app.legacy.models").name == "app.legacy.models"  # type: ignore[union-attr]
        assert importlib.util.find_spec("app.ws.nothing_here") is None
        import app.ws.unified_manager as legacy

        assert importlib.util.find_spec(LEGACY) is legacy.__spec__


def test_pickle_uses_canonical_names_and_loads_old_pickles(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG) as hook:
        from app.ws.unified_manager import UnifiedWebSocketManager

        data = pickle.dumps(UnifiedWebSocketManager())
        assert b"app.ws.websocket_manager" in data and b"unified_manager" not in data
        # An old pickle, written when the class lived at the legacy path (protocol 0 is text).
        old = pickle.dumps(UnifiedWebSocketManager(), protocol=0).replace(
            b"app.ws.websocket_manager\nWebSocketManager", b"app.ws.unified_manager\nUnifiedWebSocketManager")
        assert b"unified_manager" in old
        restored = pickle.loads(old)
        assert type(restored) is UnifiedWebSocketManager
        assert pickle.loads(pickle.dumps(restored)).__class__ is UnifiedWebSocketManager
        pickle.whichmodule(lambda: None, "nothing")  # walks every module in sys.modules
        assert hook.internal_errors == 0


def test_mock_patch_of_a_legacy_path_patches_the_canonical_object(app: Path) -> None:
    with capture(CONFIG) as uses:
        import app.ws.unified_manager as legacy
        import app.ws.websocket_manager as canonical

        original = canonical.helper
        with mock.patch("app.ws.unified_manager.helper", return_value="patched"):
            assert canonical.helper() == "patched"
            assert legacy.helper() == "patched"
        assert canonical.helper is original and legacy.helper is original
        with mock.patch("app.ws.unified_manager.UnifiedWebSocketManager") as fake:
            assert canonical.WebSocketManager is fake
        assert canonical.WebSocketManager.__name__ == "WebSocketManager"
    # mock.patch resolves the dotted string: attributed to this test, not to unittest.mock.
    assert {r.file for r in uses.records} == {__file__}


def test_one_mock_patch_of_a_legacy_name_is_one_use_of_that_name(app: Path) -> None:
    import sys as _sys

    with capture(CONFIG) as uses:
        for _ in range(3):  # the first patch imports the legacy module; the others find it cached
            line = _sys._getframe().f_lineno + 1
            with mock.patch("app.ws.unified_manager.helper", return_value="patched"):
                pass
        by_object = _sys._getframe().f_lineno + 1
        with mock.patch.object(_sys.modules["app.ws.unified_manager"], "CONSTANT", 7):
            pass

        @mock.patch("app.ws.unified_manager.WebSocketManager")
        def decorated(fake: object) -> None:
            pass

        called = _sys._getframe().f_lineno + 1
        decorated()  # mock enters the patch through contextlib's ExitStack: still the caller's line
    counts = {(r.symbol, r.line): r.count for r in uses.records}
    # No module use: the patch names `helper`, and mock's own import of the module is how it gets there.
    assert counts == {("helper", line): 3, ("CONSTANT", by_object): 1, ("WebSocketManager", called): 1}


def test_inspect_getmodule_finds_canonical_modules(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG):
        import app.ws.unified_manager as legacy
        import app.ws.websocket_manager as canonical

        assert inspect.getmodule(legacy.WebSocketManager) is canonical
        assert inspect.getmodule(canonical.helper) is canonical
        assert inspect.getmodule(canonical.helper.__code__) is canonical
        assert inspect.getsource(legacy.helper).startswith("def helper")


def test_canonical_module_in_a_zip_file(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped/__init__.py", "")
        zf.writestr("zipped/canonical.py", "VALUE = 'from zip'\n")
    sys.path.insert(0, str(archive))
    config = {"redirects": {"zipped.legacy": "zipped.canonical"}}
    with capture(config) as uses:
        from zipped.legacy import VALUE

        assert VALUE == "from zip"
        assert type(sys.modules["zipped.canonical"].__loader__).__name__ == "zipimporter"
    assert uses.count("zipped.legacy", "VALUE") == 1


def test_namespace_packages_on_both_sides(make_tree: Tree) -> None:
    make_tree({"nsnew/core/impl.py": "VALUE = 'ns'\n", "nsold/placeholder.txt": ""})
    config = {"redirects": {"nsold.*": "nsnew.*"}}
    with capture(config) as uses:
        from nsold.core.impl import VALUE

        assert VALUE == "ns"
        assert sys.modules["nsnew.core"].__spec__.loader is not None or True
        import nsold.core

        assert nsold.core.impl is sys.modules["nsold.core.impl"]
    assert uses.count("nsold.core.impl", "VALUE") == 1


def test_runpy_runs_the_canonical_module_as_main(make_tree: Tree) -> None:
    make_tree({
        "tool/__init__.py": "",
        "tool/cli.py": "import sys\nRAN = __name__\nsys.modules.setdefault('_ssot_ran', sys)\n",
    })
    config = {"redirects": {"tool.oldcli": "tool.cli"}}
    with capture(config) as uses:
        result = runpy.run_module("tool.oldcli", run_name="__main__")
    assert result["RAN"] == "__main__"
    assert uses.count("tool.oldcli", None) == 1


def test_beside_pytest_assertion_rewriting_and_distutils_hack(app: Path) -> None:
    kinds = [type(f).__name__ for f in sys.meta_path]
    assert "AssertionRewritingHook" in kinds  # pytest's own finder is there in this run
    import _distutils_hack as distutils_hack  # setuptools is a dev dependency: on every version
    shim = distutils_hack.DistutilsMetaFinder()
    sys.meta_path.insert(0, shim)
    with capture(CONFIG) as uses:
        assert sys.meta_path[0] is not shim
        import app.ws.unified_manager  # noqa: F401

        # Our finder answers first, the others still answer for their names.
        assert importlib.import_module("json").dumps([]) == "[]"
    assert uses.count(LEGACY) == 1


def test_wrapt_post_import_hooks_fire_for_legacy_names(app: Path) -> None:
    seen: list[str] = []
    with ssot_runtime.tracking(CONFIG):
        wrapt.register_post_import_hook(lambda module: seen.append(module.__name__), LEGACY)
        import app.ws.unified_manager  # noqa: F401
    assert seen == [LEGACY]


def test_legacy_names_whose_parent_package_is_gone(make_tree: Tree) -> None:
    make_tree({"newpkg/__init__.py": "", "newpkg/canonical.py": "VALUE = 'v'\n"})
    config = {"redirects": {"gone.deeper.legacy": "newpkg.canonical"}}
    with capture(config) as uses:
        from gone.deeper.legacy import VALUE

        assert VALUE == "v"
        import gone.deeper.legacy as legacy

        assert legacy.VALUE == "v"
        with pytest.raises(ModuleNotFoundError):
            import gone.other  # noqa: F401
    assert "gone" not in sys.modules and "gone.deeper" not in sys.modules
    assert {r.legacy for r in uses.records} == {"gone.deeper.legacy"}
    assert uses.count("gone.deeper.legacy", "VALUE") == 2


def test_existing_parent_packages_stay_real(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG):
        import app.ws as ws
        import app.ws.unified_manager  # noqa: F401

        assert ws.__file__.endswith("__init__.py")
        assert type(ws.__path__) is list

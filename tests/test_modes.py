"""The four modes: redirect, warn, error, observe."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import ssot_runtime
from ssot_runtime import LegacyImportError, LegacyImportWarning
from ssot_runtime.testing import capture

from .conftest import CONFIG, Tree, execs
from .test_counting import line_of, run

LEGACY = "app.ws.unified_manager"


# -- redirect ---------------------------------------------------------------------------------
def test_redirect_gives_the_canonical_objects_and_runs_no_body_twice(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG):
        import app.ws.unified_manager as legacy
        import app.ws.websocket_manager as canonical
        from app.ws.unified_manager import UnifiedWebSocketManager

        assert legacy.helper is canonical.helper
        assert UnifiedWebSocketManager is canonical.WebSocketManager
        assert isinstance(canonical.WebSocketManager(), UnifiedWebSocketManager)
        assert legacy.WebSocketManager is canonical.WebSocketManager
        assert execs() == ["app.ws.websocket_manager"]
        assert sys.modules[LEGACY] is legacy


def test_canonical_modules_stay_untouched(app: Path) -> None:
    import app.core as core
    import app.core.models as models

    spec, name, loader = core.__spec__, core.__name__, core.__loader__
    with ssot_runtime.tracking(CONFIG):
        import app.legacy.deep.leaf
        import app.legacy.models

        assert core.__spec__ is spec and core.__name__ == name and core.__loader__ is loader
        assert core.models is sys.modules["app.core.models"] is models
        assert core.deep is sys.modules["app.core.deep"]
        assert core.deep.leaf is sys.modules["app.core.deep.leaf"]
        assert models.__spec__.name == "app.core.models"
        assert app.legacy.models.VALUE == 1  # type: ignore[attr-defined]


def test_reload_of_the_canonical_module_reexecutes_it(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG):
        import app.ws.unified_manager  # noqa: F401
        import app.ws.websocket_manager as canonical

        importlib.reload(canonical)
        assert execs() == ["app.ws.websocket_manager"] * 2
        importlib.reload(sys.modules[LEGACY])
        assert execs() == ["app.ws.websocket_manager"] * 3


def test_missing_canonical_module_is_a_clear_import_error(app: Path) -> None:
    config = {"redirects": {"app.gone": "app.does_not_exist"}}
    with ssot_runtime.tracking(config), pytest.raises(ImportError) as info:
        import app.gone  # noqa: F401
    assert "'app.gone' is redirected to 'app.does_not_exist'" in str(info.value)
    assert "app.gone" not in sys.modules


def test_missing_renamed_symbol_target_is_a_clear_error(app: Path) -> None:
    config = {"redirects": {"app.old": "app.core.models", "app.old:Thing": "app.nowhere:Thing"}}
    with ssot_runtime.tracking(config), pytest.raises(ImportError) as info:
        from app.old import Thing  # noqa: F401
    assert "app.nowhere:Thing" in str(info.value)


# -- warn -------------------------------------------------------------------------------------
def test_warn_names_both_paths_and_the_note_at_the_users_line(app: Path, tmp_path: Path) -> None:
    config = {"mode": "warn", "redirects": {
        "app.ws.unified_manager": {"to": "app.ws.websocket_manager", "note": "see #1196"}}}
    user = tmp_path / "user_warn.py"
    with capture(config) as uses, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        run("import app.ws.unified_manager\n", user)
    (warning,) = [w for w in caught if issubclass(w.category, LegacyImportWarning)]
    assert issubclass(warning.category, DeprecationWarning)
    assert "'app.ws.unified_manager'" in str(warning.message)
    assert "'app.ws.websocket_manager'" in str(warning.message)
    assert "see #1196" in str(warning.message)
    assert warning.filename == str(user) and warning.lineno == 1
    assert uses.count(LEGACY) == 1


def test_warn_once_per_site_but_count_every_use(app: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_once.py"
    with capture({**CONFIG, "mode": "warn"}) as uses, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run("import app.ws.unified_manager as L\nfor _ in range(5):\n    L.helper\n", user)
    lines = sorted(w.lineno for w in caught if issubclass(w.category, LegacyImportWarning))
    assert lines == [1, 3]
    assert uses.count(LEGACY, "helper") == 5


def test_warn_always_warns_on_every_use(app: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_always.py"
    config = {**CONFIG, "mode": "warn", "warn": "always"}
    with capture(config) as uses, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        run("import app.ws.unified_manager as L\nfor _ in range(5):\n    L.helper\n", user)
    assert [w.lineno for w in caught if w.lineno == 3] == [3] * 5
    assert uses.count(LEGACY, "helper") == 5


def test_warnings_are_visible_by_default_outside_main(app: Path, tmp_path: Path) -> None:
    # The interpreter's default filters ignore DeprecationWarning outside __main__.
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        hook = ssot_runtime.install({**CONFIG, "mode": "warn"})
        try:
            run("import app.ws.unified_manager\n", tmp_path / "user_visible.py", name="not_main")
        finally:
            hook.uninstall()
        assert not any(f[2] is LegacyImportWarning for f in warnings.filters)
    assert [w.category for w in caught] == [LegacyImportWarning]


def test_user_filters_still_decide(app: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LegacyImportWarning)
        with ssot_runtime.tracking({**CONFIG, "mode": "warn"}), pytest.raises(LegacyImportWarning):
            run("import app.ws.unified_manager\n", tmp_path / "user_error_filter.py")


# -- error ------------------------------------------------------------------------------------
def test_error_mode_refuses_and_names_canonical_and_caller(app: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_refused.py"
    config = {"redirects": {"app.ws.manager": {"to": "app.ws.websocket_manager", "mode": "error",
                                               "note": "see #1196"}}}
    with capture(config) as uses:
        with pytest.raises(LegacyImportError) as info:
            run("import app.ws.manager\n", user)
        assert isinstance(info.value, ImportError)
        message = str(info.value)
        assert "'app.ws.websocket_manager'" in message and "see #1196" in message
        assert f"{user}:1" in message
        # The caller catches it: the use is recorded all the same, each time.
        run("for _ in range(3):\n    try:\n        import app.ws.manager\n    except ImportError:\n"
            "        pass\n", user)
        assert "app.ws.manager" not in sys.modules
        timings = uses.hook.import_timings()
    assert uses.count("app.ws.manager", None, line=3) == 3
    assert uses.count("app.ws.manager") == 4
    assert timings[0].error is not None and timings[0].mode == "error"


def test_error_mode_from_import_records_the_names(app: Path, tmp_path: Path) -> None:
    user = tmp_path / "user_refused_from.py"
    config = {"mode": "error", "redirects": CONFIG["redirects"]}
    with capture(config) as uses, pytest.raises(LegacyImportError) as info:
        run("from app.ws.unified_manager import UnifiedWebSocketManager, helper\n", user)
    assert "from app.ws.websocket_manager import WebSocketManager, helper" in str(info.value)
    assert uses.count(LEGACY, "UnifiedWebSocketManager") == 1 and uses.count(LEGACY, "helper") == 1


def test_error_on_a_symbol_rule_only(app: Path, tmp_path: Path) -> None:
    config = {"redirects": {
        "app.ws.unified_manager": "app.ws.websocket_manager",
        "app.ws.unified_manager:Old": {"to": "app.ws.websocket_manager:WebSocketManager", "mode": "error"},
    }}
    with capture(config) as uses:
        from app.ws.unified_manager import helper  # noqa: F401 - still fine

        with pytest.raises(LegacyImportError, match="WebSocketManager"):
            from app.ws.unified_manager import Old  # noqa: F401
    assert uses.count(LEGACY, "Old") == 1 and uses.count(LEGACY, "helper") == 1


@pytest.mark.parametrize(("enforce", "days", "refused"), [(True, -1, True), (True, 1, False), (False, -1, False)])
def test_deadlines_turn_warn_into_error(app: Path, enforce: bool, days: int, refused: bool) -> None:
    deadline = dt.date.today() + dt.timedelta(days=days)
    config = {"mode": "warn", "enforce_deadlines": enforce, "redirects": {
        LEGACY: {"to": "app.ws.websocket_manager", "remove_after": deadline}}}
    with ssot_runtime.tracking(config), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if refused:
            with pytest.raises(LegacyImportError):
                importlib.import_module(LEGACY)
        else:
            importlib.import_module(LEGACY)


# -- observe ----------------------------------------------------------------------------------
SHIM = {
    "shim/__init__.py": "",
    "shim/new.py": "class Manager:\n    pass\n\ndef make():\n    return Manager()\n",
    "shim/compat.py": """
        import builtins
        builtins.__dict__.setdefault("_ssot_test_execs", []).append(__name__)
        from shim.new import Manager, make
        Old = Manager

        def __getattr__(name):
            if name == "Lazy":
                return Manager
            raise AttributeError(name)
    """,
    "shim/oldpkg/__init__.py": "from shim.new import make\n",
    "shim/oldpkg/sub.py": "X = 'x'\n",
}


def test_observe_loads_the_shim_itself_and_records_uses(make_tree: Tree, tmp_path: Path) -> None:
    import builtins

    builtins.__dict__["_ssot_test_execs"] = []
    make_tree(SHIM)
    config = {"mode": "observe", "redirects": {"shim.compat": "shim.new", "shim.oldpkg.*": "shim.new.*"}}
    user = tmp_path / "user_observe.py"
    with capture(config) as uses:
        ns = run(
            """
            import shim.compat as C
            from shim.compat import Old, make
            C.Lazy
            C.make()
            import shim.oldpkg.sub
            shim.oldpkg.sub.X
            """,
            user,
        )
        assert ns["Old"] is sys.modules["shim.new"].Manager
        assert sys.modules["shim.compat"].__spec__.origin.endswith("compat.py")
    assert execs() == ["shim.compat"]
    assert uses.count("shim.compat", None) == 1
    assert uses.count("shim.compat", "Old") == 1 and uses.count("shim.compat", "make") == 2
    assert uses.count("shim.compat", "Lazy", line=line_of(user, "C.Lazy")) == 1
    assert uses.count("shim.oldpkg.sub", None) == 1 and uses.count("shim.oldpkg.sub", "X") == 1
    assert all(r.mode == "observe" for r in uses.records)
    # After uninstall the shim is a plain module again.
    assert type(sys.modules["shim.compat"]) is type(sys)


def test_circular_import_through_the_legacy_name(make_tree: Tree) -> None:
    make_tree({
        "circ/__init__.py": "",
        "circ/new.py": "EARLY = 1\nimport circ.user\nLATE = 2\n",
        "circ/user.py": "import circ.old as old\nfrom circ.old import EARLY\n\ndef late():\n    return old.LATE\n",
    })
    with capture({"redirects": {"circ.old": "circ.new"}}) as uses:
        import circ.new
        import circ.user

        assert circ.user.EARLY == 1
        assert circ.user.late() == 2  # defined after the legacy module was made
        assert sys.modules["circ.old"].LATE is circ.new.LATE
    assert uses.count("circ.old", "EARLY") == 1
    assert uses.count("circ.old", "LATE") == 2


def test_warn_mode_counts_and_warns_in_a_module_run_as_main_by_runpy(make_tree: Tree) -> None:
    """`python -m app.main`: the spec is app.main's, the name __main__; warnings asked the loader
    for the source of "__main__", the loader raised, and the uses went with the error."""
    import runpy

    root = make_tree({
        "app/__init__.py": "",
        "app/main.py": "import oldpkg.legacy\nfrom oldpkg.legacy import work\noldpkg.legacy.work()\n"
                       "def f():\n    for _ in range(3):\n        oldpkg.legacy.work()\nf()\n",
        "newpkg/__init__.py": "",
        "newpkg/canonical.py": "def work():\n    return 1\n",
    })
    config = {"mode": "warn", "redirects": {"oldpkg.legacy": "newpkg.canonical"}}
    with warnings.catch_warnings(record=True) as caught, capture(config) as uses:
        warnings.simplefilter("always")
        runpy.run_module("app.main", run_name="__main__")
    assert {(r.symbol, r.line): r.count for r in uses.records} == {
        (None, 1): 1, ("work", 2): 1, ("work", 3): 1, ("work", 6): 3}
    ours = [w for w in caught if issubclass(w.category, LegacyImportWarning)]
    assert sorted(w.lineno for w in ours) == [1, 2, 3, 6]
    assert all(w.filename == str(root / "app" / "main.py") for w in ours)
    assert uses.hook.internal_errors == 0

"""``discover``: the map written from the shims on the fixture project (tests/fixtures/consolidation) and numpy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssot_runtime.analysis.discover import discover
from ssot_runtime.analysis.discover_merge import merge
from ssot_runtime.analysis.sources import build_index
from ssot_runtime.cli import app
from ssot_runtime.config import load_config

from .projects import clean_env

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "consolidation"
CLI = str(Path(sys.executable).parent / "ssot-runtime")
runner = CliRunner()

# Every rule the fixture's shims, mirror and aliases say: (key, to, mode, file, line).
EXPECTED = {
    ("app.legacy.*", "app.core.*", "observe", "app/legacy/__init__.py", 1),
    ("app.core.interfaces:OldProtocol", "app.ws.protocols:ManagerProtocol", None, "app/core/interfaces.py", 5),
    ("app.ws.attr", "app.ws.websocket_manager", "observe", "app/ws/attr.py", 3),
    ("app.ws.attr:Manager", "app.ws.websocket_manager:WebSocketManager", "observe", "app/ws/attr.py", 6),
    ("app.ws.lazy", "app.ws.websocket_manager", "observe", "app/ws/lazy.py", 9),
    ("app.ws.manager", "app.ws.websocket_manager", "observe", "app/ws/manager.py", 5),
    ("app.ws.star", "app.ws.websocket_manager", "observe", "app/ws/star.py", 1),
    ("app.ws.swapped", "app.ws.websocket_manager", "redirect", "app/ws/swapped.py", 5),  # a pure alias
    ("app.ws.unified_manager_compat", "app.ws.websocket_manager", "observe", "app/ws/unified_manager_compat.py", 3),
    ("app.ws.unified_manager_compat:UnifiedWebSocketManager", "app.ws.websocket_manager:WebSocketManager", "observe",
     "app/ws/unified_manager_compat.py", 3),
    ("app.ws.websocket_manager:UnifiedWebSocketManager", "app.ws.websocket_manager:WebSocketManager", None,
     "app/ws/websocket_manager.py", 23),
}


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "consolidation"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "hand-written.toml").unlink()
    return target


def relative(path: str) -> str:
    return os.path.relpath(path, FIXTURE).replace(os.sep, "/")


def test_every_kind_of_shim_becomes_its_rule() -> None:
    found = discover([str(FIXTURE / "app")])
    assert {(r.key, r.to, r.mode, relative(r.file), r.line) for r in found.rules} == EXPECTED
    # the shim with logic: listed with its reason and line, no rule
    assert [(r.module, relative(r.file), r.line, r.reason) for r in found.refused] == [
        ("app.ws.clever", "app/ws/clever.py", 8, "shim with logic beyond forwarding: an if statement")]


def test_a_package_init_that_reexports_is_no_shim_and_a_used_rename_is_no_alias(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .impl import Thing\n__all__ = ['Thing']\n")
    (tmp_path / "pkg" / "impl.py").write_text("class Thing: ...\n")
    (tmp_path / "pkg" / "user.py").write_text("from pkg.impl import Thing as T\n\ndef make():\n    return T()\n")
    (tmp_path / "pkg" / "consts.py").write_text("LIMIT = 3\nMAX = LIMIT\n")  # a constant alias: no legacy name
    found = discover([str(tmp_path / "pkg")])
    assert found.rules == [] and found.refused == []


def test_a_shim_whose_target_is_missing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_text("from gone.module import Thing\n__all__ = ['Thing']\n")
    found = discover([str(tmp_path / "old.py")])
    assert found.rules == []
    assert [(r.module, r.line, r.reason) for r in found.refused] == [
        ("old", 1, "shim forwarding to gone.module, which is not found")]


SHIMS = {
    # name: (source, the rules (key, to, mode), the refusal reason or None)
    "try_import": ("try:\n    from new.mod import Thing\nexcept ImportError:\n    Thing = None\n", [],
                   "shim with logic beyond forwarding: a try statement"),
    "two_targets": ("import importlib, warnings\nwarnings.warn('old', DeprecationWarning)\ndef __getattr__(name):\n"
                    "    if name == 'A':\n        return getattr(importlib.import_module('new.mod'), name)\n"
                    "    return getattr(importlib.import_module('new.other'), name)\n", [],
                    "shim with logic beyond forwarding: __getattr__ forwards to 2 modules: new.mod, new.other"),
    "table": ("from importlib import import_module\n_MOVED = {'Old': ('new.mod', 'Thing')}\n"
              "def __getattr__(name):\n    module, symbol = _MOVED[name]\n"
              "    return getattr(import_module(module), symbol)\n",
              [("table", "new.mod", "observe"), ("table:Old", "new.mod:Thing", "observe")], None),
    "typed": ('"""Deprecated: use new.mod."""\nfrom typing import TYPE_CHECKING\nfrom new.mod import Thing\n'
              "if TYPE_CHECKING:\n"
              "    from new.other import Other\n__all__ = ['Thing']\n", [("typed", "new.mod", "observe")], None),
    "helper": ("from new.warn_helpers import moved\nfrom new.mod import *\nmoved('helper')\n",
               [("helper", "new.mod", "observe")], None),
}


@pytest.mark.parametrize("name", sorted(SHIMS))
def test_one_shim(tmp_path: Path, name: str) -> None:
    source, rules, refused = SHIMS[name]
    (tmp_path / "new").mkdir()
    for module in ("__init__", "mod", "other"):
        (tmp_path / "new" / f"{module}.py").write_text("class Thing: ...\nclass Other: ...\nclass A: ...\n")
    (tmp_path / "new" / "warn_helpers.py").write_text(
        "import warnings\n\ndef moved(name):\n    if name:\n        text = f'{name} moved'\n"
        "    warnings.warn(text, DeprecationWarning, stacklevel=3)\n")
    (tmp_path / f"{name}.py").write_text(source)
    found = discover([str(tmp_path / f"{name}.py")], build_index([str(tmp_path / f"{name}.py"),
                                                                  str(tmp_path / "new")]))
    assert [(r.key, r.to, r.mode) for r in found.rules] == rules
    assert [r.reason for r in found.refused] == ([refused] if refused else [])


def test_a_src_layout_names_modules_from_src(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "new.py").write_text("class Thing: ...\n")
    (tmp_path / "src" / "pkg" / "old.py").write_text("from pkg.new import *\n")
    found = discover([str(tmp_path)])
    assert [(r.key, r.to) for r in found.rules] == [("pkg.old", "pkg.new")]


EXISTING = """\
# our map: hand-written, with comments that must stay
mode = "warn"

[redirects]
"app.ws.manager" = { to = "app.ws.websocket_manager", mode = "warn", note = "see #12" }  # keep me
# the next rule is ours too
"app.legacy.*" = "app.core.*"

[plan]
priorities = { critical = ["app/routes/**"] }
"""


def test_merge_keeps_every_existing_line_and_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    config = project / "ssot-runtime.toml"
    config.write_text(EXISTING)
    monkeypatch.chdir(project)
    shown = runner.invoke(app, ["discover", "app"])
    assert shown.exit_code == 0, shown.output
    assert config.read_text() == EXISTING  # --diff is the default: nothing written
    assert "kept: app.ws.manager is already in ssot-runtime.toml (discovered at app/ws/manager.py:5)" in shown.stderr
    assert "kept: app.legacy.* is already in ssot-runtime.toml" in shown.stderr
    assert "refused: app/ws/clever.py:8: app.ws.clever: shim with logic beyond forwarding: an if statement" \
        in shown.stderr
    assert shown.stdout.startswith("--- ") and '+"app.ws.star" = { to = "app.ws.websocket_manager", mode = ' \
        '"observe" }\n' in shown.stdout
    written = runner.invoke(app, ["discover", "app", "--write"])
    assert written.exit_code == 0, written.output
    assert "9 rules added to ssot-runtime.toml, 2 already there, 1 refused" in written.stderr
    after = config.read_text()
    lines = iter(after.splitlines())
    assert all(line in lines for line in EXISTING.splitlines())  # every old line, in its order
    assert after.index("[plan]") > after.index('"app.ws.star"')  # the new rules went into [redirects]
    assert "# app/ws/star.py:1: module shim: star import of app.ws.websocket_manager (line 1)\n" in after
    cfg = load_config(str(config))
    manager = next(r for r in cfg.rules if r.key == "app.ws.manager")
    assert (manager.mode, manager.note) == ("warn", "see #12")  # the existing rule as it was
    assert {r.key for r in cfg.rules} == {e[0] for e in EXPECTED}
    again = runner.invoke(app, ["discover", "app", "--write"])
    assert again.exit_code == 0 and config.read_text() == after  # idempotent
    assert runner.invoke(app, ["discover", "app"]).stdout == ""


def test_merge_into_pyproject_and_a_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n\n[tool.ssot_runtime]\nmode = "observe"\n\n[tool.ruff]\n'
                         'line-length = 100\n')
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["discover", "app", "--write"])
    assert result.exit_code == 0, result.output
    text = pyproject.read_text()
    assert text.startswith('[project]\nname = "x"\n\n[tool.ssot_runtime]\nmode = "observe"\n\n[tool.ruff]\n'
                           'line-length = 100\n\n[tool.ssot_runtime.redirects]\n')
    assert len(load_config(str(pyproject)).rules) == len(EXPECTED)
    fresh = project / "conf" / "new.toml"
    fresh.parent.mkdir()
    result = runner.invoke(app, ["discover", "app", "--write", "--config", str(fresh)])
    assert result.exit_code == 0, result.output
    assert fresh.read_text().startswith("[redirects]\n# ssot-runtime discover, ")
    # relative to the config's folder when under it, else absolute (as the report writes paths)
    assert f"# {project}/app/ws/star.py:1: module shim" in fresh.read_text()


def test_bad_input_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    monkeypatch.chdir(project)
    (project / "ssot-runtime.toml").write_text('redirects = { "a.b" = "c.d" }\n')
    result = runner.invoke(app, ["discover", "app"])
    assert result.exit_code == 2
    assert result.stderr == (f"ssot-runtime: error: {project / 'ssot-runtime.toml'}: its redirects are not under a "
                             "[redirects] table header of their own (inline or dotted keys): discover cannot add to "
                             "them; move them under [redirects]\n")
    (project / "ssot-runtime.toml").write_text('[redirects]\n"a" = 3\n')
    result = runner.invoke(app, ["discover", "app"])
    assert result.exit_code == 2 and "key 'redirects.a': the target must be a string, got 3" in result.stderr
    missing = runner.invoke(app, ["discover", "nowhere"])
    assert missing.stderr == "ssot-runtime: error: nowhere: no such file or folder\n"
    result = runner.invoke(app, ["discover", "app", "--diff", "--write"])
    assert result.exit_code == 2 and "--diff and --write exclude each other" in result.stderr


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([CLI, *args], cwd=project, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def sites(project: Path, traces: str) -> set[tuple[Any, ...]]:
    doc = json.loads(cli(project, "report", traces, "--format", "json", "--root", ".").stdout)
    return {(p["legacy"], s["symbol"], s["file"], s["line"], s["function"], s["uses"])
            for p in doc["legacy_paths"] for s in p["sites"]}


def test_discover_write_then_run_counts_what_the_hand_written_map_counts(tmp_path: Path) -> None:
    project = copy_fixture(tmp_path)
    shutil.copy(FIXTURE / "hand-written.toml", tmp_path / "hand-written.toml")
    cli(project, "discover", "app", "--write")
    cli(project, "run", "--output", "discovered", "--", sys.executable, "main.py")
    cli(project, "run", "--config", str(tmp_path / "hand-written.toml"), "--output", str(project / "by-hand"), "--",
        sys.executable, "main.py")
    discovered = sites(project, "discovered")
    assert discovered == sites(project, "by-hand")
    assert ("app.ws.manager", "WebSocketManager", "main.py", 9, "__main__.work", 3) in discovered
    assert ("app.legacy.events", "publish", "main.py", 14, "__main__.work", 3) in discovered
    assert ("app.ws.lazy", "WebSocketManager", "main.py", 20, "__main__.work", 3) in discovered


def test_on_the_demo_before_its_consolidation_discover_writes_its_map(tmp_path: Path) -> None:
    """The demo with its map removed and the shims it had before (tests/fixtures/demo-before) put back."""
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "sitecustomize_example", demo, ignore=shutil.ignore_patterns("__pycache__"))
    cli(demo, "run", "--output", "by-hand", "--", sys.executable, "main.py")  # the demo's own map
    config = demo / "ssot-runtime.toml"
    text = config.read_text()
    config.write_text(text[: text.index("[redirects]")] + text[text.index("[plan]"):])
    shutil.copytree(FIXTURE.parent / "demo-before" / "chat", demo / "chat", dirs_exist_ok=True)
    cli(demo, "discover", "chat", "--write")
    rules = {r.key: (r.target, r.mode) for r in load_config(str(config)).rules}
    assert rules == {
        "chat.legacy.*": ("chat.core", "observe"),
        "chat.core.interfaces:ManagerProtocol": ("chat.ws.protocols", None),
        "chat.ws.manager_compat": ("chat.ws.websocket_manager", "observe"),
        "chat.ws.unified_manager": ("chat.ws.websocket_manager", "observe"),
        "chat.ws.unified_manager:UnifiedWebSocketManager": ("chat.ws.websocket_manager", "observe"),
        "chat.ws.websocket_manager:ChatManager": ("chat.ws.websocket_manager", None),  # the demo's undeclared alias
    }
    cli(demo, "run", "--output", "discovered", "--", sys.executable, "main.py")
    by_hand, discovered = sites(demo, "by-hand"), sites(demo, "discovered")
    # The shim's own star import reads the alias a rule now names (ChatManager): a star import is no use.
    assert discovered == by_hand and len(by_hand) == 10


# -- numpy 2: numpy/core/ is PEP 562 shims that forward to numpy._core and warn ----------------------

def numpy_folder() -> Path:
    numpy = pytest.importorskip("numpy")
    folder = Path(numpy.__file__).parent
    if not (folder / "core" / "_utils.py").exists():
        pytest.skip("numpy 1.x: numpy.core is not a shim package")
    return folder


def test_numpy_core_is_one_prefix_rule() -> None:
    folder = numpy_folder()
    found = discover([str(folder)])
    core = [(r.key, r.to, r.mode) for r in found.rules if r.key.startswith("numpy.core")]
    assert core == [("numpy.core.*", "numpy._core.*", "observe")]
    prefix = next(r for r in found.rules if r.key == "numpy.core.*")
    assert prefix.file == str(folder / "core" / "__init__.py")
    assert Path(prefix.file).read_text().splitlines()[prefix.line - 1].startswith("def __getattr__(")
    # the modules of numpy/core that keep code of their own (pickle compatibility): said, and covered
    notes = {r.module: r.reason for r in found.refused if r.module.startswith("numpy.core")}
    assert notes["numpy.core._internal"] == ("defines function _reconstruct; covered by the prefix rule numpy.core.* "
                                             "(observe mode keeps its own code running)")
    # (which others keep code of their own depends on numpy's version: 2.4 has these three)
    assert {"numpy.core", "numpy.core._internal"} <= set(notes)
    assert all(reason.endswith("covered by the prefix rule numpy.core.* (observe mode keeps its own code running)")
               for reason in notes.values())


def test_numpy_discovered_rule_counts_uses_of_numpy_core(tmp_path: Path) -> None:
    folder = numpy_folder()
    config = tmp_path / "ssot-runtime.toml"
    result = runner.invoke(app, ["discover", str(folder / "core"), "--write", "--config", str(config)])
    assert result.exit_code == 0, result.output
    (tmp_path / "use_numpy.py").write_text(textwrap.dedent("""\
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        import numpy.core.numeric as numeric
        from numpy.core.multiarray import ndarray
        numeric.ones
        assert ndarray is __import__("numpy").ndarray
    """))
    cli(tmp_path, "run", "--output", "traces", "--", sys.executable, "use_numpy.py")
    found = {(s[0], s[1], s[3]) for s in sites(tmp_path, "traces")}
    assert {("numpy.core.numeric", None, 3), ("numpy.core.multiarray", "ndarray", 4),
            ("numpy.core.numeric", "ones", 5)} <= found


# -- the merge, for any existing file ---------------------------------------------------------------

_comment = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(lambda t: f"# {t}")
_rule = st.sampled_from(['"x.old" = "x.new"', '"y.old.*" = { to = "y.new.*", mode = "warn" }',
                         '"z.mod:Old" = "z.mod:New"'])


@settings(max_examples=60, deadline=None)
@given(before=st.lists(st.one_of(_comment, st.just(""), st.just('mode = "warn"')), max_size=4),
       rules=st.lists(st.one_of(_rule, _comment, st.just("")), max_size=5, unique=True),
       after=st.lists(st.one_of(_comment, st.just(""), st.just("[plan]\nverify = 'pytest'")), max_size=3),
       header=st.booleans())
def test_merge_keeps_any_file_as_it_was(before: list[str], rules: list[str], after: list[str],
                                        header: bool) -> None:
    import tempfile

    lines = [*before, *(["[redirects]", *rules] if header else []), *after]
    text = "\n".join(lines) + "\n"
    found = discover([str(FIXTURE / "app")])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ssot-runtime.toml")
        with open(path, "w") as f:
            f.write(text)
        try:
            old = load_config(path).rules
        except Exception:
            return  # not a configuration to begin with (two [plan] tables, say)
        result = merge(found, path, lambda p: p)
        with open(path, "w") as f:
            f.write(result.after)
        new = load_config(path).rules
    remaining = iter(result.after.splitlines())
    assert all(line in remaining for line in text.splitlines())  # every line kept, in its order
    assert new[: len(old)] == old  # the rules there before, unchanged
    assert {r.key for r in new} == {r.key for r in old} | {e[0] for e in EXPECTED if not any(
        e[0].removesuffix(".*") == r.legacy for r in old)} | {r.key for r in old}


# -- what makes a shim, for any mix of forwarding lines ---------------------------------------------

_FORWARDING = [
    '"""Moved to new.mod."""',
    "import warnings",
    "from new.mod import Thing",
    "from new.mod import Thing as OldThing",
    "from new import mod as _mod\nAlias = _mod.Thing",
    "from new.mod import *",
    "__all__ = ['Thing']",
    "warnings.warn('moved', DeprecationWarning, stacklevel=2)",
    "del warnings",
]


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.sampled_from(_FORWARDING), min_size=1, unique=True),
       logic=st.sampled_from([None, "def helper():\n    return 1", "if True:\n    from new.mod import Thing",
                              "VALUE = compute()"]))
def test_forwarding_lines_make_a_shim_and_logic_never_gets_a_rule(lines: list[str], logic: str | None) -> None:
    import tempfile

    body = [line for line in lines if line != "del warnings" or "import warnings" in lines]
    if "warnings.warn('moved', DeprecationWarning, stacklevel=2)" in body and "import warnings" not in body:
        body.insert(0, "import warnings")
    if "del warnings" in body:  # after its last use
        body.remove("del warnings")
        body.append("del warnings")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "new").mkdir()
        (root / "new" / "__init__.py").write_text("")
        (root / "new" / "mod.py").write_text("class Thing: ...\n")
        (root / "old.py").write_text("\n".join([*body, *([logic] if logic else [])]) + "\n")
        index = build_index([str(root / "old.py"), str(root / "new")])
        found = discover([str(root / "old.py")], index)
    module_rules = [(r.key, r.to) for r in found.rules if r.kind == "module"]
    takes = any(line.startswith("from new") for line in body)  # names bound from new.mod
    warns = any("warn(" in line for line in body)
    star = "from new.mod import *" in body
    if logic is None:
        assert module_rules == ([("old", "new.mod")] if takes else [])
        # __all__ naming what it never binds: a shim that takes nothing, refused with that reason
        lacks = "__all__ = ['Thing']" in body and not takes
        assert [r.reason for r in found.refused] == (["shim that takes no name from another module"] if lacks else [])
    else:
        assert module_rules == []  # logic beyond forwarding: no module rule, ever
        refused = warns or (not logic.startswith("def") and (star or logic.startswith("if")))
        assert [r.module for r in found.refused] == (["old"] if refused else [])


# -- the new-user review ------------------------------------------------------------------------------

def test_a_module_that_replaces_itself_is_written_in_redirect_mode_and_the_comment_says_why() -> None:
    found = discover([str(FIXTURE / "app")])
    swapped = next(r for r in found.rules if r.key == "app.ws.swapped")
    text = swapped.toml(relative)
    assert text.endswith('"app.ws.swapped" = { to = "app.ws.websocket_manager", mode = "redirect" }\n')
    assert "redirect mode: a module that replaces itself in sys.modules is a pure alias of its target " \
           "(the same objects), and observe mode cannot see its uses" in text


def test_a_rule_overlapping_one_already_there_is_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    config = project / "ssot-runtime.toml"
    # a symbol rule of a shim module, an exact rule of a module inside a mirrored tree
    existing = ('[redirects]\n"app.ws.star:WebSocketManager" = "app.ws.websocket_manager:WebSocketManager"\n'
                '"app.legacy.events" = "app.core.events"\n')
    config.write_text(existing)
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["discover", "app"])
    assert result.exit_code == 0, result.output
    assert "kept: app.ws.star is already mapped by app.ws.star:WebSocketManager in ssot-runtime.toml " \
           "(discovered at app/ws/star.py:1)" in result.stderr
    assert "kept: app.legacy.* overlaps app.legacy.events, already in ssot-runtime.toml " \
           "(discovered at app/legacy/__init__.py:1)" in result.stderr
    assert '+"app.ws.star"' not in result.stdout and '+"app.legacy.*"' not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and symlinks")
def test_write_keeps_the_newlines_the_mode_and_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    real = project / "conf" / "real.toml"
    real.parent.mkdir()
    before = b'# the map\r\nmode = "warn"\r\n\r\n[redirects]\r\n"app.ws.manager" = "app.ws.websocket_manager"\r\n'
    real.write_bytes(before)
    real.chmod(0o640)
    link = project / "ssot-runtime.toml"
    link.symlink_to(real)
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["discover", "app", "--write"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)  # written through the link
    after = real.read_bytes()
    assert after.startswith(before) and b"\n" not in after.replace(b"\r\n", b"")  # CRLF throughout
    assert (real.stat().st_mode & 0o777) == 0o640
    assert len(load_config(str(link)).rules) == len(EXPECTED)


def test_conftest_is_never_a_shim_and_a_facade_is_undecided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(tmp_path)
    (project / "tests").mkdir()
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "conftest.py").write_text("from app.ws.websocket_manager import WebSocketManager\n")
    (project / "app" / "api.py").write_text('"""Public API."""\n\nfrom app.core.events import publish\n'
                                            'from app.ws.websocket_manager import WebSocketManager\n\n'
                                            '__all__ = ["WebSocketManager", "publish"]\n')
    monkeypatch.chdir(project)
    found = discover([str(project)])
    assert not [r for r in found.rules if "conftest" in r.key or r.key.startswith("app.api")]
    assert [(u.module, relative_to(u.file, project), u.line) for u in found.undecided] == [
        ("app.api", "app/api.py", 3)]
    assert found.undecided[0].reason.startswith("re-exports under the same names with no deprecation marker")
    assert {(r.key, r.to, r.mode) for r in found.rules} == {(e[0], e[1], e[2]) for e in EXPECTED}  # the rest stays
    result = runner.invoke(app, ["discover", "."])
    assert result.exit_code == 0, result.output
    assert "undecided: app/api.py:3: app.api: re-exports under the same names with no deprecation marker" \
        in result.stderr
    assert ", 1 refused, 1 undecided\n" in result.stderr
    # audit on the project root: conftest's imports are no re-exports, so check --audit is not failed by them
    (project / "ssot-runtime.toml").write_text((FIXTURE / "hand-written.toml").read_text())
    doc = json.loads(runner.invoke(app, ["audit", "--format", "json"]).stdout)
    assert not [p for p in doc["unconfigured"] if "conftest" in p["path"]]


def relative_to(path: str, root: Path) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")

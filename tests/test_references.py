"""scan and fix rewrite references, not prose: a string is a reference only when it is a whole name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssot_runtime.cli import app

runner = CliRunner()
CONFIG = '[redirects]\n"app.old.*" = "app.core.*"\n"oldtop" = "newtop"\n'
SHIM = '''\
import warnings

from app.core import get_manager

warnings.warn("app.old.get_manager moved to app.core", DeprecationWarning, stacklevel=2)
'''
USER = '''\
import importlib
import warnings
from unittest import mock

GONE = "app.old.get_manager is gone"
WORD = "oldtop"


def f():
    warnings.warn("app.old.get_manager moved to app.core")
    importlib.import_module("oldtop")
    importlib.import_module(name="app.old")
    __import__("oldtop")
    with mock.patch("app.old.get_manager"), mock.patch(target="app.old:get_manager"):
        return "app.old.get_manager", print("oldtop is gone")
'''
USER_AFTER = '''\
import importlib
import warnings
from unittest import mock

GONE = "app.old.get_manager is gone"
WORD = "oldtop"


def f():
    warnings.warn("app.old.get_manager moved to app.core")
    importlib.import_module("newtop")
    importlib.import_module(name="app.core")
    __import__("newtop")
    with mock.patch("app.core.get_manager"), mock.patch(target="app.core:get_manager"):
        return "app.core.get_manager", print("oldtop is gone")
'''
SETTINGS = '''\
# app.old.get_manager moved to app.core: see the changelog
[jobs]
manager = "app.old.get_manager"
managers = ["app.old.get_manager", 'app.old:get_manager']
description = "app.old.get_manager is gone"
'''
SETTINGS_AFTER = '''\
# app.old.get_manager moved to app.core: see the changelog
[jobs]
manager = "app.core.get_manager"
managers = ["app.core.get_manager", 'app.core:get_manager']
description = "app.old.get_manager is gone"
'''
INI = "[app]\nhandler = app.old:get_manager\nnote = app.old.get_manager is gone ; app.old.x\n"
INI_AFTER = "[app]\nhandler = app.core:get_manager\nnote = app.old.get_manager is gone ; app.old.x\n"


def tree(root: Path) -> Path:
    files = {"app/__init__.py": "", "app/core.py": "def get_manager():\n    return 1\n", "app/old.py": SHIM,
             "newtop.py": "", "user.py": USER, "settings.toml": SETTINGS, "setup.cfg": INI,
             "ssot-runtime.toml": CONFIG}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def scan(root: Path, *more: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["scan", str(root), "--config", str(root / "ssot-runtime.toml"), "--format",
                                 "json", *more])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["references"]  # type: ignore[no-any-return]


def test_scan_reports_whole_names_and_known_call_arguments_never_prose(tmp_path: Path) -> None:
    refs = scan(tree(tmp_path))
    found = {(Path(r["file"]).name, r["line"], r["kind"], r["legacy"], r["symbol"]) for r in refs}
    assert found == {
        ("user.py", 11, "string", "oldtop", None),  # a single name: only as import_module's argument
        ("user.py", 12, "string", "app.old", None),
        ("user.py", 13, "string", "oldtop", None),
        ("user.py", 14, "string", "app.old.get_manager", None),  # under a prefix: a module name
        ("user.py", 14, "string", "app.old", "get_manager"),
        ("user.py", 15, "string", "app.old.get_manager", None),
        ("settings.toml", 3, "config", "app.old.get_manager", None),
        ("settings.toml", 4, "config", "app.old.get_manager", None),
        ("settings.toml", 4, "config", "app.old", "get_manager"),
        ("setup.cfg", 2, "config", "app.old", "get_manager"),
    }


def test_scan_prose_lists_the_prose_apart(tmp_path: Path) -> None:
    refs = scan(tree(tmp_path), "--prose")
    prose = {(Path(r["file"]).name, r["line"], r["legacy"], r["symbol"]) for r in refs if r["kind"] == "prose"}
    assert prose == {("old.py", 5, "app.old.get_manager", None), ("user.py", 5, "app.old.get_manager", None),
                     ("user.py", 10, "app.old.get_manager", None), ("settings.toml", 1, "app.old.get_manager", None),
                     ("settings.toml", 5, "app.old.get_manager", None), ("setup.cfg", 3, "app.old.get_manager", None),
                     ("setup.cfg", 3, "app.old.x", None)}
    assert len([r for r in refs if r["kind"] != "prose"]) == 10


def test_fix_write_rewrites_references_and_leaves_prose_alone(tmp_path: Path) -> None:
    root = tree(tmp_path)
    result = runner.invoke(app, ["fix", str(root), "--config", str(root / "ssot-runtime.toml"), "--write"])
    assert result.exit_code == 0, result.output
    assert (root / "app" / "old.py").read_text() == SHIM  # the shim's deprecation message stays as written
    assert (root / "user.py").read_text() == USER_AFTER
    assert (root / "settings.toml").read_text() == SETTINGS_AFTER
    assert (root / "setup.cfg").read_text() == INI_AFTER
    again = runner.invoke(app, ["fix", str(root), "--config", str(root / "ssot-runtime.toml"), "--write"])
    assert "0 of" in again.stdout


WORDS = st.sampled_from(["app.old.get_manager", "app.old:get_manager", "app.old", "oldtop", "moved", "to",
                         "app.core", "is", "gone", "(see", "app.old.x)", "-", "app.old.get_manager."])


@settings(max_examples=100, deadline=None)
@given(words=st.lists(WORDS, min_size=2, max_size=6), call=st.sampled_from(["warnings.warn", "print", "",
                                                                            "importlib.import_module"]))
def test_a_string_of_several_words_is_never_rewritten_nor_a_reference(words: list[str], call: str) -> None:
    from ssot_runtime import parse_config
    from ssot_runtime.analysis.fix import fix_source
    from ssot_runtime.analysis.names import LegacyNames
    from ssot_runtime.analysis.scan import scan_python

    names = LegacyNames(parse_config({"redirects": {"app.old.*": "app.core.*", "oldtop": "newtop"}}))
    text = " ".join(words)
    source = f"import importlib, warnings\nX = {call}({text!r})\n"
    assert fix_source("user.py", source, names) == source
    refs = scan_python("user.py", source, names, prose=True)
    assert {r.kind for r in refs} <= {"prose"}
    assert (len(refs) > 0) == any("." in w or ":" in w for w in words if w not in ("app.core", "-"))

"""The rewrite engine shared by plan and fix: live-module symbols, aliases, refusals, names that stay."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import ssot_runtime
from ssot_runtime import parse_config
from ssot_runtime.analysis.fix import fix_source
from ssot_runtime.analysis.names import LegacyNames
from ssot_runtime.analysis.scan import scan_python
from ssot_runtime.cli import app
from ssot_runtime.testing import capture

from .conftest import Tree

runner = CliRunner()
CONFIG = {"redirects": {
    "app.ws:get_websocket_manager": "app.ws.websocket_manager:get_websocket_manager",
    "app.ws.unified_manager:UnifiedWebSocketManager": "app.ws.websocket_manager:WebSocketManager",
    "app.core.interfaces_websocket:WebSocketManagerProtocol": "app.ws.protocols:WebSocketManagerProtocol",
    "app.helpers:slugify": "app.text:slugify",
    "app.helpers:Broken": "app.text:Slugifyy",
    "app.user_emitter": "app.emitters",
    "app.user_emitter:UserEmitter": "app.emitters:Emitter",
}}
NAMES = LegacyNames(parse_config(CONFIG))
TREE = {
    "app/__init__.py": "",
    "app/ws/__init__.py": "VERSION = 1\n",
    "app/ws/websocket_manager.py": "class WebSocketManager:\n    pass\n\n\n"
                                   "def get_websocket_manager():\n    return WebSocketManager()\n",
    "app/ws/unified_manager.py": "class WebSocketManagerMode:\n    pass\n",
    "app/ws/protocols.py": "class WebSocketManagerProtocol:\n    pass\n",
    "app/core/__init__.py": "",
    "app/core/interfaces_websocket.py": "OTHER = 1\n",
    "app/helpers.py": "def format_name(x):\n    return x\n\n\nBroken = None\n",
    "app/text.py": "def slugify(x):\n    return x\n",
    "app/emitters.py": "class Emitter:\n    pass\n",
}

BEFORE = '''\
import importlib
from unittest import mock

import app.helpers
import app.core.interfaces_websocket as iw
import app.user_emitter as ue
from app.ws import get_websocket_manager
from app.ws.unified_manager import UnifiedWebSocketManager, WebSocketManagerMode
from app.helpers import format_name, slugify
from app.helpers import Broken


def f():
    importlib.import_module("app.helpers")
    with mock.patch("app.helpers.slugify"):
        pass
    assert isinstance(get_websocket_manager(), UnifiedWebSocketManager)
    return (app.helpers.slugify("x"), iw.WebSocketManagerProtocol, ue.UserEmitter(), iw.OTHER,
            WebSocketManagerMode, format_name, Broken, "app.ws.unified_manager:UnifiedWebSocketManager")
'''

AFTER = '''\
import importlib
from unittest import mock

import app.helpers
import app.core.interfaces_websocket as iw
import app.emitters as ue
from app.ws.websocket_manager import get_websocket_manager
from app.ws.unified_manager import WebSocketManagerMode
from app.ws.websocket_manager import WebSocketManager as UnifiedWebSocketManager
from app.helpers import format_name
from app.text import slugify
from app.helpers import Broken
import app.text
import app.ws.protocols


def f():
    importlib.import_module("app.helpers")
    with mock.patch("app.text.slugify"):
        pass
    assert isinstance(get_websocket_manager(), UnifiedWebSocketManager)
    return (app.text.slugify("x"), app.ws.protocols.WebSocketManagerProtocol, ue.Emitter(), iw.OTHER,
            WebSocketManagerMode, format_name, Broken, "app.ws.websocket_manager:WebSocketManager")
'''

ONLY_ALIAS = "import app.core.interfaces_websocket as iw\n\nP = iw.WebSocketManagerProtocol\n"
ONLY_ALIAS_AFTER = "import app.ws.protocols\n\nP = app.ws.protocols.WebSocketManagerProtocol\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_live_symbols_move_and_the_rest_stays(tmp_path: Path) -> None:
    root = write(tmp_path, {**TREE, "user.py": BEFORE})
    refused: list[str] = []
    after = fix_source(str(root / "user.py"), BEFORE, NAMES, refused=refused)
    assert after == AFTER
    assert refused == [f"{root / 'user.py'}:10: not rewritten: app.helpers.Broken -> app.text.Slugifyy: "
                       "canonical 'app.text' has no 'Slugifyy'"]
    assert fix_source(str(root / "user.py"), AFTER, NAMES) == AFTER  # idempotent
    (root / "user.py").write_text(AFTER)
    ran = subprocess.run([sys.executable, "-c", "import user; print(len(user.f()))"], cwd=root,
                         capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout.strip() == "8", ran.stderr


def test_an_alias_used_only_for_moved_names_goes(tmp_path: Path) -> None:
    root = write(tmp_path, {**TREE, "only.py": ONLY_ALIAS})
    assert fix_source(str(root / "only.py"), ONLY_ALIAS, NAMES) == ONLY_ALIAS_AFTER


def test_names_that_did_not_move_are_never_rewritten(tmp_path: Path) -> None:
    source = "from app.helpers import format_name\nimport app.helpers\nX = app.helpers.format_name\n" \
             "Y = 'app.helpers.format_name'\nfrom app.ws import VERSION\n"
    root = write(tmp_path, {**TREE, "keep.py": source})
    assert fix_source(str(root / "keep.py"), source, NAMES) == source
    assert scan_python("keep.py", source, NAMES) == []


def test_scan_finds_live_symbols_in_every_form(tmp_path: Path) -> None:
    refs = scan_python("user.py", BEFORE, NAMES)
    found = {(r.line, r.kind, r.legacy, r.symbol) for r in refs}
    assert {(7, "from-import", "app.ws", "get_websocket_manager"),
            (8, "from-import", "app.ws.unified_manager", "UnifiedWebSocketManager"),
            (9, "from-import", "app.helpers", "slugify"),
            (15, "string", "app.helpers", "slugify"),
            (18, "attribute", "app.helpers", "slugify"),
            (18, "attribute", "app.core.interfaces_websocket", "WebSocketManagerProtocol"),
            (19, "string", "app.ws.unified_manager", "UnifiedWebSocketManager")} <= found
    assert not any(r.symbol in ("format_name", "WebSocketManagerMode", "OTHER") for r in refs)


def test_fix_refuses_on_the_command_line(tmp_path: Path) -> None:
    root = write(tmp_path, {**TREE, "user.py": BEFORE})
    rules = "".join(f'"{k}" = "{v}"\n' for k, v in CONFIG["redirects"].items())
    (root / "ssot.toml").write_text("[redirects]\n" + rules)
    result = runner.invoke(app, ["fix", str(root / "user.py"), "--config", str(root / "ssot.toml"), "--write"])
    assert result.exit_code == 0
    assert "refused: " in result.stderr and "canonical 'app.text' has no 'Slugifyy'" in result.stderr
    assert (root / "user.py").read_text() == AFTER


def report_of(records: tuple[ssot_runtime.UseRecord, ...], root: Path) -> dict[str, object]:
    paths: dict[str, dict[str, object]] = {}
    for r in records:
        entry = paths.setdefault(r.legacy, {"legacy": r.legacy, "canonical": r.canonical, "sites": []})
        entry["sites"].append({"file": str(Path(r.file).relative_to(root)), "line": r.line,  # type: ignore[union-attr]
                               "symbol": r.symbol, "uses": r.count, "function": r.function})
    return {"legacy_paths": list(paths.values())}


def test_plan_and_fix_make_the_same_edits(tmp_path: Path, make_tree: Tree) -> None:
    from ssot_runtime.analysis import plan as _plan

    root = make_tree({**TREE, "user.py": BEFORE})
    with capture(CONFIG) as uses:
        importlib.import_module("user").f()
    assert uses.count("app.user_emitter", "UserEmitter") == 1  # through the alias `ue`
    assert uses.count("app.helpers", "Broken") == 1 and uses.count("app.helpers", "format_name") == 0
    plan = _plan.build_plan(report_of(uses.records, root), parse_config(CONFIG), root=str(root))
    refused = [c for c in plan["unresolved"] if c["status"] == "refused"]
    assert [(c["line"], c["reason"]) for c in refused] == [
        (10, "not rewritten: app.helpers.Broken -> app.text.Slugifyy: canonical 'app.text' has no 'Slugifyy'")]
    assert {c["status"] for c in plan["unresolved"]} == {"refused"}
    changes = {c["line"]: c for b in plan["batches"] for c in b["changes"]}
    assert (changes[6]["before"], changes[6]["after"]) == ("import app.user_emitter as ue", "import app.emitters as ue")
    assert "ue.Emitter()" in changes[18]["after"] and changes[18]["uses"] >= 3
    assert changes[8]["after"] == ("from app.ws.unified_manager import WebSocketManagerMode\n"
                                   "from app.ws.websocket_manager import WebSocketManager as UnifiedWebSocketManager")
    assert _plan.apply_plan(plan, str(root)) == sum(len(b["changes"]) for b in plan["batches"])
    assert (root / "user.py").read_text() == AFTER  # exactly what fix writes


def test_config_export_covers_live_symbols(tmp_path: Path) -> None:
    import configparser
    import shutil

    root = write(tmp_path, TREE)
    rules = "".join(f'"{k}" = "{v}"\n' for k, v in CONFIG["redirects"].items())
    (root / "ssot.toml").write_text("[redirects]\n" + rules)
    result = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "ruff"])
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["TID251"]\n\n' + result.stdout)
    (root / "use.py").write_text("from app.helpers import format_name, slugify\nimport app.core.interfaces_websocket"
                                 " as iw\nfrom app.ws import get_websocket_manager, VERSION\n"
                                 "P = iw.WebSocketManagerProtocol\nQ = iw.OTHER\n")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    checked = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "use.py"], cwd=root,
                             capture_output=True, text=True)  # one line a finding, whatever ruff's default
    flagged = sorted(line.split(":")[1] for line in checked.stdout.splitlines() if line.startswith("use.py:"))
    assert flagged == ["1", "3", "4"], checked.stdout  # slugify, get_websocket_manager, the protocol
    assert "Use app.text.slugify" in checked.stdout and "`app.helpers.format_name`" not in checked.stdout
    linter = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "import-linter"])
    # app.user_emitter is not on disk: import-linter would refuse a contract naming it (issue 12).
    assert "left out" in linter.stdout and "app.user_emitter" in linter.stdout
    assert "[importlinter:contract" not in linter.stdout
    (root / "app" / "user_emitter.py").write_text("")  # a shim still on disk: that one is forbidden
    linter = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "import-linter"])
    parser = configparser.ConfigParser()
    parser.read_string(linter.stdout)
    assert parser["importlinter:contract:ssot-runtime-legacy"]["forbidden_modules"].split() == ["app.user_emitter"]
    assert "#   app.helpers.slugify: Use app.text.slugify" in linter.stdout


def test_config_files_get_only_rewrites_whose_target_exists(tmp_path: Path) -> None:
    root = write(tmp_path, TREE)
    text = "[app]\nbroken = app.helpers:Broken\nslug = app.helpers:slugify\nkeep = app.helpers:format_name\n"
    refused: list[str] = []
    after = fix_source(str(root / "settings.ini"), text, NAMES, refused=refused)
    assert after == "[app]\nbroken = app.helpers:Broken\nslug = app.text:slugify\nkeep = app.helpers:format_name\n"
    assert refused == [f"{root / 'settings.ini'}:2: not rewritten: app.helpers.Broken -> app.text.Slugifyy: "
                       "canonical 'app.text' has no 'Slugifyy'"]

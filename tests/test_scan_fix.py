"""scan and fix: every reference kind, golden before/after, idempotence, the whole migration loop."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssot_runtime import parse_config
from ssot_runtime.analysis.fix import fix_source
from ssot_runtime.analysis.names import LegacyNames
from ssot_runtime.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "ssot-runtime")
CONFIG = {"redirects": {
    "pkg.old": "pkg.new",
    "pkg.old:OldThing": "pkg.new:Thing",
    "pkg.legacy.*": "pkg.core.*",
}}
NAMES = LegacyNames(parse_config(CONFIG))

BEFORE = '''\
"""A module using every kind of legacy reference."""
import importlib
from unittest import mock

import pkg.old
import pkg.old as o  # keep this comment
from pkg.old import OldThing, helper
from pkg.old import OldThing as Alias
from pkg.legacy.models import Model
from pkg import old
from .old import helper as rel_helper

MODULE = "pkg.old"
TARGET = "pkg.old.helper"


def f():
    importlib.import_module("pkg.legacy.models")
    __import__("pkg.old")
    with mock.patch("pkg.old.OldThing"):
        pass
    return pkg.old.OldThing, pkg.old.helper(), pkg.legacy.models.Model, OldThing
'''

AFTER = '''\
"""A module using every kind of legacy reference."""
import importlib
from unittest import mock

import pkg.new
import pkg.new as o  # keep this comment
from pkg.new import Thing as OldThing, helper
from pkg.new import Thing as Alias
from pkg.core.models import Model
from pkg import new as old
from pkg.new import helper as rel_helper

MODULE = "pkg.new"
TARGET = "pkg.new.helper"


def f():
    importlib.import_module("pkg.core.models")
    __import__("pkg.new")
    with mock.patch("pkg.new.Thing"):
        pass
    return pkg.new.Thing, pkg.new.helper(), pkg.core.models.Model, OldThing
'''


def write_tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "user.py").write_text(BEFORE)
    (root / "pkg" / "new.py").write_text("class Thing:\n    pass\n\n\ndef helper():\n    return 1\n")
    (root / "pkg" / "core").mkdir()
    (root / "pkg" / "core" / "__init__.py").write_text("")
    (root / "pkg" / "core" / "models.py").write_text("class Model:\n    pass\n")
    (root / "settings.ini").write_text("[app]\nmanager = pkg.old:OldThing\nother = pkg.newer\n")
    (root / "celery.yaml").write_text("tasks:\n  - pkg.legacy.tasks.send\n")
    (root / "broken.py").write_text("import pkg.old\ndef (:\n")
    (root / "ssot.toml").write_text(
        '[redirects]\n"pkg.old" = "pkg.new"\n"pkg.old:OldThing" = "pkg.new:Thing"\n"pkg.legacy.*" = "pkg.core.*"\n')
    return root


def test_fix_golden_before_after(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    assert fix_source(str(root / "pkg" / "user.py"), BEFORE, NAMES) == AFTER
    assert fix_source(str(root / "pkg" / "user.py"), AFTER, NAMES) == AFTER


def test_fix_diff_by_default_write_on_request_and_idempotent(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    config = str(root / "ssot.toml")
    result = runner.invoke(app, ["fix", str(root), "--config", config])
    assert result.exit_code == 0
    assert "-from pkg.old import OldThing, helper" in result.stdout
    assert "+from pkg.new import Thing as OldThing, helper" in result.stdout
    assert (root / "pkg" / "user.py").read_text() == BEFORE  # --diff changes nothing
    assert "broken.py" in result.stderr and "left alone" in result.stderr
    written = runner.invoke(app, ["fix", str(root), "--config", config, "--write"])
    assert written.exit_code == 0 and "4 of" not in written.stdout
    assert (root / "pkg" / "user.py").read_text() == AFTER
    assert (root / "settings.ini").read_text() == "[app]\nmanager = pkg.new:Thing\nother = pkg.newer\n"
    assert (root / "celery.yaml").read_text() == "tasks:\n  - pkg.core.tasks.send\n"
    assert (root / "broken.py").read_text() == "import pkg.old\ndef (:\n"
    assert "pkg.old" in (root / "ssot.toml").read_text()  # the configuration itself is left alone
    again = runner.invoke(app, ["fix", str(root), "--config", config, "--write"])
    assert "0 of" in again.stdout
    assert runner.invoke(app, ["fix", str(root), "--config", config, "--diff", "--write"]).exit_code == 2


def test_fix_only_some_legacy_paths(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    runner.invoke(app, ["fix", str(root), "--config", str(root / "ssot.toml"), "--legacy", "pkg.legacy.*",
                        "--write"])
    text = (root / "pkg" / "user.py").read_text()
    assert "from pkg.core.models import Model" in text and "import pkg.old\n" in text


def test_scan_finds_every_reference_kind(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    result = runner.invoke(app, ["scan", str(root), "--config", str(root / "ssot.toml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "ssot-runtime/scan/v1"
    found = {(Path(r["file"]).name, r["line"], r["kind"], r["legacy"], r["symbol"]) for r in doc["references"]}
    expected = {
        ("user.py", 5, "import", "pkg.old", None),
        ("user.py", 6, "import", "pkg.old", None),
        ("user.py", 7, "from-import", "pkg.old", "OldThing"),
        ("user.py", 7, "from-import", "pkg.old", "helper"),
        ("user.py", 8, "from-import", "pkg.old", "OldThing"),
        ("user.py", 9, "from-import", "pkg.legacy.models", "Model"),
        ("user.py", 10, "from-import", "pkg.old", None),
        ("user.py", 11, "from-import", "pkg.old", "helper"),
        ("user.py", 13, "string", "pkg.old", None),
        ("user.py", 14, "string", "pkg.old", "helper"),
        ("user.py", 18, "string", "pkg.legacy.models", None),
        ("user.py", 19, "string", "pkg.old", None),
        ("user.py", 20, "string", "pkg.old", "OldThing"),
        ("user.py", 22, "attribute", "pkg.old", "OldThing"),
        ("user.py", 22, "attribute", "pkg.old", "helper"),
        ("user.py", 22, "attribute", "pkg.legacy.models", "Model"),
        ("settings.ini", 2, "config", "pkg.old", "OldThing"),
        ("celery.yaml", 2, "config", "pkg.legacy.tasks.send", None),  # under a prefix: a module name
    }
    assert found == expected
    renamed = next(r for r in doc["references"] if r["line"] == 7 and r["symbol"] == "OldThing")
    assert (renamed["canonical"], renamed["canonical_symbol"]) == ("pkg.new", "Thing")
    assert any("broken.py" in e for e in doc["sources"]["errors"])
    assert not any(Path(r["file"]).name == "ssot.toml" for r in doc["references"])
    for fmt in ("table", "markdown", "csv"):
        assert "user.py" in runner.invoke(app, ["scan", str(root), "--config", str(root / "ssot.toml"),
                                                "--format", fmt]).stdout


def test_scan_in_parallel_gives_the_same_answer(tmp_path: Path) -> None:
    root = tmp_path / "many"
    (root / "pkg").mkdir(parents=True)
    for i in range(600):
        (root / "pkg" / f"m{i}.py").write_text(f"import pkg.old\nX = {i}\n" if i % 3 == 0 else f"X = {i}\n")
    config = tmp_path / "c.toml"
    config.write_text('[redirects]\n"pkg.old" = "pkg.new"\n')
    serial = runner.invoke(app, ["scan", str(root), "--config", str(config), "--format", "json", "-j", "1"])
    parallel = runner.invoke(app, ["scan", str(root), "--config", str(config), "--format", "json", "-j", "2"])
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert json.loads(serial.stdout)["totals"]["references"] == 200


LINES = st.sampled_from([
    "import pkg.old", "import pkg.old as o", "from pkg.old import OldThing", "from pkg.old import helper, OldThing",
    "from pkg.legacy.models import Model", "from pkg import old", "x = pkg.old.OldThing", "y = 'pkg.old.helper'",
    "z = \"pkg.legacy.models\"", "import os", "w = os.path.join('a', 'b')", "OldThing()", "# pkg.old in a comment",
    "def g(a=pkg.old.helper):\n    return a", "class K(pkg.old.OldThing):\n    pass",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=12))
def test_fix_output_parses_and_is_idempotent(lines: list[str]) -> None:
    source = "\n".join(lines) + "\n"
    once = fix_source("pkg/user.py", source, NAMES)
    compile(once, "<fixed>", "exec")
    assert fix_source("pkg/user.py", once, NAMES) == once
    assert "# pkg.old in a comment" in once or "# pkg.old in a comment" not in source


def test_the_whole_migration_loop_on_the_demo(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "sitecustomize_example", demo, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], cwd=demo, env=env, capture_output=True, text=True, timeout=120)

    assert cli("config").returncode == 0  # from the project root, no PYTHONPATH
    assert cli("run", "--output", "before", "--", sys.executable, "main.py").returncode == 0
    before = json.loads(cli("report", "before", "--format", "json", "--root", ".").stdout)
    live = next(p for p in before["legacy_paths"] if p["legacy"] == "chat.core.interfaces")
    # 200 requests through the route's from-import (once, at import) and 8 broadcasts through the alias
    assert {(s["file"], s["symbol"], s["canonical_symbol"], s["uses"]) for s in live["sites"]} == {
        ("chat/routes/chat.py", "ManagerProtocol", "WebSocketManagerProtocol", 1),
        ("chat/agents/worker.py", "ManagerProtocol", "WebSocketManagerProtocol", 8)}
    assert "format_text" not in json.dumps(before)  # the name that stayed is no legacy use
    unchecked = cli("check", "before")  # no baseline: every site is new, moved names say where they went
    assert unchecked.returncode == 1
    assert "chat/agents/worker.py:13: new legacy path: chat.core.interfaces (ManagerProtocol) in " \
           "chat.agents.worker.broadcast, 8 uses; use chat.ws.protocols.WebSocketManagerProtocol" in unchecked.stdout
    baseline = cli("check", "before", "--write-baseline", "baseline.json")
    assert baseline.returncode == 0
    fixed = cli("fix", ".", "--only-seen", "before", "--write")
    assert fixed.returncode == 0 and "4 of" in fixed.stdout, fixed.stdout + fixed.stderr
    route, worker = (demo / "chat/routes/chat.py").read_text(), (demo / "chat/agents/worker.py").read_text()
    assert "from chat.core.interfaces import format_text\n" \
           "from chat.ws.protocols import WebSocketManagerProtocol as ManagerProtocol\n" in route
    assert "import chat.core.interfaces as interfaces\nimport chat.ws.protocols\n" in worker  # still used
    assert "chat.ws.protocols.WebSocketManagerProtocol)" in worker and "interfaces.format_text" in worker
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=demo,
                           env=env, capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout
    assert cli("run", "--output", "after", "--", sys.executable, "main.py").returncode == 0
    report = json.loads(cli("report", "after", "--format", "json").stdout)
    assert report["totals"]["uses"] == 0
    checked = cli("check", "after", "--baseline", "baseline.json")
    assert checked.returncode == 0 and "gone" in checked.stdout
    assert json.loads(cli("scan", "chat", "--format", "json").stdout)["totals"]["references"] == 0
    toml = demo / "ssot-runtime.toml"
    toml.write_text(toml.read_text().replace("chat.ws.protocols:WebSocketManagerProtocol",
                                             "chat.ws.protocols:WebSocketManagerProtocl"))
    misspelled = cli("config")
    assert misspelled.returncode == 1
    assert f"error: {toml}, key 'redirects.chat.core.interfaces:ManagerProtocol': canonical 'chat.ws.protocols' " \
           "has no 'WebSocketManagerProtocl'" in misspelled.stdout


def test_config_export_for_ruff_is_enforced_by_ruff(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    result = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "ruff"])
    assert result.exit_code == 0
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["TID251"]\n\n' + result.stdout)
    (root / "use.py").write_text("import pkg.old\nfrom pkg.old import OldThing\nimport os\n")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    checked = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "use.py"], cwd=root,
                             capture_output=True, text=True)
    assert checked.returncode == 1
    assert checked.stdout.count("TID251") == 3 and "Use pkg.new instead" in checked.stdout
    assert "Use pkg.new.Thing" in checked.stdout  # the module twice, the renamed symbol once


def test_config_export_for_import_linter(tmp_path: Path) -> None:
    import configparser

    root = write_tree(tmp_path)
    # import-linter refuses a contract that names a module that does not exist ("Module ... does
    # not exist"): only the legacy modules still on disk (pkg.old, a shim) are forbidden.
    (root / "pkg" / "old.py").write_text("from pkg.new import *\n")
    result = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "import-linter"])
    parser = configparser.ConfigParser()
    parser.read_string(result.stdout)
    contract = parser["importlinter:contract:ssot-runtime-legacy"]
    assert contract["type"] == "forbidden"
    assert contract["forbidden_modules"].split() == ["pkg.old"]
    assert "left out" in result.stdout and "pkg.legacy" in result.stdout.split("[importlinter]")[0]
    assert parser["importlinter"]["root_packages"].split() == ["pkg"]
    (root / "pkg" / "old.py").unlink()
    nothing = runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "import-linter"])
    assert nothing.exit_code == 0 and "[importlinter" not in nothing.stdout and "nothing" in nothing.stdout
    assert runner.invoke(app, ["config", "--config", str(root / "ssot.toml"), "--export", "flake8"]).exit_code == 2

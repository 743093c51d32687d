"""A first import's importer, found by module names (3.12+) or by frames: the same records.

On 3.12+, ``Binding.loaded`` reads the usual stacks (``import legacy``, ``import_module``)
with ``sys._getframemodulename`` and makes one frame object; every other stack goes the long
way. The same program runs both ways here and gives the same records, and the short way is
checked to be taken where it should.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from ssot_runtime.hook import binding
from ssot_runtime.testing import capture

from .conftest import CONFIG

PROGRAM = """
import importlib
from unittest import mock

import app.ws.unified_manager                                # a statement, at module level

def f():
    import app.legacy.models                                 # a prefix rule
    importlib.import_module("app.ws.unified_manager")        # import_module, cached: no first import
    return importlib.import_module("app.legacy.deep.leaf")   # a child: its parents are implicit

def g():
    from app.ws.unified_manager import UnifiedWebSocketManager
    with mock.patch("app.legacy.models.VALUE", 2):           # resolved for a patch
        pass
    return UnifiedWebSocketManager

f()
g()
import app.helpers
app.helpers.load("app.legacy.deep")                          # import_module from a helper
"""


def records(app: Path, tmp_path: Path, name: str) -> list[tuple[object, ...]]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(PROGRAM))
    with capture(CONFIG) as uses:
        exec(compile(path.read_text(), str(path), "exec"), {"__name__": name, "__file__": str(path)})
    timings = [(t.legacy, t.line, t.function.replace(name, "P"), t.error) for t in uses.hook.import_timings()]
    uses_ = [(r.legacy, r.symbol, r.line, r.function.replace(name, "P"), r.count) for r in uses.records]
    return sorted(uses_, key=repr) + sorted(timings, key=repr)


def test_the_same_records_by_module_names_and_by_frames(app: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    short = records(app, tmp_path, "short")
    for name in [n for n in sys.modules if n.startswith("app.legacy") or n == "app.ws.unified_manager"]:
        del sys.modules[name]
    monkeypatch.setattr(binding, "_module_of", None)
    long = records(app, tmp_path, "long")
    assert short == long
    assert len(short) > 8


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys._getframemodulename is 3.12's")
def test_the_usual_stacks_take_the_short_way(app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_way: list[str] = []
    real = binding.Binding.first_import

    def spy(self: binding.Binding, *args: object, **kwargs: object) -> None:
        if not kwargs.get("user_known"):
            long_way.append(self.legacy)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(binding.Binding, "first_import", spy)
    records(app, tmp_path, "spied")
    # Only the implicit imports of parents (app.legacy, app.legacy.deep for the leaf) and the
    # patch's import (mock's frames are skipped: the long way) go the long way.
    assert "app.ws.unified_manager" not in long_way
    assert "app.legacy.deep.leaf" not in long_way
    assert "app.legacy" in long_way

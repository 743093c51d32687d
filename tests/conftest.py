"""Shared fixtures: every test leaves the import system as it found it."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Older opentelemetry-api versions import the importlib_metadata backport, which appends a finder
# of its own to sys.meta_path: let it do so before any test compares sys.meta_path.
with contextlib.suppress(ImportError):
    import importlib_metadata  # noqa: F401


@pytest.fixture(autouse=True)
def telemetry_output(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Telemetry files of hooks installed by tests go to a folder of the test's own."""
    output = tmp_path_factory.mktemp("ssot-output")
    monkeypatch.setenv("SSOT_RUNTIME_OUTPUT", str(output))
    return output


@pytest.fixture(autouse=True)
def _restore_import_state() -> Iterator[None]:
    """Restore sys.meta_path, sys.modules, sys.path, os.environ and the warning filters."""
    meta_path = list(sys.meta_path)
    modules = dict(sys.modules)
    path = list(sys.path)
    environ = dict(os.environ)
    filters = list(warnings.filters)
    try:
        yield
    finally:
        for finder in list(sys.meta_path):
            hook = getattr(finder, "hook", None)
            if hook is not None and hasattr(hook, "uninstall"):
                hook.uninstall()
        sys.meta_path[:] = meta_path
        for name in [n for n in sys.modules if n not in modules and not _library_module(sys.modules[n])]:
            del sys.modules[name]
        sys.modules.update(modules)
        sys.path[:] = path
        os.environ.clear()
        os.environ.update(environ)
        warnings.filters[:] = filters
        importlib.invalidate_caches()


_LIBRARY_ROOTS = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, os.path.dirname(os.__file__)})
_SRC = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "src"))


def _library_module(module: object) -> bool:
    """Libraries imported during a test (the OpenTelemetry SDK, say) stay: importing them again
    would make a second generation of their classes beside references to the first."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return False
    real = os.path.realpath(file)
    return real.startswith(_LIBRARY_ROOTS) or real.startswith(_SRC)


Tree = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_tree(tmp_path: Path) -> Tree:
    """Write ``{"pkg/mod.py": source}`` under a fresh folder put first on ``sys.path``.

    Missing ``__init__.py`` files are not created: name them to get regular packages.
    """
    root = tmp_path / "src"
    root.mkdir()

    def make(files: dict[str, str]) -> Path:
        for rel, source in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source))
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        importlib.invalidate_caches()
        return root

    return make


APP = {
    "app/__init__.py": "",
    "app/ws/__init__.py": "",
    "app/ws/websocket_manager.py": """
        import builtins
        builtins.__dict__.setdefault("_ssot_test_execs", []).append(__name__)

        class WebSocketManager:
            pass

        def helper():
            return "helper"

        CONSTANT = 42
    """,
    "app/core/__init__.py": "CORE = 'core'\n",
    "app/core/models.py": """
        class Model:
            pass

        VALUE = 1
    """,
    "app/core/deep/__init__.py": "",
    "app/core/deep/leaf.py": "LEAF = 'leaf'\n",
    "app/helpers.py": """
        import importlib

        def load(name):
            return importlib.import_module(name)

        def read(module, attr):
            return getattr(module, attr)
    """,
}

CONFIG = {
    "redirects": {
        "app.ws.unified_manager": "app.ws.websocket_manager",
        "app.ws.unified_manager:UnifiedWebSocketManager": "app.ws.websocket_manager:WebSocketManager",
        "app.legacy.*": "app.core.*",
    }
}


@pytest.fixture
def app(make_tree: Tree) -> Path:
    """The example application: a canonical WebSocket manager and a core package."""
    import builtins

    builtins.__dict__["_ssot_test_execs"] = []
    return make_tree(APP)


def execs() -> list[str]:
    """Names under which the canonical manager module body has run in this test."""
    import builtins

    return list(builtins.__dict__.get("_ssot_test_execs", []))

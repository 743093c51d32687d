"""The public API: install, uninstall, tracking, snapshots, process_startup, never breaking the host."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

import ssot_runtime
from ssot_runtime.hook import recorder as _recorder
from ssot_runtime.testing import capture

from .conftest import CONFIG

LEGACY = "app.ws.unified_manager"


def test_public_names() -> None:
    for name in ssot_runtime.__all__:
        assert hasattr(ssot_runtime, name), name
    assert (Path(ssot_runtime.__file__).parent / "py.typed").exists()


def test_install_puts_the_finder_first_and_uninstall_restores_everything(app: Path) -> None:
    meta_path = list(sys.meta_path)
    import app.ws as ws

    hook = ssot_runtime.install(CONFIG)
    assert sys.meta_path[0] is hook.finder and sys.meta_path[1:] == meta_path
    assert ssot_runtime.active_hook() is hook
    import app.legacy.models
    import app.ws.unified_manager

    assert ws.unified_manager is sys.modules[LEGACY]
    hook.uninstall()
    assert sys.meta_path == meta_path
    assert not [n for n in sys.modules if n.startswith(("app.legacy", LEGACY))]
    assert "unified_manager" not in vars(ws)
    assert ssot_runtime.active_hook() is None
    hook.uninstall()  # twice is fine
    with pytest.raises(ModuleNotFoundError):
        import app.ws.unified_manager  # noqa: F401


def test_tracking_is_a_context_manager_and_snapshot_keeps_records(app: Path) -> None:
    with ssot_runtime.tracking(CONFIG) as hook:
        import app.ws.unified_manager  # noqa: F401
    assert [r.legacy for r in hook.snapshot()] == [LEGACY]
    assert not hook.installed


def test_snapshot_times(app: Path) -> None:
    now = [1000.0]
    recorder = _recorder.Recorder(clock=lambda: now[0])
    hook = ssot_runtime.Hook(ssot_runtime.parse_config({**CONFIG, "exporters": []}), recorder=recorder).install()
    try:
        import app.ws.unified_manager as legacy

        now[0] = 1005.0
        (first,) = hook.snapshot()
        assert (first.first_seen, first.last_seen, first.count) == (1000.0, 1000.0, 1)
        for _ in range(2):
            legacy.helper  # noqa: B018
        now[0] = 1010.0
        helper = next(r for r in hook.snapshot() if r.symbol == "helper")
        assert (helper.first_seen, helper.last_seen, helper.count) == (1005.0, 1010.0, 2)
        now[0] = 1020.0
        helper = next(r for r in hook.snapshot() if r.symbol == "helper")
        assert helper.last_seen == 1010.0  # no new use: unchanged
    finally:
        hook.uninstall()


def test_recorder_reset_starts_counts_from_zero(app: Path) -> None:
    with capture(CONFIG) as uses:
        import app.ws.unified_manager as legacy

        legacy.helper  # noqa: B018
        uses.hook.recorder.reset()
        assert uses.records == ()
        legacy.helper  # noqa: B018
        assert uses.count(LEGACY, "helper") == 1


def test_disabled_by_environment(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSOT_RUNTIME_DISABLED", "1")
    hook = ssot_runtime.install(CONFIG)
    assert not hook.installed and hook.finder not in sys.meta_path


def test_capture_counts_with_filters(app: Path) -> None:
    with capture(CONFIG) as uses:
        from app.ws.unified_manager import CONSTANT, helper  # noqa: F401
    assert uses.count() == 2
    assert uses.count(LEGACY, "helper") == 1
    assert uses.count(LEGACY, None) == 0
    assert uses.count(file=__file__) == 2


class ExplodingRecorder(_recorder.Recorder):
    def site(self, *args: object, **kwargs: object) -> _recorder._Site:  # type: ignore[override]
        raise RuntimeError("boom")


def test_internal_errors_never_reach_the_application(app: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = ssot_runtime.parse_config({**CONFIG, "exporters": []})
    hook = ssot_runtime.Hook(config, recorder=ExplodingRecorder()).install()
    try:
        with caplog.at_level(logging.WARNING, logger="ssot_runtime"):
            import app.ws.unified_manager as legacy
            from app.ws.unified_manager import UnifiedWebSocketManager

            for _ in range(3):
                assert legacy.helper() == "helper"
        assert UnifiedWebSocketManager.__name__ == "WebSocketManager"
        assert hook.internal_errors >= 3
        logged = [r for r in caplog.records if r.name == "ssot_runtime"]
        assert len(logged) == 1 and "internal error" in logged[0].getMessage()
    finally:
        hook.uninstall()


def test_process_startup_needs_the_environment(tmp_path: Path, app: Path) -> None:
    assert ssot_runtime.process_startup(environ={}) is None
    assert ssot_runtime.active_hook() is None
    config = tmp_path / "ssot.toml"
    config.write_text('[redirects]\n"app.ws.unified_manager" = "app.ws.websocket_manager"\n')
    hook = ssot_runtime.process_startup(environ={"SSOT_RUNTIME_CONFIG": str(config)})
    assert hook is not None and hook.installed
    assert ssot_runtime.process_startup(environ={"SSOT_RUNTIME_CONFIG": str(config)}) is hook
    assert sum(1 for f in sys.meta_path if f is hook.finder) == 1


def test_process_startup_bad_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ssot.toml"
    config.write_text('bogus = 1\n[redirects]\n"a" = "b"\n')
    assert ssot_runtime.process_startup(environ={"SSOT_RUNTIME_CONFIG": str(config)}) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(config) in err and "bogus" in err
    config.write_text('strict = true\nbogus = 1\n')
    with pytest.raises(ssot_runtime.ConfigError):
        ssot_runtime.process_startup(environ={"SSOT_RUNTIME_CONFIG": str(config)})

"""The pytest plugin (entry point ``pytest11``): ``pytest --ssot-runtime[=CONFIG]``.

Without ``--ssot-runtime`` the plugin only declares its options: nothing is installed and nothing
more is imported. With it, the hook is installed before the initial conftests load (so that
collection-time imports are seen) and uninstalled when pytest unconfigures. Uses made until the
end of collection and uses made afterwards (fixtures, test bodies, teardown) are told apart: the
terminal summary shows both, and ``<output>/pytest-phases.json`` holds per-site counts for each.
``--ssot-strict`` fails the session when legacy uses go beyond ``--ssot-baseline`` (nothing is
allowed without one). See docs/workflow-tools.md.
"""

from __future__ import annotations

import os

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .session import SessionUses


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssot-runtime", "legacy import paths (ssot-runtime)")
    group.addoption("--ssot-runtime", action="store", nargs="?", const="", default=None, metavar="CONFIG",
                    help="Install the ssot-runtime hook for the test session (optionally with this config; "
                         "write --ssot-runtime=CONFIG).")
    group.addoption("--ssot-strict", action="store_true", default=False,
                    help="Fail the session when legacy paths are used beyond --ssot-baseline "
                         "(any use, without a baseline).")
    group.addoption("--ssot-baseline", action="store", default=None, metavar="FILE",
                    help="The uses allowed: a baseline as written by `ssot-runtime check --write-baseline`.")
    group.addoption("--ssot-write-baseline", action="store", default=None, metavar="FILE",
                    help="Write the session's uses as a baseline (paths relative to the rootdir).")


_KEY: pytest.StashKey[SessionUses] = pytest.StashKey()


def _start(config: pytest.Config, opt: Any) -> None:
    """Install the hook for the session (once), if ``--ssot-runtime`` was given in ``opt``."""
    if _KEY in config.stash:
        return
    value = getattr(opt, "ssot_runtime", None)
    if value is None:
        if getattr(opt, "ssot_strict", False) or getattr(opt, "ssot_baseline", None) or \
                getattr(opt, "ssot_write_baseline", None):
            raise pytest.UsageError("--ssot-strict, --ssot-baseline and --ssot-write-baseline need --ssot-runtime")
        return
    if value and (value.endswith(".py") or os.path.isdir(value)):
        raise pytest.UsageError(f"--ssot-runtime took {value!r} as its configuration file: write "
                                "--ssot-runtime=CONFIG, or put --ssot-runtime after the test paths")
    if getattr(opt, "ssot_strict", False) and getattr(opt, "numprocesses", None) and \
            not os.environ.get("PYTEST_XDIST_WORKER"):
        raise pytest.UsageError("--ssot-strict does not support pytest-xdist yet: run with -n 0 or -p no:xdist")
    import ssot_runtime
    from ssot_runtime.errors import ConfigError, SsotRuntimeError

    from .session import SessionUses

    baseline = None
    if getattr(opt, "ssot_baseline", None):
        from ..analysis.check import read_baseline

        try:
            baseline = read_baseline(opt.ssot_baseline)
        except SsotRuntimeError as exc:
            raise pytest.UsageError(f"--ssot-baseline: {exc}") from None
    existing = ssot_runtime.active_hook()
    if existing is not None:  # `ssot-runtime run -- pytest --ssot-runtime`: the process has one already
        uses = SessionUses(config, opt, existing, owned=False, baseline=baseline)
    else:
        try:
            cfg = ssot_runtime.load_config(value or None)
        except ConfigError as exc:
            raise pytest.UsageError(f"--ssot-runtime: {exc}") from None
        # Absolute now: a test that changes the working directory must not move the traces.
        cfg = cfg.replace(output=os.path.abspath(cfg.output))
        uses = SessionUses(config, opt, ssot_runtime.install(cfg), owned=True, baseline=baseline)
    config.stash[_KEY] = uses
    config.add_cleanup(uses.close)  # also when the session ends before pytest_unconfigure


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The command line is parsed in full later: options are in known_args_namespace for now.
    _start(early_config, early_config.known_args_namespace)  # before the initial conftests import anything


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _start(config, config.option)  # when loaded too late for the hook above (pytest_plugins in a conftest)


def pytest_collection_finish(session: pytest.Session) -> None:
    uses = session.config.stash.get(_KEY, None)
    if uses is not None:
        uses.collection_finished()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    uses = session.config.stash.get(_KEY, None)
    if uses is not None:
        uses.session_finished(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, in the controller: a worker finished; keep what it counted for the summary."""
    uses = node.config.stash.get(_KEY, None)
    payload = getattr(node, "workeroutput", {}).get("ssot_runtime")
    if uses is not None and payload is not None:
        uses.workers.append(payload)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    uses = config.stash.get(_KEY, None)
    if uses is not None and uses.finished:
        uses.summary(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    uses = config.stash.get(_KEY, None)
    if uses is not None:
        uses.close()


"""The public entry points: install the hook, track a block, start it from ``sitecustomize``."""

from __future__ import annotations

import os
import sys

from .config import load_config, strict_requested
from .errors import ConfigError
from .hook.finder import RedirectFinder
from .hook.hook import BaseHook

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .config import Config
    from .hook.ports import Exporter

    ConfigArg = Config | Mapping[str, Any] | str | os.PathLike[str] | None


class Hook(BaseHook):
    """An installed (or installable) redirect hook; :func:`install` returns one.

    What it records leaves the process through OpenTelemetry (local OTLP/JSON files by default),
    started at the first legacy use: the hook itself knows nothing of telemetry.
    """

    def new_exporter(self) -> Exporter:
        from .telemetry.providers import Telemetry

        return Telemetry(self)


def install(config: ConfigArg = None) -> Hook:
    """Install the redirect hook and return its handle; ``handle.uninstall()`` undoes it.

    ``config`` is a :class:`Config`, a mapping in the TOML layout, a path, or None to look the
    configuration up (see :func:`ssot_runtime.load_config`). With ``SSOT_RUNTIME_DISABLED=1``
    the handle is returned uninstalled.
    """
    cfg = load_config(config)
    hook = Hook(cfg)
    if not cfg.disabled:
        hook.install()
    return hook


def tracking(config: ConfigArg = None) -> Hook:
    """A hook to install for the duration of a ``with`` block: ``with tracking(cfg) as hook: ...``."""
    return Hook(load_config(config))


def active_hook() -> BaseHook | None:
    """The hook installed in ``sys.meta_path``, if any."""
    for finder in sys.meta_path:
        if isinstance(finder, RedirectFinder) and isinstance(finder.hook, BaseHook):
            return finder.hook
    return None


def process_startup(environ: Mapping[str, str] | None = None) -> BaseHook | None:
    """Start the hook from ``sitecustomize`` or a ``.pth`` file; safe to call twice.

    Does nothing unless ``SSOT_RUNTIME_CONFIG`` is set or ``SSOT_RUNTIME_ENABLED=1``. A bad
    configuration prints one line on stderr and leaves the application alone, unless the
    configuration says ``strict = true``. SIGTERM's default action saves the uses first (see
    ``_signals``); ``SSOT_RUNTIME_SAVE_ON_SIGTERM=0`` leaves it alone.
    """
    environ = os.environ if environ is None else environ
    if not environ.get("SSOT_RUNTIME_CONFIG") and environ.get("SSOT_RUNTIME_ENABLED", "") not in ("1", "true"):
        return None
    existing = active_hook()
    if existing is not None:
        return existing
    try:
        hook = install(load_config(environ=environ))
    except ConfigError as exc:
        if strict_requested(environ):
            raise
        print(f"ssot-runtime: not enabled: {exc}", file=sys.stderr)
        return None
    except Exception as exc:  # never break the application at start-up
        print(f"ssot-runtime: not enabled: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    if not hook.installed:
        return None
    if environ.get("SSOT_RUNTIME_SAVE_ON_SIGTERM", "1").strip().lower() not in ("0", "false"):
        from .telemetry import signals

        signals.install(save_uses)
    return hook


def save_uses() -> None:
    """Export what the active hook recorded and stop its telemetry: the process is about to end."""
    hook = active_hook()
    telemetry = hook.telemetry if hook is not None else None
    if telemetry is not None:
        telemetry.shutdown()

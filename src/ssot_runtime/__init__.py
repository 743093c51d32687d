"""ssot-runtime: old import paths keep working, and every use of them is counted at its line.

    import ssot_runtime
    handle = ssot_runtime.install({"redirects": {"app.old": "app.new"}})
    ...
    for record in handle.snapshot():
        print(record.legacy, record.file, record.line, record.count)
    handle.uninstall()

PYTEST_DONT_REWRITE (the package loads at interpreter start-up, before pytest could rewrite it)
"""

from __future__ import annotations

from .config import Config, Rule, load_config, parse_config
from .errors import ConfigError, LegacyImportError, LegacyImportWarning, SsotRuntimeError
from .hook.recorder import ImportTiming, UseRecord
from .runtime import Hook, active_hook, install, process_startup, tracking
from .version import __version__ as __version__

__all__ = [
    "Config",
    "ConfigError",
    "Hook",
    "ImportTiming",
    "LegacyImportError",
    "LegacyImportWarning",
    "Rule",
    "SsotRuntimeError",
    "UseRecord",
    "active_hook",
    "install",
    "load_config",
    "parse_config",
    "process_startup",
    "tracking",
]

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

from ._config import Config, Rule, load_config, parse_config
from ._errors import ConfigError, LegacyImportError, LegacyImportWarning, SsotRuntimeError
from ._hook import Hook
from ._install import active_hook, install, process_startup, tracking
from ._recorder import ImportTiming, UseRecord

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
__version__ = "0.1.0"

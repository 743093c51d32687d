"""Configuration: the legacy map and the options, read from TOML (the bottom of the layout).

Layers, the first found wins for the file, then overrides on top of it:

1. an explicit argument (a path, a mapping or a :class:`Config`);
2. ``SSOT_RUNTIME_CONFIG=path``;
3. ``./ssot-runtime.toml``;
4. ``[tool.ssot_runtime]`` in the nearest ``pyproject.toml`` upwards from the working directory;
5. then ``SSOT_RUNTIME_MODE`` replaces ``mode`` and ``SSOT_RUNTIME_DISABLED=1`` disables the hook.
"""

from __future__ import annotations

from .load import load_config, parse_config, strict_requested
from .rules import DEFAULT_OUTPUT, EXPORTERS, MODES, WARN_CHOICES, Config, Rule, resolve

__all__ = ["DEFAULT_OUTPUT", "EXPORTERS", "MODES", "WARN_CHOICES", "Config", "Rule", "load_config", "parse_config",
           "resolve", "strict_requested"]

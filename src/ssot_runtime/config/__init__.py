"""Configuration: the legacy map and the options, read from TOML (the bottom of the layout).

The model is :mod:`.rules`; the files and their layers are :mod:`.load`.
"""

from __future__ import annotations

from .load import load_config, parse_config, strict_requested
from .rules import DEFAULT_OUTPUT, EXPORTERS, MODES, WARN_CHOICES, Config, Rule, resolve

__all__ = ["DEFAULT_OUTPUT", "EXPORTERS", "MODES", "WARN_CHOICES", "Config", "Rule", "load_config", "parse_config",
           "resolve", "strict_requested"]

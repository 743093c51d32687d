"""Small projects and a clean environment for tests that run the command line or real processes."""

from __future__ import annotations

import os
from pathlib import Path


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without ssot-runtime's and OpenTelemetry's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "OTEL_"))}
    env.update(extra)
    return env


def legacy_project(tmp_path: Path, config: str = "") -> Path:
    """``proj/`` with ``newpkg.canonical`` and an ``ssot-runtime.toml`` redirecting ``oldpkg.legacy`` to it."""
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("X = 1\ndef work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text(config + '[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    return root

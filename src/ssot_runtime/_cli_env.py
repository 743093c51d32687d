"""``enable`` / ``disable``: start the hook in every interpreter of a virtual environment."""

from __future__ import annotations

from .cli import app, handles_errors  # noqa: F401 - commands register on the shared app

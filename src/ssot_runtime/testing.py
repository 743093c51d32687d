"""Helpers for tests: capture the legacy uses a block of code makes.

    from ssot_runtime.testing import capture

    def test_no_legacy_uses():
        with capture({"redirects": {"old.mod": "new.mod"}}) as uses:
            import old.mod
        assert uses.count("old.mod") == 1
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .config import load_config
from .runtime import install

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .hook.hook import BaseHook as Hook
    from .hook.recorder import UseRecord
    from .runtime import ConfigArg

__all__ = ["Capture", "capture"]

_ANY = object()


class Capture:
    """The records of one :func:`capture` block; live inside it, final after it."""

    def __init__(self, hook: Hook) -> None:
        self.hook = hook
        self._final: tuple[UseRecord, ...] | None = None

    @property
    def records(self) -> tuple[UseRecord, ...]:
        return self._final if self._final is not None else self.hook.snapshot()

    def count(self, legacy: str | None = None, symbol: object = _ANY, *, file: str | None = None,
              line: int | None = None) -> int:
        """Uses matching every filter given (``symbol=None`` selects module uses)."""
        return sum(
            r.count for r in self.records
            if (legacy is None or r.legacy == legacy)
            and (symbol is _ANY or r.symbol == symbol)
            and (file is None or r.file == file)
            and (line is None or r.line == line)
        )


@contextlib.contextmanager
def capture(config: ConfigArg = None, *, telemetry: bool = False) -> Iterator[Capture]:
    """Install the hook for the block and yield a :class:`Capture` of its records.

    Telemetry stays off (no files, no exporters) unless ``telemetry=True``.
    """
    cfg = load_config(config)
    hook = install(cfg if telemetry else cfg.replace(exporters=(), use_global_providers=False))
    result = Capture(hook)
    try:
        yield result
    finally:
        result._final = hook.snapshot()
        hook.uninstall()

"""The exceptions and the warning category that ssot-runtime raises."""

from __future__ import annotations


class SsotRuntimeError(Exception):
    """Base class of the errors this library raises on purpose."""


class ConfigError(SsotRuntimeError, ValueError):
    """A configuration file or value is invalid; the message names the file and key."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        where = ", ".join(part for part in (source, f"key {key!r}" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


class LegacyImportError(ImportError):
    """Raised in ``error`` mode when code imports a legacy path."""


class LegacyImportWarning(DeprecationWarning):
    """Issued in ``warn`` mode when code uses a legacy path."""


def write_error(path: str, what: str, exc: OSError) -> SsotRuntimeError:
    """The error for a file that cannot be written: the user's path and the cause, not an internal temp file."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    cause = f"no such folder {folder}" if not os.path.isdir(folder) else (exc.strerror or str(exc)).lower()
    return SsotRuntimeError(f"{path}: cannot write the {what}: {cause}")

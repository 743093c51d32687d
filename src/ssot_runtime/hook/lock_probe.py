"""3.10: seeing ``importlib.import_module`` of a legacy module that is already loaded.

From 3.11, ``_find_and_load`` reads ``module.__spec__`` on a cached module, and the legacy
module's ``__spec__`` property counts the call. 3.10's cached path reads nothing of the
module: it takes the module's lock and returns it. The lock is looked up in
``importlib._bootstrap._module_locks[name]``, a dict of weak references that are called to get
the lock; a probe standing there is called by every ``_find_and_load`` of the name, and hands
the import its lock as before (the one of a first import still running, else one of its own).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, ModuleType
    from typing import Any

NEEDED = sys.version_info < (3, 11)
_getframe = sys._getframe


def _importlib_bootstrap() -> ModuleType:
    """``importlib._bootstrap`` as a plain module (typeshed knows nothing of its private names)."""
    import importlib  # noqa: F401  (loads importlib._bootstrap's public alias)

    return sys.modules["importlib._bootstrap"]


class LockProbe:
    """Stands in ``_module_locks[name]``: called as a weak reference is, it returns the lock."""

    __slots__ = ("_lock", "_module", "_name", "_on_cached", "_previous")

    def __init__(self, name: str, module: object, previous: Callable[[], Any] | None,
                 on_cached: Callable[[FrameType], None]) -> None:
        _bootstrap = _importlib_bootstrap()
        self._name = name
        self._module = module
        self._previous = previous  # the weak reference it replaces, if any
        self._lock = _bootstrap._ModuleLock(name)
        self._on_cached = on_cached

    def __call__(self) -> Any:
        # _find_and_load < _ModuleLockManager.__enter__ < _get_module_lock < here. The other
        # caller, _lock_unlock_module (a module still initialising), is no use of its own.
        caller = _getframe(2)
        if caller.f_code.co_name == "__enter__":
            find = caller.f_back
            if find is not None and find.f_code.co_name == "_find_and_load" \
                    and sys.modules.get(self._name) is self._module:
                self._on_cached(find)
        previous = self._previous() if self._previous is not None else None
        return previous if previous is not None else self._lock


def install(name: str, module: object, on_cached: Callable[[FrameType], None]) -> LockProbe | None:
    """Put a probe for ``name`` in ``_module_locks`` (3.10 only); None where not needed."""
    if not NEEDED:
        return None
    import _imp
    _bootstrap = _importlib_bootstrap()
    _imp.acquire_lock()
    try:
        locks: dict[str, Any] = _bootstrap._module_locks
        current = locks.get(name)
        if isinstance(current, LockProbe):
            current = current._previous
        probe = LockProbe(name, module, current, on_cached)
        locks[name] = probe
    finally:
        _imp.release_lock()
    return probe


def uninstall(name: str, probe: LockProbe | None) -> None:
    """Take the probe out again, if it is still there."""
    if probe is None:
        return
    import _imp
    _bootstrap = _importlib_bootstrap()
    _imp.acquire_lock()
    try:
        locks: dict[str, Any] = _bootstrap._module_locks
        if locks.get(name) is probe:
            del locks[name]
    finally:
        _imp.release_lock()

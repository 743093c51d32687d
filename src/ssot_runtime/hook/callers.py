"""What the frames around a read were doing: an implicit parent import, ``mock.patch`` at work.

Also our warning, issued at the user's line as ``warnings.warn`` would attribute it.
"""

from __future__ import annotations

from ..errors import LegacyImportWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType


def _implicit_parent_import(frame: FrameType) -> bool:
    """Whether ``_find_and_load`` runs for the parent of a module being imported (not a use)."""
    names: list[str] = []
    up: FrameType | None = frame.f_back
    while up is not None and len(names) < 3:
        names.append(up.f_code.co_name)
        up = up.f_back
    # _find_and_load < _gcd_import < _call_with_frames_removed < _find_and_load_unlocked
    return names[1:3] == ["_call_with_frames_removed", "_find_and_load_unlocked"]


# unittest.mock's functions that resolve a patch target ("legacy.X": import legacy, read X).
_PATCH_RESOLVERS = frozenset({"get_original", "__enter__", "_get_target", "_importer", "_dot_lookup", "<lambda>"})


def _resolved_for_a_patch(frame: FrameType | None, user: FrameType | None) -> bool:
    """Whether an import runs to resolve ``mock.patch("legacy.X")``'s target: one patch is one
    use of ``X`` (counted where mock reads it), not a use of the module as well.

    mock's frames are walked past to find the user, so they lie between ``frame`` and ``user``:
    only those are read (an import statement of the user's own reads none), never the stack above.
    """
    depth = 0
    while frame is not None and frame is not user and depth < 12:
        if frame.f_globals.get("__name__") == "unittest.mock":
            return frame.f_code.co_name in _PATCH_RESOLVERS
        frame = frame.f_back
        depth += 1
    return False


def _patch_restore(frame: FrameType) -> bool:
    """A read by ``mock.patch``'s exit (``hasattr`` after restoring the original): not a use."""
    return frame.f_code.co_name == "__exit__" and frame.f_globals.get("__name__") == "unittest.mock"


def _where(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return f" [imported at {frame.f_code.co_filename}:{frame.f_lineno}]"


def warn_at(message: str, frame: FrameType, *, always: bool) -> None:
    """Issue a :class:`LegacyImportWarning` attributed to ``frame``'s line, as ``warnings.warn`` would."""
    import warnings  # the first warning pays for it, not start-up

    f_globals = frame.f_globals
    registry = None if always else f_globals.setdefault("__warningregistry__", {})
    # The globals help linecache find the source through the module's loader. From 3.12 they
    # make importlib warn first ("Module globals is missing a __spec__.loader") where the spec
    # has no loader (a script's __main__): -W error then raises that instead of ours. Such code
    # is read from its file by name.
    #
    # A module run by runpy as __main__ (`python -m app.main`) has the spec of "app.main" and the
    # name "__main__": warnings asks its loader for the source of "__main__", and the loader
    # raises ImportError out of warn_explicit. Its source is read by file name too.
    spec = f_globals.get("__spec__")
    name = f_globals.get("__name__")
    usable = getattr(spec, "loader", None) is not None and getattr(spec, "name", None) == name
    warnings.warn_explicit(message, LegacyImportWarning, frame.f_code.co_filename, frame.f_lineno or 0,
                           module=name, registry=registry, module_globals=f_globals if usable else None)

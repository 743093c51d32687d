"""``ssot-runtime enable`` / ``disable``: a ``.pth`` file that starts the hook in every interpreter
of an environment.

The file holds one ``import`` line, which ``site`` executes at every interpreter start-up. It
costs an environment lookup when neither ``SSOT_RUNTIME_CONFIG`` nor ``SSOT_RUNTIME_ENABLED``
is set, runs at most once per process (the same file runs again when its folder is added as a
site folder twice), and never stops the interpreter when ssot-runtime is missing or broken: only
a configuration that says ``strict = true`` does, as with the ``sitecustomize`` of
``ssot-runtime run``. No ``sitecustomize`` is written or changed.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ..errors import SsotRuntimeError

PTH_NAME = "ssot_runtime_startup.pth"

RUN_PTH_NAME = "ssot_runtime_run.pth"  # written by `run`: inert unless SSOT_RUNTIME_RUN=1
ENABLE_GATE = 'os.environ.get("SSOT_RUNTIME_CONFIG") or os.environ.get("SSOT_RUNTIME_ENABLED", "") in ("1", "true")'
RUN_GATE = 'os.environ.get("SSOT_RUNTIME_RUN") == "1"'

# Run by `site` in a namespace of its own. The gate comes first: the environment, then a flag on
# `sys` (not in the environment, which child processes inherit).
_STARTUP = """\
import os, sys
if (GATE) and not getattr(sys, "_ssot_runtime_pth", False):
    sys._ssot_runtime_pth = True
    try:
        import ssot_runtime
    except Exception as exc:  # not installed here (silent), or broken (one line)
        ssot_runtime = None
        if not (isinstance(exc, ImportError) and exc.name == "ssot_runtime"):
            print(f"ssot-runtime: not enabled: {type(exc).__name__}: {exc}", file=sys.stderr)
    if ssot_runtime is not None:
        try:
            ssot_runtime.process_startup()
        except ssot_runtime.ConfigError:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        except Exception as exc:
            print(f"ssot-runtime: not enabled: {type(exc).__name__}: {exc}", file=sys.stderr)
"""


def pth_line(gate: str = ENABLE_GATE) -> str:
    """The single line of the ``.pth`` file (``site`` executes lines that start with ``import``)."""
    return f"import sys; exec({_STARTUP.replace('GATE', gate)!r}, {{'__name__': 'ssot_runtime_startup'}})\n"


class EnableError(SsotRuntimeError):
    """An environment whose site-packages folder cannot be found."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    changed: bool  # written or removed; False when it already was as asked
    installed: bool | None = None  # enable: whether ssot_runtime seems installed in that environment


def site_packages(venv: str | os.PathLike[str] | None = None) -> Path:
    """The site-packages folder of ``venv``, or of the running interpreter's environment."""
    if venv is None:
        return Path(sysconfig.get_paths()["purelib"])
    root = Path(venv)
    if not root.is_dir():
        raise EnableError(f"{root}: no such folder")
    found = sorted({*root.glob("lib/python*/site-packages"), *root.glob("lib/pypy*/site-packages"),
                    *root.glob("Lib/site-packages")})
    found = [p for p in found if p.is_dir()]
    if len(found) > 1:  # several interpreters' folders: the one the venv's pyvenv.cfg names
        version = _venv_version(root)
        matching = [p for p in found if version and p.parent.name.endswith(version)]
        found = matching if len(matching) == 1 else found
    if not found:
        raise EnableError(f"{root}: not a virtual environment (no lib/python*/site-packages in it)")
    if len(found) > 1:
        raise EnableError(f"{root}: several site-packages folders, give one of them with --venv: "
                          + ", ".join(str(p) for p in found))
    return found[0]


def _venv_version(root: Path) -> str | None:
    """``3.11`` from a pyvenv.cfg's ``version = 3.11.7`` (or ``version_info``)."""
    try:
        text = (root / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            parts = value.strip().split(".")
            if len(parts) >= 2:
                return f"{parts[0]}.{parts[1]}"
    return None


def _installed_in(folder: Path) -> bool:
    """Whether ssot_runtime looks installed in this site-packages folder (a hint, not a guarantee)."""
    return any(folder.glob("ssot_runtime-*.dist-info")) or (folder / "ssot_runtime" / "__init__.py").is_file()


def enable(venv: str | os.PathLike[str] | None = None) -> Outcome:
    """Write the ``.pth`` file; writing it again changes nothing."""
    folder = site_packages(venv)
    installed = _installed_in(folder) or (venv is None and "ssot_runtime" in sys.modules)
    return write_pth(folder / PTH_NAME, pth_line(), installed)


def write_pth(path: Path, line: str, installed: bool | None = None) -> Outcome:
    """Write one ``.pth`` file atomically, unless it already holds ``line``."""
    try:
        if path.read_text(encoding="utf-8") == line:
            return Outcome(path, changed=False, installed=installed)
    except FileNotFoundError:
        pass
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"  # not a .pth: site never reads it half-written
    tmp.write_text(line, encoding="utf-8")
    os.replace(tmp, path)
    return Outcome(path, changed=True, installed=installed)


def disable(venv: str | os.PathLike[str] | None = None) -> Outcome:
    """Remove the ``.pth`` file; removing it again changes nothing."""
    path = site_packages(venv) / PTH_NAME
    try:
        path.unlink()
    except FileNotFoundError:
        return Outcome(path, changed=False)
    return Outcome(path, changed=True)

"""Start ssot-runtime in every Python process: put this folder first on PYTHONPATH (staging).

Nothing happens unless SSOT_RUNTIME_CONFIG=path or SSOT_RUNTIME_ENABLED=1 is set (the gate is
in ``ssot_runtime.process_startup``). A bad configuration prints one line on stderr and the
application runs without the hook; only ``strict = true`` in the configuration stops the process.
A ``sitecustomize`` of your own further along sys.path still runs, after this one.
"""

import importlib.machinery
import importlib.util
import os
import sys


def _start() -> None:
    try:
        import ssot_runtime
    except ImportError as exc:  # not installed in this interpreter: the application runs without it
        print(f"ssot-runtime: the hook did not start in this process ({sys.executable}): cannot import "
              f"ssot_runtime ({exc}); install ssot-runtime in that interpreter's environment", file=sys.stderr)
        return
    try:
        ssot_runtime.process_startup()
    except ssot_runtime.ConfigError:  # raised only when the configuration says strict = true
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        # site.py would print and swallow an exception, and report SystemExit as a fatal error.
        os._exit(1)


def _chain() -> None:
    """Run the sitecustomize this file shadows: the next one on sys.path after our folder."""
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    real = [os.path.realpath(entry or os.curdir) for entry in sys.path]
    if here not in real:
        return
    start = real.index(here) + 1
    later = [entry for entry, path in zip(sys.path[start:], real[start:], strict=True) if path != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", later)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its errors reach site.py, as they would without us


_start()  # first, so that legacy imports in the user's sitecustomize are redirected too
_chain()
del _start, _chain

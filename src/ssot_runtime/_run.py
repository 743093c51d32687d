"""``ssot-runtime run``: a command under the hook, in it and in every Python process it starts.

A start-up folder first on ``PYTHONPATH`` holds a ``sitecustomize`` that starts the hook and then
runs the user's own ``sitecustomize``; child processes inherit the environment, so subprocesses,
multiprocessing's spawn workers and ``python -m`` start it too. The child's exit status and
signals pass through unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ._config import _find_file, load_config

STARTUP = Path(__file__).resolve().parent / "_startup"


def child_environment(config: Path | None, output: Path | None, mode: str | None,
                      environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that starts the hook in the command and its children."""
    env = dict(os.environ if environ is None else environ)
    cfg = load_config(config, environ=env)  # validate now: a bad config is a usage error here
    if config is not None:
        env["SSOT_RUNTIME_CONFIG"] = str(config.resolve())
    else:
        found = _find_file(env, os.getcwd())
        if found is not None and not env.get("SSOT_RUNTIME_CONFIG"):
            source = found[1].removesuffix(" [tool.ssot_runtime]")
            env["SSOT_RUNTIME_CONFIG"] = os.path.abspath(source)
        env["SSOT_RUNTIME_ENABLED"] = "1"
    # Absolute, so that children in other working directories write to the same folder.
    env["SSOT_RUNTIME_OUTPUT"] = str((output or Path(cfg.output)).resolve())
    if mode is not None:
        env["SSOT_RUNTIME_MODE"] = mode
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(STARTUP), env.get("PYTHONPATH", "")) if p)
    return env


def run_command(command: list[str], *, config: Path | None = None, output: Path | None = None,
                mode: str | None = None) -> int:
    """Run ``command`` under the hook; return its exit status (re-raising a signal that ended it)."""
    env = child_environment(config, output, mode)
    from . import _run_outputs

    cfg = load_config(config, environ=env)
    if "local" in cfg.exporters:  # made now, for every child; no local folder for a run that writes none
        os.makedirs(env["SSOT_RUNTIME_OUTPUT"], mode=0o700, exist_ok=True)
    before = _run_outputs.sizes(env["SSOT_RUNTIME_OUTPUT"])
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as exc:
        print(f"ssot-runtime: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda number, frame: child.send_signal(number)) for sig in forwarded}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for line in _run_outputs.describe(cfg, env, before):
        print(line, file=sys.stderr)
    if code < 0:  # ended by a signal: end the same way, so the caller sees what it would have seen
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code

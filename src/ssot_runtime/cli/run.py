"""``ssot-runtime run``: a command under the hook, in it and in every Python process it starts.

Two start-ups, both gated by the environment that child processes inherit (so subprocesses,
multiprocessing's spawn workers and ``python -m`` start it too): a ``.pth`` file in this
environment's site-packages, inert unless ``SSOT_RUNTIME_RUN=1``, which runs whatever
``sitecustomize`` wins (``opentelemetry-instrument`` puts its own first on ``PYTHONPATH`` and
does not chain); and a start-up folder first on ``PYTHONPATH`` whose ``sitecustomize`` starts the
hook and then runs the user's own, for interpreters that do not read that site-packages.

On POSIX the command then takes this process's place (``exec``): its pid, process group, signals
and exit status are exactly what they would be without us. A terminal's Ctrl-C reaches it once,
and start-up tools that the environment enables in this Python process (coverage) end with it
without writing anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import MODES, load_config
from ..config.load import _find_file
from .app import CONFIG_HELP, CliError, Command, app, handles_errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

STARTUP = Path(__file__).resolve().parent.parent / "_startup"


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
    env["SSOT_RUNTIME_RUN"] = "1"
    return env


def ensure_startup_pth() -> None:
    """The ``.pth`` start-up in this environment's site-packages; one line on stderr if it cannot be."""
    import sysconfig

    from . import enable

    path = Path(sysconfig.get_paths()["purelib"]) / enable.RUN_PTH_NAME
    try:
        enable.write_pth(path, enable.pth_line(enable.RUN_GATE))
    except OSError as exc:
        print(f"ssot-runtime: cannot write {path} ({exc.strerror or exc}): the hook starts from PYTHONPATH only, "
              "and not where another sitecustomize comes first", file=sys.stderr)


def run_command(command: list[str], *, config: Path | None = None, output: Path | None = None,
                mode: str | None = None) -> int:
    """Run ``command`` under the hook: in this process's place on POSIX, else as a child."""
    from . import run_outputs

    env = child_environment(config, output, mode)
    cfg = load_config(config, environ=env)
    if "local" in cfg.exporters:  # made now, for every child; no local folder for a run that writes none
        os.makedirs(env["SSOT_RUNTIME_OUTPUT"], mode=0o700, exist_ok=True)
    before = run_outputs.sizes(env["SSOT_RUNTIME_OUTPUT"])
    ensure_startup_pth()
    if os.name == "posix":
        return _exec(command, env, lambda: run_outputs.describe(cfg, env, before))
    code = _child(command, env)
    for line in run_outputs.describe(cfg, env, before):
        print(line, file=sys.stderr)
    return code


def _exec(command: list[str], env: dict[str, str], describe: Callable[[], list[str]]) -> int:
    import shutil

    from . import run_report

    program = shutil.which(command[0], path=env.get("PATH")) if os.sep not in command[0] else command[0]
    if program is None:
        print(f"ssot-runtime: cannot run {command[0]!r}: command not found", file=sys.stderr)
        return 127
    sys.stdout.flush()
    sys.stderr.flush()
    run_report.after_exit(os.getpid(), describe)  # says where the data went once the command ended
    # What Python itself ignores (and subprocess restores for its children): the command gets the
    # dispositions it would have had if started without us.
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execve(program, command, env)
    except OSError as exc:
        print(f"ssot-runtime: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126
    raise AssertionError("unreachable")  # pragma: no cover


def _child(command: list[str], env: dict[str, str]) -> int:
    """Where there is no exec (Windows): the command as a child; Ctrl-C reaches both of us already."""
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as exc:
        print(f"ssot-runtime: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127 if isinstance(exc, FileNotFoundError) else 126
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command(cls=Command, options_metavar="[OPTIONS] -- COMMAND [ARG]...",
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def run(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP, show_default="ssot-runtime.toml or pyproject.toml, found from the working directory")] = None,  # noqa: E501,UP045
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="DIR", help="Folder for the local files.", show_default="the config's output, relative to its folder (.ssot-runtime)")] = None,  # noqa: E501,UP045
    mode: Annotated[Optional[str], typer.Option("--mode", metavar="MODE", help="redirect | warn | error | observe", show_default="the config's mode (redirect)")] = None,  # noqa: E501,UP045
    allow_no_config: Annotated[bool, typer.Option("--allow-no-config", metavar="", help="Run even when no configuration is found.")] = False,  # noqa: E501
) -> None:
    """Run a command with the hook active in it and in every Python process it starts.

    Example: ssot-runtime run --config ssot-runtime.toml -- python -m app.server --port 8000
    """
    from ..analysis.config_check import no_config_message

    command = list(ctx.args)
    if not command:
        raise CliError("run: give the command to run after --, e.g. ssot-runtime run -- python app.py")
    if mode is not None and mode not in MODES:
        raise CliError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if config is None and load_config().source == "<defaults>" and not allow_no_config:
        raise CliError(f"run: {no_config_message()}; give --config FILE, or --allow-no-config to run anyway")
    code = run_command(command, config=config, output=output, mode=mode)
    raise typer.Exit(code)

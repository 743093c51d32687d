"""The ``ssot-runtime`` command: a thin layer over the library; errors become exit codes here.

Exit codes: 0 ok, 1 check failed, 2 usage or configuration error (one line, no traceback unless
``--debug``).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
import typer.core

from ..config import MODES, load_config
from ..errors import ConfigError, SsotRuntimeError

app = typer.Typer(
    name="ssot-runtime",
    pretty_exceptions_enable=False,
    help="Old import paths keep working; see who still uses them, and migrate.",
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"debug": False}

FORMATS = ("table", "markdown", "json", "csv")


class CliError(Exception):
    """A usage error: exit code 2 with one line."""


F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(command: F) -> F:
    """Library errors become exit code 2 and one line on stderr (a traceback with --debug)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ConfigError, CliError, SsotRuntimeError, OSError) as exc:  # OptionError is a SsotRuntimeError
            if _state["debug"]:
                raise
            typer.echo(f"ssot-runtime: error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"ssot-runtime {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", metavar="", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", metavar="", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


REPEAT = " Repeat the option for more."
CONFIG_HELP = "Configuration file."


class Command(typer.core.TyperCommand):
    """A command whose arguments show their metavar in the help, not a Python type (``<list[str]>``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is typer.core.TyperArgument:
                param.__class__ = _Argument

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""  # a flag: no `<bool>`
        return option


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the metavar (SOURCE..., PATH...) says what goes there


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
    from .run import run_command

    command = list(ctx.args)
    if not command:
        raise CliError("run: give the command to run after --, e.g. ssot-runtime run -- python app.py")
    if mode is not None and mode not in MODES:
        raise CliError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if config is None and load_config().source == "<defaults>" and not allow_no_config:
        raise CliError(f"run: {no_config_message()}; give --config FILE, or --allow-no-config to run anyway")
    code = run_command(command, config=config, output=output, mode=mode)
    raise typer.Exit(code)


# The readers, then the code commands (they register on `app`): --help lists them in the order
# of a migration: run, report, check, plan, scan, fix, config, enable, disable.
for _module in ("traces", "code"):
    importlib.import_module(f"{__package__}.{_module}")


@app.command("config", cls=Command)
@handles_errors
def config_command(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
    show: Annotated[bool, typer.Option("--show", metavar="", help="Print the effective configuration (TOML, each value's source).")] = False,  # noqa: E501
    export: Annotated[Optional[str], typer.Option("--export", metavar="TOOL", help="ruff | import-linter: the map for static tools.")] = None,  # noqa: E501,UP045
) -> None:
    """Validate the configuration; with --show, print the effective one and where it came from.

    Example: ssot-runtime config --show;  ssot-runtime config --export ruff >> pyproject.toml
    """
    from ..analysis.config_check import check_config, no_config_message
    from ..analysis.config_check import export as export_map

    cfg = load_config(config)
    if cfg.source == "<defaults>":
        typer.echo(f"warning: {no_config_message()}: the defaults apply (no redirects)", err=True)
    if export is not None:
        try:
            typer.echo(export_map(cfg, export), nl=False)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        raise typer.Exit(0)
    ok = check_config(cfg, show=show, echo=typer.echo)
    raise typer.Exit(0 if ok else 1)


# Commands that live in modules of their own register on `app` when imported.
from . import env  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

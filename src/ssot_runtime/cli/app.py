"""The typer app of ``ssot-runtime`` and what every command shares: errors become exit codes here.

Exit codes: 0 ok, 1 check failed, 2 usage or configuration error (one line, no traceback unless
``--debug``). The commands live in modules of their own and register on :data:`app` when
:mod:`ssot_runtime.cli` imports them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
import typer.core

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
        from ..version import __version__

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

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        """An option value out of range or of the wrong type: one line and exit 2, not a boxed panel."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.BadParameter as exc:
            typer.echo(f"ssot-runtime: error: {info_name}: {exc.format_message()}", err=True)
            raise typer.Exit(2) from None

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""  # a flag: no `<bool>`
        return option


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the metavar (SOURCE..., PATH...) says what goes there

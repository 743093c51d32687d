"""``ssot-runtime config``: the effective configuration shown, checked, or exported for static tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import load_config
from .app import CONFIG_HELP, CliError, Command, app, handles_errors


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

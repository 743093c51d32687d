"""``enable`` / ``disable``: start the hook in every interpreter of a virtual environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import Command, app, handles_errors


@app.command(cls=Command)
@handles_errors
def enable(
    venv: Annotated[Optional[Path], typer.Option("--venv", metavar="DIR", help="The environment (default: this interpreter's).")] = None,  # noqa: E501,UP045
) -> None:
    """Start the hook in every Python process of an environment (a .pth file in its site-packages).

    It starts only where SSOT_RUNTIME_CONFIG=FILE or SSOT_RUNTIME_ENABLED=1 is set; no
    sitecustomize is written or changed. Undo with disable.

    Example: ssot-runtime enable --venv .venv
    """
    from . import enable as _enable

    outcome = _enable.enable(venv)
    typer.echo(f"{'enabled' if outcome.changed else 'already enabled'}: {outcome.path}")
    if not outcome.installed:
        typer.echo(f"warning: ssot_runtime does not seem installed in {outcome.path.parent}: the file does "
                   "nothing until it is importable there", err=True)
    typer.echo("the hook starts in processes that have SSOT_RUNTIME_CONFIG=FILE or SSOT_RUNTIME_ENABLED=1 set")


@app.command(cls=Command)
@handles_errors
def disable(
    venv: Annotated[Optional[Path], typer.Option("--venv", metavar="DIR", help="The environment (default: this interpreter's).")] = None,  # noqa: E501,UP045
) -> None:
    """Remove the .pth file written by enable; nothing else is changed.

    Example: ssot-runtime disable --venv .venv
    """
    from . import enable as _enable

    outcome = _enable.disable(venv)
    if outcome.changed:
        typer.echo(f"disabled: removed {outcome.path}")
    else:
        typer.echo(f"not enabled: no {outcome.path}")

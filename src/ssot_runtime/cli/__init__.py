"""The ``ssot-runtime`` command: a thin layer over the library (see :mod:`.app` for exit codes).

Each command group lives in a module of its own and registers on the app when imported here, in
the order ``--help`` lists them (that of a migration): run, report, check, plan, scan, fix,
discover, audit, config, enable, disable.
"""

from __future__ import annotations

import sys

import typer

from . import audit, code, configuration, env, run, traces
from .app import app

__all__ = ["app", "main"]

_GROUPS = (run, traces, code, audit, configuration, env)  # imported for their commands, registered on `app`
_ORDER = ("run", "report", "check", "plan", "scan", "fix", "discover", "audit", "config", "enable", "disable")


def _rank(command: typer.models.CommandInfo) -> int:
    name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


app.registered_commands.sort(key=_rank)  # --help lists them in the order of a migration


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write docs/cli-reference.md: the Markdown reference of the ``ssot-runtime`` command.

Generated from the typer app itself (typer's own Markdown writer, ``typer ... utils docs``),
so the page cannot drift from ``--help``. ``make cli-docs`` runs it; the test
``tests/test_cli_reference.py`` fails when the committed page differs from what it generates.

The app is imported as ``ssot_runtime.cli`` (not loaded from its file, as ``typer FILE utils
docs`` does): commands that register themselves from other modules are then included.

Usage: python tools/cli_reference.py [--output FILE]   (default: print to stdout)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "cli-reference.md"
HEADER = (
    "<!-- Generated from the typer app by `make cli-docs` (tools/cli_reference.py) with typer {typer}:\n"
    "     do not edit. A test fails when this page differs from what the app generates. -->\n\n"
)


def render() -> str:
    """The reference page, as the installed app and typer write it."""
    import typer
    from typer.cli import get_docs_for_click
    from typer.main import get_command

    from ssot_runtime.cli import app

    command = get_command(app)
    # The app's context settings (`-h` as well as `--help`). No rich markup: plain Markdown,
    # the same on every terminal width.
    ctx = typer.Context(command, info_name="ssot-runtime", **command.context_settings)
    body = get_docs_for_click(obj=command, ctx=ctx, name="ssot-runtime", title="`ssot-runtime` reference")
    return HEADER.format(typer=typer_version()) + body.strip() + "\n"


def typer_version() -> str:
    """The installed typer's version: its Markdown writer's output differs between releases."""
    from importlib.metadata import version

    return version("typer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="write the page here (default: stdout)")
    args = parser.parse_args(argv)
    text = render()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

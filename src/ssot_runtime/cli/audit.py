"""``discover`` and ``audit``: before the map exists, the map from the shims; then the state of it all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import CONFIG_HELP, FORMATS, REPEAT, CliError, Command, app, handles_errors
from .read import TOKEN_HELP, write_output


def _existing(paths: list[str]) -> list[str]:
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise CliError(f"{missing[0]}: no such file or folder")
    return paths


def _target_file(config: Path | None) -> str:
    """The configuration file discover merges into: ``--config``, else the one found, else ./ssot-runtime.toml."""
    from ..config import load_config
    from .read import config_file

    if config is not None:
        return os.path.abspath(config)
    found = config_file(load_config())
    return found or os.path.abspath("ssot-runtime.toml")


@app.command(cls=Command)
@handles_errors
def discover(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files and folders to read (nothing is imported or run).", show_default=False)],  # noqa: E501
    write: Annotated[bool, typer.Option("--write", metavar="", help="Add the rules to the configuration file (atomically).")] = False,  # noqa: E501
    diff: Annotated[bool, typer.Option("--diff", metavar="", help="Print the change to the configuration file as a unified diff, change nothing (the default).")] = False,  # noqa: E501
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help="The configuration file to merge into (created when missing).", show_default="ssot-runtime.toml or pyproject.toml found from the working directory, else ./ssot-runtime.toml")] = None,  # noqa: E501,UP045
) -> None:
    """Write the redirect map from the shims, aliases and mirrored packages already in the code.

    Rules already in the configuration stay as they are; each new rule is commented with the
    file and line it came from. A shim with logic beyond forwarding gets no rule: it is listed
    on stderr with the reason.

    Example: ssot-runtime discover src/ --diff;  ssot-runtime discover src/ --write
    """
    from ..analysis import discover as _discover
    from ..analysis import discover_merge
    from ..analysis.report import PathMapper
    from ..traces.coverage import plural

    if write and diff:
        raise CliError("--diff and --write exclude each other")
    paths = _existing(paths)
    target = _target_file(config)
    found = _discover.discover(paths)
    where = PathMapper([], os.path.dirname(target))
    try:
        merged = discover_merge.merge(found, target, where)
    except _discover.DiscoverError as exc:
        raise CliError(str(exc)) from None
    for rule, why in merged.kept:
        typer.echo(f"kept: {why} (discovered at {where(rule.file)}:{rule.line})", err=True)
    for refusal in found.refused:
        typer.echo(f"refused: {where(refusal.file)}:{refusal.line}: {refusal.module}: {refusal.reason}", err=True)
    for open_ in found.undecided:
        typer.echo(f"undecided: {where(open_.file)}:{open_.line}: {open_.module}: {open_.reason}", err=True)
    summary = (f"discover: {plural(found.files, 'file')} read, {plural(len(merged.added), 'rule')} to add to "
               f"{where(target)}, {len(merged.kept)} already there, {len(found.refused)} refused"
               + (f", {len(found.undecided)} undecided" if found.undecided else ""))
    if write:
        if merged.added:
            discover_merge.write(merged)
        typer.echo(summary.replace(" to add to ", " added to " if merged.added else " to add to "), err=True)
    else:
        typer.echo(merged.diff(), nl=False)
        typer.echo(summary, err=True)


@app.command(cls=Command)
@handles_errors
def audit(
    paths: Annotated[Optional[list[str]], typer.Argument(metavar="PATH", help="Files and folders to read.", show_default="the project root")] = None,  # noqa: E501,UP045
    traces: Annotated[Optional[list[str]], typer.Option("--traces", metavar="SOURCE", help="Traces: the legacy paths without use, the files loaded under two names." + REPEAT)] = None,  # noqa: E501,UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table | markdown | json | csv")] = "table",  # noqa: E501
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the audit to this file.", show_default="standard output")] = None,  # noqa: E501,UP045
    all_objects: Annotated[bool, typer.Option("--all", metavar="", help="Table and markdown: also the objects with a single import path.")] = False,  # noqa: E501
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Paths relative to this folder.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
) -> None:
    """Audit the consolidation: import paths per object, duplicates and how they differ, unused legacy paths.

    Example: ssot-runtime audit src/ --traces .ssot-runtime/ --format markdown
    """
    import sys

    from ..analysis import audit as _audit
    from ..analysis.report import PathMapper
    from ..analysis.sources import build_index
    from ..config import load_config
    from .read import project_root, read_traces

    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    cfg = load_config(config)
    base = project_root(root, config)
    where = PathMapper([], base)
    chosen = _existing(paths) if paths else [base]
    agg = read_traces(traces, config=config, warn=False, token_env=token_env) if traces else None
    if agg is not None and agg.skipped:  # the uses those lines held are unknown: no path can be called unused
        from .read import skipped_message

        held = "the uses they held are" if len(agg.skipped) != 1 else "the uses it held are"
        raise CliError(f"audit: {skipped_message(agg)}; {held} unknown, so no legacy path can be called "
                       "unused: fix the traces, or audit without --traces")
    doc = _audit.build_audit(build_index(chosen), cfg, agg=agg, where=where, paths=[where(os.path.abspath(p))
                                                                                   for p in chosen])
    for unread in doc["unread"]:  # never silent: the audit does not cover them
        typer.echo(f"not read: {unread['file']}:{unread['line']}: {unread['module']}: {unread['reason']}", err=True)
    if fmt == "table" and output is None and sys.stdout.isatty():
        from rich.console import Console

        _audit.render_table(doc, console=Console(), all_objects=all_objects)
        return
    if fmt == "json":
        text = _audit.render_json(doc)
    elif fmt == "csv":
        text = _audit.render_csv(doc)
    elif fmt == "markdown":
        text = _audit.render_markdown(doc, all_objects=all_objects)
    else:
        text = _audit.render_table(doc, all_objects=all_objects)
    write_output(output, text, f"{fmt} audit")

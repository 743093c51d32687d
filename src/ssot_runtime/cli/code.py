"""``plan``, ``scan`` and ``fix``: from traces and the source tree to the edits of a migration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..config import load_config
from .app import CONFIG_HELP, FORMATS, REPEAT, CliError, Command, app, handles_errors
from .read import STORE_HELP, TOKEN_HELP


@app.command(cls=Command)
@handles_errors
def plan(
    sources: Annotated[Optional[list[str]], typer.Argument(metavar="SOURCE", show_default=False, help="Traces, as for report (default: the configured output folder).")] = None,  # noqa: E501,UP045
    batch_size: Annotated[int, typer.Option("--batch-size", metavar="N", min=1, help="Most files per batch.")] = 5,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="markdown | json")] = "markdown",
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="The source tree.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix." + REPEAT)] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
    source: Annotated[Optional[str], typer.Option("--source", metavar="URL", help=STORE_HELP)] = None,  # noqa: UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
) -> None:
    """Plan the migration: the exact replacement of each line, in small prioritised batches.

    Example: ssot-runtime plan .ssot-runtime/ --batch-size 5 --format markdown
    """
    from ..analysis import plan as _plan
    from ..analysis import report as _report
    from .read import project_root, read_traces

    if fmt not in ("markdown", "json"):
        raise CliError(f"--format must be markdown or json, not {fmt!r}")
    base = project_root(root, config)
    try:
        mapper = _report.PathMapper(list(path_map or ()), base)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    doc = _report.build_report(read_traces(sources, config=config, store=source, token_env=token_env), mapper=mapper)
    result = _plan.build_plan(doc, load_config(config), root=base, batch_size=batch_size)
    if fmt == "json":
        import json

        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(_plan.render_markdown(result), nl=False)


def _existing(paths: list[str]) -> list[str]:
    """A path that does not exist is a usage error, not an empty result."""
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise CliError(f"{missing[0]}: no such file or folder")
    return paths


def _config_skip(cfg: Any) -> list[str]:
    """The configuration's own file: it names every legacy path, and must stay as it is."""
    source = str(cfg.source).removesuffix(" [tool.ssot_runtime]")
    return [source] if os.path.isfile(source) and not source.endswith("pyproject.toml") else []


@app.command(cls=Command)
@handles_errors
def scan(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files and folders to scan.", show_default=False)],
    traces: Annotated[Optional[list[str]], typer.Option("--traces", metavar="SOURCE", help="Traces: mark what ran, list what only ran." + REPEAT)] = None,  # noqa: E501,UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table | markdown | json | csv")] = "table",  # noqa: E501
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", metavar="GLOB", help="Only legacy paths matching this glob." + REPEAT)] = None,  # noqa: E501,UP045
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N", min=1, help="Parallel processes.", show_default="the number of cores")] = None,  # noqa: E501,UP045
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Paths relative to this folder.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix." + REPEAT)] = None,  # noqa: E501,UP045
    prose: Annotated[bool, typer.Option("--prose", metavar="", help="Also list prose that mentions a legacy path (kind prose; never rewritten).")] = False,  # noqa: E501
) -> None:
    """Find static references to legacy paths; with --traces, which of them ran and what only ran.

    Example: ssot-runtime scan src/ tests/ --traces .ssot-runtime/ --format markdown
    """
    from ..analysis import report as _report
    from ..analysis import scan as _scan
    from .read import project_root, read_traces

    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    cfg = load_config(config)
    base = project_root(root, config)
    skip = {os.path.abspath(p) for p in _config_skip(cfg)}
    refs, errors, files = _scan.scan(_existing(paths), cfg, only=tuple(legacy or ()), jobs=jobs, prose=prose)
    refs = [r for r in refs if os.path.abspath(r.file) not in skip]
    for ref in refs:  # one form in the output: relative to the root (absolute outside it)
        ref.file = _report.PathMapper([], base)(os.path.abspath(ref.file))
    dynamic = None
    if traces:
        try:
            mapper = _report.PathMapper(list(path_map or ()), base)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        doc = _report.build_report(read_traces(traces, config=config, token_env=token_env), mapper=mapper)
        for path in doc["legacy_paths"]:
            for site in path["sites"]:
                site["file"] = os.path.join(base, site["file"])
        dynamic = _scan.with_traces(refs, doc, lambda f: os.path.join(base, f))
        for item in dynamic:
            item["file"] = _report.PathMapper([], base)(item["file"])
    result = _scan.build_scan(refs, errors, files, dynamic)
    if fmt == "json":
        import json

        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(_scan.render_text(result, fmt), nl=False)


@app.command(cls=Command)
@handles_errors
def fix(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files and folders to rewrite.", show_default=False)],  # noqa: E501
    write: Annotated[bool, typer.Option("--write", metavar="", help="Edit the files in place (atomically).")] = False,
    diff: Annotated[bool, typer.Option("--diff", metavar="", help="Print a unified diff, change nothing (the default).")] = False,  # noqa: E501
    only_seen: Annotated[Optional[list[str]], typer.Option("--only-seen", metavar="SOURCE", help="Traces: only legacy paths they show in use." + REPEAT)] = None,  # noqa: E501,UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", metavar="GLOB", help="Only legacy paths matching this glob." + REPEAT)] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
) -> None:
    """Rewrite legacy references to canonical ones (libcst: formatting and comments kept).

    Example: ssot-runtime fix src/ --only-seen .ssot-runtime/ --write
    """
    from ..analysis import fix as _fix
    from ..analysis import report as _report
    from ..analysis.names import LegacyNames
    from .read import read_traces

    if write and diff:
        raise CliError("--diff and --write exclude each other")
    cfg = load_config(config)
    only = tuple(legacy or ())
    unplaced: list[str] = []
    if only_seen:
        report = _report.build_report(read_traces(only_seen, config=config, token_env=token_env))
        unplaced = _fix.unplaced(report, _existing(paths))
        seen = [p["legacy"] for p in report["legacy_paths"]]
        if only:
            import fnmatch

            seen = [name for name in seen if any(fnmatch.fnmatchcase(name, g) for g in only)]
        only = tuple(seen) or ("<nothing seen>",)
    result = _fix.fix(_existing(paths), LegacyNames(cfg, only), skip=_config_skip(cfg))
    for error in result.errors:
        typer.echo(f"warning: {error}", err=True)
    for refused in result.refused:
        typer.echo(f"refused: {refused}", err=True)
    for site in unplaced:
        typer.echo(f"not found: {site}", err=True)
    if write:
        _fix.write(result)
        for path in sorted(result.changed):
            typer.echo(f"rewrote {path}")
        typer.echo(f"{len(result.changed)} of {result.files} files changed")
    else:
        typer.echo(result.diff(), nl=False)

"""The ``ssot-runtime`` command: a thin layer over the library; errors become exit codes here.

Exit codes: 0 ok, 1 check failed, 2 usage or configuration error (one line, no traceback unless
``--debug``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from ._config import MODES, load_config
from ._errors import ConfigError, SsotRuntimeError

app = typer.Typer(
    name="ssot-runtime",
    pretty_exceptions_enable=False,
    help="Old import paths keep working; see who still uses them, and migrate.",
    no_args_is_help=True,
    add_completion=False,
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
        except (ConfigError, CliError, SsotRuntimeError, OSError) as exc:
            if _state["debug"]:
                raise
            typer.echo(f"ssot-runtime: error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main_options(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def run(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Configuration file.")] = None,  # noqa: UP045
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for the traces.")] = None,  # noqa: UP045
    mode: Annotated[Optional[str], typer.Option("--mode", help="redirect | warn | error | observe")] = None,  # noqa: UP045
) -> None:
    """Run a command with the hook active in it and in every Python process it starts.

    Example: ssot-runtime run --config ssot-runtime.toml -- python -m app.server --port 8000
    """
    from ._run import run_command

    if not ctx.args:
        raise CliError("run: give the command to run after --, e.g. ssot-runtime run -- python app.py")
    if mode is not None and mode not in MODES:
        raise CliError(f"--mode must be one of {', '.join(MODES)}")
    code = run_command(list(ctx.args), config=config, output=output, mode=mode)
    raise typer.Exit(code)


@app.command()
@handles_errors
def report(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Files, folders, globs, .gz or - (default: the output folder).")] = None,  # noqa: E501,UP045
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | markdown | json | csv")] = "table",
    top: Annotated[Optional[int], typer.Option("--top", help="Sites shown per legacy path.")] = None,  # noqa: UP045
    root: Annotated[Optional[Path], typer.Option("--root", help="Show paths relative to this folder.")] = None,  # noqa: UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", help="Deployed=repository prefix, e.g. /app/=src/.")] = None,  # noqa: E501,UP045
    service: Annotated[Optional[list[str]], typer.Option("--service", help="Only these services.")] = None,  # noqa: UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", help="Only legacy paths matching this glob.")] = None,  # noqa: E501,UP045
    since: Annotated[Optional[str], typer.Option("--since", help="ISO date or time (UTC).")] = None,  # noqa: UP045
    until: Annotated[Optional[str], typer.Option("--until", help="ISO date or time (UTC).")] = None,  # noqa: UP045
    strict: Annotated[bool, typer.Option("--strict", help="A line that does not parse is an error.")] = False,
) -> None:
    """Report the legacy paths still used: where, how often, by which services.

    Example: ssot-runtime report .ssot-runtime/ --format markdown --root . --top 5
    """
    from . import _report, _traces

    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    try:
        filters = _traces.Filters(
            services=frozenset(service or ()), legacy=tuple(legacy or ()),
            since_ns=_report.parse_time(since) if since else None,
            until_ns=_report.parse_time(until) if until else None)
        mapper = _report.PathMapper(list(path_map or ()), str(root) if root else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    agg = _traces.read(sources or [_default_output()], filters, strict=strict, progress=_progress(sources))
    if agg.skipped:
        where = ", ".join(f"{path}:{line}" for path, line, _ in agg.skipped[:10])
        more = f" and {len(agg.skipped) - 10} more" if len(agg.skipped) > 10 else ""
        typer.echo(f"warning: skipped {len(agg.skipped)} lines that are not OTLP/JSON: {where}{more}", err=True)
    doc = _report.build_report(agg, mapper=mapper, top=top)
    if fmt == "json":
        typer.echo(_report.render_json(doc), nl=False)
    elif fmt == "csv":
        typer.echo(_report.render_csv(doc), nl=False)
    elif fmt == "markdown":
        typer.echo(_report.render_markdown(doc), nl=False)
    elif sys.stdout.isatty():
        from rich.console import Console

        _report.render_table(doc, console=Console())
    else:
        typer.echo(_report.render_table(doc), nl=False)


@app.command()
@handles_errors
def plan(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Traces, as for report (default: the output folder).")] = None,  # noqa: E501,UP045
    batch_size: Annotated[int, typer.Option("--batch-size", help="Most files per batch.")] = 5,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown | json")] = "markdown",
    root: Annotated[Optional[Path], typer.Option("--root", help="The source tree (default: the working directory).")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", help="Deployed=repository prefix.")] = None,  # noqa: UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Configuration file.")] = None,  # noqa: UP045
) -> None:
    """Plan the migration: the exact replacement of each line, in small prioritised batches.

    Example: ssot-runtime plan .ssot-runtime/ --root . --batch-size 5 --format markdown
    """
    from . import _plan, _report, _traces

    if fmt not in ("markdown", "json"):
        raise CliError("--format must be markdown or json")
    if batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    base = str(root or Path.cwd())
    try:
        mapper = _report.PathMapper(list(path_map or ()), base)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    doc = _report.build_report(_traces.read(sources or [_default_output()]), mapper=mapper)
    result = _plan.build_plan(doc, load_config(config), root=base, batch_size=batch_size)
    if fmt == "json":
        import json

        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(_plan.render_markdown(result), nl=False)


@app.command()
@handles_errors
def check(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Traces, as for report (default: the output folder).")] = None,  # noqa: E501,UP045
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="What is allowed: written by --write-baseline.")] = None,  # noqa: E501,UP045
    write_baseline: Annotated[Optional[Path], typer.Option("--write-baseline", help="Write the current uses as the baseline.")] = None,  # noqa: E501,UP045
    max_uses: Annotated[Optional[int], typer.Option("--max-uses", help="Most uses allowed per legacy path.")] = None,  # noqa: UP045
    root: Annotated[Optional[Path], typer.Option("--root", help="Paths relative to this folder.")] = None,  # noqa: UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", help="Deployed=repository prefix.")] = None,  # noqa: UP045
) -> None:
    """Fail (exit 1) when legacy paths are used beyond the baseline: a ratchet for CI.

    Example: ssot-runtime check traces/ --baseline ssot-baseline.json --root .
    """
    from . import _check, _report, _traces

    try:
        mapper = _report.PathMapper(list(path_map or ()), str(root) if root else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    doc = _report.build_report(_traces.read(sources or [_default_output()]), mapper=mapper)
    if write_baseline is not None:
        _check.write_baseline(doc, str(write_baseline))
        typer.echo(f"baseline written to {write_baseline}: {doc['totals']['legacy_paths']} legacy paths, "
                   f"{doc['totals']['sites']} sites")
        raise typer.Exit(0)
    result = _check.check(doc, _check.read_baseline(str(baseline)) if baseline else None, max_uses)
    for line in result.offending:
        typer.echo(line)
    if result.gone:
        typer.echo(f"{len(result.gone)} sites in the baseline were not seen: tighten it with --write-baseline")
        for line in result.gone:
            typer.echo(f"  gone: {line}")
    if not result.ok:
        typer.echo(f"check failed: {len(result.offending)} uses beyond the baseline", err=True)
        raise typer.Exit(1)
    typer.echo(f"check passed: {doc['totals']['uses']} uses of {doc['totals']['legacy_paths']} legacy paths, "
               "all allowed")


def _config_skip(cfg: Any) -> list[str]:
    """The configuration's own file: it names every legacy path, and must stay as it is."""
    source = str(cfg.source).removesuffix(" [tool.ssot_runtime]")
    return [source] if os.path.isfile(source) and not source.endswith("pyproject.toml") else []


@app.command()
@handles_errors
def scan(
    paths: Annotated[list[str], typer.Argument(help="Files and folders to scan.")],
    traces: Annotated[Optional[list[str]], typer.Option("--traces", help="Traces: mark what ran, list what only ran.")] = None,  # noqa: E501,UP045
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | markdown | json | csv")] = "table",
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Configuration file.")] = None,  # noqa: UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", help="Only legacy paths matching this glob.")] = None,  # noqa: E501,UP045
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Parallel processes (default: cores).")] = None,  # noqa: UP045
    root: Annotated[Optional[Path], typer.Option("--root", help="Where traced paths are relative to.")] = None,  # noqa: UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", help="Deployed=repository prefix.")] = None,  # noqa: UP045
    prose: Annotated[bool, typer.Option("--prose", help="Also list prose that mentions a legacy path (kind prose; never rewritten).")] = False,  # noqa: E501
) -> None:
    """Find static references to legacy paths; with --traces, which of them ran and what only ran.

    Example: ssot-runtime scan src/ tests/ --traces .ssot-runtime/ --format markdown
    """
    from . import _report, _scan, _traces

    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    cfg = load_config(config)
    skip = {os.path.abspath(p) for p in _config_skip(cfg)}
    refs, errors, files = _scan.scan(paths, cfg, only=tuple(legacy or ()), jobs=jobs, prose=prose)
    refs = [r for r in refs if os.path.abspath(r.file) not in skip]
    dynamic = None
    if traces:
        mapper = _report.PathMapper(list(path_map or ()), None)
        doc = _report.build_report(_traces.read(traces), mapper=mapper)
        base = str(root or Path.cwd())
        for path in doc["legacy_paths"]:
            for site in path["sites"]:
                site["file"] = site["file"] if os.path.isabs(site["file"]) else os.path.join(base, site["file"])
        dynamic = _scan.with_traces(refs, doc, lambda f: f)
    result = _scan.build_scan(refs, errors, files, dynamic)
    if fmt == "json":
        import json

        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(_scan.render_text(result, fmt), nl=False)


@app.command()
@handles_errors
def fix(
    paths: Annotated[list[str], typer.Argument(help="Files and folders to rewrite.")],
    write: Annotated[bool, typer.Option("--write", help="Edit the files in place (atomically).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff, change nothing (the default).")] = False,
    only_seen: Annotated[Optional[list[str]], typer.Option("--only-seen", help="Traces: only legacy paths they show in use.")] = None,  # noqa: E501,UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", help="Only legacy paths matching this glob.")] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Configuration file.")] = None,  # noqa: UP045
) -> None:
    """Rewrite legacy references to canonical ones (libcst: formatting and comments kept).

    Example: ssot-runtime fix src/ --only-seen .ssot-runtime/ --write
    """
    from . import _fix, _report, _traces
    from ._legacy_names import LegacyNames

    if write and diff:
        raise CliError("--diff and --write exclude each other")
    cfg = load_config(config)
    only = tuple(legacy or ())
    unplaced: list[str] = []
    if only_seen:
        report = _report.build_report(_traces.read(only_seen))
        unplaced = _fix.unplaced(report, paths)
        seen = [p["legacy"] for p in report["legacy_paths"]]
        if only:
            import fnmatch

            seen = [name for name in seen if any(fnmatch.fnmatchcase(name, g) for g in only)]
        only = tuple(seen) or ("<nothing seen>",)
    result = _fix.fix(paths, LegacyNames(cfg, only), skip=_config_skip(cfg))
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


@app.command("config")
@handles_errors
def config_command(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Configuration file.")] = None,  # noqa: UP045
    show: Annotated[bool, typer.Option("--show", help="Print the effective configuration.")] = False,
    export: Annotated[Optional[str], typer.Option("--export", help="ruff | import-linter: the map for static tools.")] = None,  # noqa: E501,UP045
) -> None:
    """Validate the configuration; with --show, print the effective one and where it came from.

    Example: ssot-runtime config --show;  ssot-runtime config --export ruff >> pyproject.toml
    """
    from ._config_check import check_config
    from ._config_check import export as export_map

    cfg = load_config(config)
    if export is not None:
        try:
            typer.echo(export_map(cfg, export), nl=False)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        raise typer.Exit(0)
    ok = check_config(cfg, show=show, echo=typer.echo)
    raise typer.Exit(0 if ok else 1)


def _default_output() -> str:
    try:
        return str(load_config().output)
    except ConfigError:
        return ".ssot-runtime"


def _progress(sources: list[str] | None) -> Any:
    if not sys.stderr.isatty():
        return None
    from ._traces import expand

    try:
        total = sum(os.path.getsize(p) for p in expand(sources or [_default_output()]) if p != "-")
    except (OSError, SsotRuntimeError):
        return None
    if total < 20_000_000:
        return None
    from rich.progress import Progress

    progress = Progress(transient=True)
    task = progress.add_task("reading traces", total=total)
    progress.start()
    import atexit

    atexit.register(progress.stop)
    return lambda n: progress.advance(task, n)


# Commands that live in modules of their own register on `app` when imported.
from . import _cli_env  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

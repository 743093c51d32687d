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
import typer.core

from ._config import MODES, load_config
from ._errors import ConfigError, SsotRuntimeError

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
        from . import __version__

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
    from ._config_check import no_config_message
    from ._run import run_command

    command = list(ctx.args)
    if not command:
        raise CliError("run: give the command to run after --, e.g. ssot-runtime run -- python app.py")
    if mode is not None and mode not in MODES:
        raise CliError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if config is None and load_config().source == "<defaults>" and not allow_no_config:
        raise CliError(f"run: {no_config_message()}; give --config FILE, or --allow-no-config to run anyway")
    code = run_command(command, config=config, output=output, mode=mode)
    raise typer.Exit(code)


@app.command(cls=Command)
@handles_errors
def plan(
    sources: Annotated[Optional[list[str]], typer.Argument(metavar="SOURCE", show_default=False, help="Traces, as for report (default: the configured output folder).")] = None,  # noqa: E501,UP045
    batch_size: Annotated[int, typer.Option("--batch-size", metavar="N", min=1, help="Most files per batch.")] = 5,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="markdown | json")] = "markdown",
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="The source tree.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix." + REPEAT)] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
) -> None:
    """Plan the migration: the exact replacement of each line, in small prioritised batches.

    Example: ssot-runtime plan .ssot-runtime/ --batch-size 5 --format markdown
    """
    from . import _plan, _report
    from ._cli_read import project_root, read_traces

    if fmt not in ("markdown", "json"):
        raise CliError(f"--format must be markdown or json, not {fmt!r}")
    base = project_root(root, config)
    try:
        mapper = _report.PathMapper(list(path_map or ()), base)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    doc = _report.build_report(read_traces(sources, config=config), mapper=mapper)
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
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table | markdown | json | csv")] = "table",  # noqa: E501
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", metavar="GLOB", help="Only legacy paths matching this glob." + REPEAT)] = None,  # noqa: E501,UP045
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N", min=1, help="Parallel processes.", show_default="the number of cores")] = None,  # noqa: E501,UP045
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Paths relative to this folder.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix." + REPEAT)] = None,  # noqa: E501,UP045
) -> None:
    """Find static references to legacy paths; with --traces, which of them ran and what only ran.

    Example: ssot-runtime scan src/ tests/ --traces .ssot-runtime/ --format markdown
    """
    from . import _report, _scan
    from ._cli_read import project_root, read_traces

    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    cfg = load_config(config)
    base = project_root(root, config)
    skip = {os.path.abspath(p) for p in _config_skip(cfg)}
    refs, errors, files = _scan.scan(_existing(paths), cfg, only=tuple(legacy or ()), jobs=jobs)
    refs = [r for r in refs if os.path.abspath(r.file) not in skip]
    for ref in refs:  # one form in the output: relative to the root (absolute outside it)
        ref.file = _report.PathMapper([], base)(os.path.abspath(ref.file))
    dynamic = None
    if traces:
        try:
            mapper = _report.PathMapper(list(path_map or ()), base)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        doc = _report.build_report(read_traces(traces, config=config), mapper=mapper)
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
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", metavar="GLOB", help="Only legacy paths matching this glob." + REPEAT)] = None,  # noqa: E501,UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help=CONFIG_HELP)] = None,  # noqa: UP045
) -> None:
    """Rewrite legacy references to canonical ones (libcst: formatting and comments kept).

    Example: ssot-runtime fix src/ --only-seen .ssot-runtime/ --write
    """
    from . import _fix, _report
    from ._cli_read import read_traces
    from ._legacy_names import LegacyNames

    if write and diff:
        raise CliError("--diff and --write exclude each other")
    cfg = load_config(config)
    only = tuple(legacy or ())
    if only_seen:
        seen = [p["legacy"] for p in _report.build_report(read_traces(only_seen, config=config))["legacy_paths"]]
        if only:
            import fnmatch

            seen = [name for name in seen if any(fnmatch.fnmatchcase(name, g) for g in only)]
        only = tuple(seen) or ("<nothing seen>",)
    result = _fix.fix(_existing(paths), LegacyNames(cfg, only), skip=_config_skip(cfg))
    for error in result.errors:
        typer.echo(f"warning: {error}", err=True)
    for refused in result.refused:
        typer.echo(f"refused: {refused}", err=True)
    if write:
        _fix.write(result)
        for path in sorted(result.changed):
            typer.echo(f"rewrote {path}")
        typer.echo(f"{len(result.changed)} of {result.files} files changed")
    else:
        typer.echo(result.diff(), nl=False)


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
    from ._config_check import check_config, no_config_message
    from ._config_check import export as export_map

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


def progress_bar(sources: list[str] | None, config: Path | None = None) -> Any:
    """A progress bar on a terminal, for large inputs."""
    if not sys.stderr.isatty():
        return None
    from ._cli_read import default_output
    from ._traces import expand

    try:
        total = sum(os.path.getsize(p) for p in expand(sources or [default_output(config)]) if p != "-")
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
from . import _cli_env, _cli_traces  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the reader commands share: one project root, option values checked, skipped lines told.

Every command that reads traces (report, plan, check, scan --traces, fix --only-seen) reads them
through :func:`read_traces`, so unreadable lines are reported the same way everywhere; every
path in their output is relative to :func:`project_root`.
"""

from __future__ import annotations

import os

import typer

from ..config import load_config
from ..errors import SsotRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from ..config import Config
    from ..traces.read import Aggregate, Filters


class OptionError(SsotRuntimeError):
    """A bad option value: exit 2, naming the option and the accepted form."""


def config_file(cfg: Config) -> str | None:
    """The file a configuration came from, or None (defaults, a mapping)."""
    source = str(cfg.source).removesuffix(" [tool.ssot_runtime]")
    return os.path.abspath(source) if os.path.isfile(source) else None


def project_root(root: Path | None, config: Path | None = None) -> str:
    """``--root``, else the configuration file's folder, else the working directory."""
    if root is not None:
        return os.path.abspath(root)
    found = config_file(load_config(config))  # a malformed one, found or named, is an error (exit 2)
    return os.path.dirname(found) if found else os.getcwd()


def default_output(config: Path | None = None) -> str:
    """The configured output folder (relative to the configuration file's folder)."""
    return str(load_config(config).output)


def time_option(name: str, text: str | None) -> int | None:
    """``--since``/``--until``: an ISO date or date-time, as unix ns."""
    if text is None:
        return None
    from ..analysis.report import parse_time

    try:
        return parse_time(text)
    except ValueError:
        raise OptionError(f"{name} {text!r}: expected an ISO date or date-time in UTC, such as 2026-11-30, "
                          "2026-11-30T09:00 or 2026-11-30T09:00:00+01:00") from None


def skipped_message(agg: Aggregate) -> str:
    where = ", ".join(f"{path}:{line}" for path, line, _ in agg.skipped[:10])
    more = f" and {len(agg.skipped) - 10} more" if len(agg.skipped) > 10 else ""
    count = len(agg.skipped)
    return f"skipped {count} line{'s' if count != 1 else ''} that {'are' if count != 1 else 'is'} not " \
           f"OTLP/JSON: {where}{more}"


# No square brackets: the help is rich markup, and "[/prefix]" reads as a closing tag.
STORE_HELP = "A metrics store instead of files: prometheus+http://HOST:PORT, or https, with a /PREFIX if any."
TOKEN_HELP = "Environment variable holding a bearer token for --source (never the token itself: argv is public)."


def read_traces(sources: list[str] | None, filters: Filters | None = None, *, strict: bool = False,
                progress: Any = None, config: Path | None = None, warn: bool = True,
                timeline: Any = None, store: str | None = None, token_env: str | None = None,
                exclude: tuple[Path | None, ...] = (), allow_empty: bool = False, empty_hint: str = "") -> Aggregate:
    """Read the sources (default: the output folder); a warning on stderr names skipped lines.

    No trace file at all (an empty folder) is an error, "no trace data in ..." (exit 2), unless
    ``allow_empty``; ``exclude`` are files the command's options name (not traces).

    A store (``--source``, or a SOURCE that is a ``prometheus+http(s)://`` URL) is read alone:
    the store sums its series, the same uses must not also be counted from files.
    """
    from ..traces import read

    stores = [*(s for s in sources or () if s.startswith("prometheus+")), *([store] if store else [])]
    if stores:
        if len(stores) > 1 or len(sources or ()) + bool(store) > 1:
            raise OptionError("a store is read alone: give one --source URL, or trace files, not both "
                              "(the same uses would be counted twice)")
        if timeline is not None:  # the uses over time: each series' samples, growth by growth
            from ..traces import store_series

            return store_series.read(stores[0], filters or read.Filters(), timeline, token_env=token_env)
        from ..traces import prometheus

        return prometheus.read(stores[0], filters or read.Filters(), token_env=token_env)
    if token_env:
        raise OptionError("--bearer-token-env is for --source prometheus+https://...: no store given")
    given = sources or [default_output(config)]
    files, documents = trace_files(given, exclude)
    for document in documents:
        typer.echo(f"note: not read as traces: {document} (one JSON document, not OTLP/JSON lines)", err=True)
    from ..traces import decode  # read.read, faster: the same aggregate

    agg = decode.read(files, filters or read.Filters(), strict=strict, progress=progress, timeline=timeline)
    if not agg.files and not allow_empty:
        raise read.TraceReadError(f"no trace data in {' '.join(given)}: no trace file there "
                                  f"(*.jsonl, *.json, *.gz){empty_hint}")
    if agg.skipped and warn:
        typer.echo(f"warning: {skipped_message(agg)}", err=True)
    return agg


def trace_files(sources: list[str], exclude: tuple[Path | None, ...] = ()) -> tuple[list[str], list[str]]:
    """The files to read, and the JSON documents skipped: in a folder, a file an option names (the
    baseline, the report's --output) is not traces, nor is one JSON document (a saved report or
    baseline: its first line is not a JSON value of its own). Files and globs given are read as given."""
    from ..traces.read import expand

    excluded = {os.path.abspath(path) for path in exclude if path is not None}
    files: list[str] = []
    documents: list[str] = []
    for source in sources:
        if source == "-" or not os.path.isdir(source):
            files.append(source)
            continue
        for path in expand([source]):
            if os.path.abspath(path) in excluded:
                continue
            (documents if _json_document(path) else files).append(path)
    return files, documents


def _json_document(path: str) -> bool:
    """A ``.json`` file holding one (pretty-printed) JSON document, not OTLP/JSON lines."""
    if not path.endswith(".json"):
        return False
    import json

    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
            if not first.strip():
                return False
            try:
                json.loads(first)
                return False  # a line of its own: OTLP/JSON lines (or an empty batch)
            except ValueError:
                pass
            f.seek(0)
            data = json.load(f)
    except (OSError, ValueError):
        return False  # broken lines: read, and told as skipped lines
    return not (isinstance(data, dict) and ("resourceMetrics" in data or "resourceSpans" in data))


def progress_bar(sources: list[str] | None, config: Path | None = None) -> Any:
    """A progress bar on a terminal, for large inputs."""
    import sys

    if not sys.stderr.isatty():
        return None
    from ..traces.read import expand

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


def write_output(output: Path | None, text: str, what: str) -> None:
    """To standard output, or to ``--output``, saying where (the path is what a script reads next)."""
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OptionError(f"--output {output}: cannot write: {exc.strerror or exc}") from None
    typer.echo(f"{what} written to {output.resolve()}")

"""``report`` and ``check``: what the traces say, and the CI ratchet on top of it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..analysis.report import PathMapper
from .app import FORMATS, CliError, Command, app, handles_errors
from .read import (
    STORE_HELP,
    TOKEN_HELP,
    OptionError,
    progress_bar,
    project_root,
    read_traces,
    skipped_message,
    time_option,
    write_output,
)

SOURCES_HELP = "Files, folders, globs, .gz or - (default: the configured output folder)."
REPEAT = " Repeat the option for more."
REPORT_FORMATS = (*FORMATS, "html")


@app.command(cls=Command)
@handles_errors
def report(
    sources: Annotated[Optional[list[str]], typer.Argument(metavar="SOURCE", help=SOURCES_HELP, show_default=False)] = None,  # noqa: E501,UP045
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table | markdown | json | csv | html")] = "table",  # noqa: E501
    by: Annotated[Optional[str], typer.Option("--by", metavar="BUCKET", help="hour | day | week: the uses over time, from the points' own time windows (table or json; html: its charts' buckets).", show_default="no series; html: day")] = None,  # noqa: E501,UP045
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file.", show_default="standard output")] = None,  # noqa: E501,UP045
    top: Annotated[Optional[int], typer.Option("--top", metavar="N", min=1, help="Sites shown per legacy path.", show_default="all")] = None,  # noqa: E501,UP045
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Paths relative to this folder.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix, e.g. /app/=src/." + REPEAT)] = None,  # noqa: E501,UP045
    service: Annotated[Optional[list[str]], typer.Option("--service", metavar="NAME", help="Only this service." + REPEAT)] = None,  # noqa: E501,UP045
    legacy: Annotated[Optional[list[str]], typer.Option("--legacy", metavar="GLOB", help="Only legacy paths matching this glob." + REPEAT)] = None,  # noqa: E501,UP045
    since: Annotated[Optional[str], typer.Option("--since", metavar="TIME", help="ISO date or date-time (UTC), e.g. 2026-11-30T09:00.")] = None,  # noqa: E501,UP045
    until: Annotated[Optional[str], typer.Option("--until", metavar="TIME", help="ISO date or date-time (UTC).")] = None,  # noqa: E501,UP045
    strict: Annotated[bool, typer.Option("--strict", metavar="", help="A line that does not parse is an error.")] = False,  # noqa: E501
    source: Annotated[Optional[str], typer.Option("--source", metavar="URL", help=STORE_HELP)] = None,  # noqa: UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help="Configuration file.")] = None,  # noqa: E501,UP045
    audit: Annotated[Optional[Path], typer.Option("--audit", metavar="FILE", help="html: the audit's figures too, from `audit --format json --output FILE`.")] = None,  # noqa: E501,UP045
) -> None:
    """Report the legacy paths still used: where, how often, by which services and processes.

    With --by, the uses per hour, day or week instead; --format html writes one self-contained page
    (burn-down charts, deadlines, sites, plan batches).

    Example: ssot-runtime report .ssot-runtime/ --format markdown --top 5

    Example: ssot-runtime report traces/ --by day

    Example: ssot-runtime report traces/ --format html --output report.html
    """
    from ..analysis import report as _report
    from ..traces import read as _traces
    from ..traces.timeline import BY, Timeline

    if fmt not in REPORT_FORMATS:
        raise CliError(f"--format must be one of {', '.join(REPORT_FORMATS)}, not {fmt!r}")
    if by is not None and by not in BY:
        raise CliError(f"--by must be one of {', '.join(BY)}, not {by!r}")
    if by is not None and fmt in ("markdown", "csv"):
        raise CliError(f"--by gives the series as table, json or html, not {fmt}: a script reads --format json")
    if by is not None and fmt != "html" and top is not None:
        raise CliError("--top limits the sites shown, and the --by series has none: drop one of them")
    if audit is not None and fmt != "html":
        raise CliError("--audit adds the audit's figures to the html page: with --format html only "
                       "(the audit's own formats: ssot-runtime audit --format ...)")
    audit_doc = None
    if audit is not None:
        from ..analysis.html_audit import read_audit

        audit_doc = read_audit(str(audit))
    if fmt == "html" and output is None and sys.stdout.isatty():
        raise CliError("--format html writes a page, not terminal text: give --output FILE (or redirect stdout)")
    since_ns, until_ns = time_option("--since", since), time_option("--until", until)
    if since_ns is not None and until_ns is not None and since_ns > until_ns:
        raise OptionError(f"--since {since} is after --until {until}: no time is in both")
    filters = _traces.Filters(services=frozenset(service or ()), legacy=tuple(legacy or ()),
                              since_ns=since_ns, until_ns=until_ns)
    base = project_root(root, config)
    mapper = _mapper(path_map, base)
    timeline = Timeline() if by is not None or fmt == "html" else None
    agg = read_traces(sources, filters, strict=strict, progress=progress_bar(sources, config), config=config,
                      timeline=timeline, store=source, token_env=token_env, exclude=(output,))
    doc = _report.build_report(agg, mapper=mapper, top=top)
    named = [f"{option} {value}" for option, values in (("--service", service), ("--legacy", legacy),
                                                         ("--since", [since] if since else None),
                                                         ("--until", [until] if until else None))
             for value in values or ()]
    if named:
        doc["coverage"]["filters"] = " ".join(named)  # the summary says what left no evidence
    if timeline is not None:
        canonical = {p["legacy"]: p["canonical"] for p in doc["legacy_paths"]}
        series = timeline.series(agg, by or "day", since_ns=since_ns, until_ns=until_ns, canonical=canonical)
    if fmt == "html":
        from ..analysis import html

        page = html.render(doc, series, agg, config=config, root=base, filters=filters, audit=audit_doc)
        _write(output, page, "html")
    elif by is not None:
        from ..analysis import series as text

        if fmt == "json":
            _write(output, text.render_json(series), "json")
        elif output is None and sys.stdout.isatty():
            from rich.console import Console

            text.render_table(series, console=Console())
        else:
            _write(output, text.render_table(series), fmt)
    elif output is not None:
        rendered = {"json": _report.render_json, "csv": _report.render_csv, "markdown": _report.render_markdown,
                    "table": _report.render_table}[fmt](doc)
        _write(output, rendered, fmt)
    elif fmt == "json":
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


def _write(output: Path | None, text: str, fmt: str) -> None:
    write_output(output, text, f"{fmt} report")


def _mapper(path_map: list[str] | None, root: str) -> PathMapper:
    try:
        return PathMapper(list(path_map or ()), root)
    except ValueError as exc:
        raise OptionError(str(exc)) from None


@app.command(cls=Command)
@handles_errors
def check(
    sources: Annotated[Optional[list[str]], typer.Argument(metavar="SOURCE", help=SOURCES_HELP, show_default=False)] = None,  # noqa: E501,UP045
    baseline: Annotated[Optional[Path], typer.Option("--baseline", metavar="FILE", help="What is allowed: written by --write-baseline.")] = None,  # noqa: E501,UP045
    write_baseline: Annotated[Optional[Path], typer.Option("--write-baseline", metavar="FILE", help="Write the current uses as the baseline.")] = None,  # noqa: E501,UP045
    max_uses: Annotated[Optional[int], typer.Option("--max-uses", metavar="N", min=0, help="Most uses allowed per legacy path.")] = None,  # noqa: E501,UP045
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Site keys relative to this folder.", show_default="the config file's folder, else the working directory")] = None,  # noqa: E501,UP045
    path_map: Annotated[Optional[list[str]], typer.Option("--path-map", metavar="FROM=TO", help="Deployed=repository prefix." + REPEAT)] = None,  # noqa: E501,UP045
    allow_empty: Annotated[bool, typer.Option("--allow-empty", metavar="", help="Pass when the traces show no process at all.")] = False,  # noqa: E501
    skip_bad_lines: Annotated[bool, typer.Option("--skip-bad-lines", metavar="", help="Skip lines that do not parse instead of failing.")] = False,  # noqa: E501
    source: Annotated[Optional[str], typer.Option("--source", metavar="URL", help=STORE_HELP)] = None,  # noqa: UP045
    token_env: Annotated[Optional[str], typer.Option("--bearer-token-env", metavar="VAR", help=TOKEN_HELP)] = None,  # noqa: UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help="Configuration file.")] = None,  # noqa: E501,UP045
    audit: Annotated[bool, typer.Option("--audit", metavar="", help="Also audit the source tree under the root: a new duplicate or a new unconfigured re-export fails.")] = False,  # noqa: E501
) -> None:
    """Fail (exit 1) when legacy paths are used beyond the baseline: a ratchet for CI.

    No process evidence in the traces, or a line that does not parse, is an error (exit 2).
    With --audit, the baseline also holds the duplicates and re-exports in no rule that are allowed.

    Example: ssot-runtime check traces/ --baseline ssot-baseline.json
    """
    from ..analysis import check as _check
    from ..analysis import report as _report
    from ..traces.coverage import plural, summary

    base = project_root(root, config)
    mapper = _mapper(path_map, base)
    agg = read_traces(sources, config=config, warn=skip_bad_lines, store=source, token_env=token_env,
                      exclude=(baseline, write_baseline), allow_empty=allow_empty,
                      empty_hint="; pass --allow-empty if that is expected")
    if agg.skipped and not skip_bad_lines:
        raise CliError(f"check: {skipped_message(agg)}; fix the traces or pass --skip-bad-lines")
    doc = _report.build_report(agg, mapper=mapper)
    if not doc["coverage"]["processes"] and not allow_empty:
        where = " ".join(sources) if sources else (source or "the output folder")
        raise CliError(f"check: no process evidence in {where} ({plural(agg.files, 'file')} read): no process "
                       "under the hook wrote there; pass --allow-empty if that is expected")
    typer.echo(f"check: site keys relative to {base}")
    audited = _audit_doc(base, config) if audit else None
    if write_baseline is not None:
        from ..analysis.audit import baseline_section

        section = baseline_section(audited) if audited is not None else None
        stored = _check.write_baseline(doc, str(write_baseline), root=base, audit=section)
        extra = "" if section is None else (f", {plural(len(section['duplicates']), 'duplicate')}, "
                                            f"{len(section['unconfigured'])} unconfigured re-exports")
        typer.echo(f"baseline written to {write_baseline}: {plural(doc['totals']['legacy_paths'], 'legacy path')}, "
                   f"{plural(stored, 'site')}{extra}")
        raise typer.Exit(0)
    allowed = _check.normalise(_check.read_baseline(str(baseline)), mapper) if baseline else None
    result = _check.check(doc, allowed, max_uses)
    for line in result.offending:
        typer.echo(line)
    if audited is not None:
        from ..analysis.audit import check_baseline

        audit_offending, audit_gone = check_baseline(audited, (allowed or {}).get("audit"))
        for line in audit_offending:
            typer.echo(line)
        for line in audit_gone:
            typer.echo(f"  gone: {line}")
        if audit_offending:
            typer.echo(f"check failed: {plural(len(audit_offending), 'audit finding')} beyond the baseline "
                       f"({_audit_summary(audited)})", err=True)
            if result.ok:
                raise typer.Exit(1)
    if result.gone:
        typer.echo(f"{plural(len(result.gone), 'site')} in the baseline were not seen: tighten it with "
                   "--write-baseline")
        for line in result.gone:
            typer.echo(f"  gone: {line}")
    if not result.ok:
        typer.echo(f"check failed: {result.describe()} beyond the baseline; {summary(doc)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"check passed: {summary(doc)}, all allowed")


def _audit_doc(base: str, config: Path | None) -> dict[str, object]:
    """The audit of the source tree under the root, its paths relative to the root."""
    from ..analysis.audit import build_audit
    from ..analysis.sources import build_index
    from ..config import load_config

    return build_audit(build_index([base]), load_config(config), where=PathMapper([], base), paths=["."])


def _audit_summary(audited: dict[str, object]) -> str:
    from ..analysis.audit import headline

    return headline(audited)

"""The report: which legacy paths are still used, where, how often, by whom.

``build_report`` turns what :mod:`ssot_runtime.traces.read` read into the ``ssot-runtime/report/v1``
document; the renderers write it as JSON, CSV, Markdown or a table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections import defaultdict

from ..traces.coverage import coverage, iso, plural, summary
from ..traces.read import Aggregate, Site

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA = "ssot-runtime/report/v1"


def parse_time(text: str) -> int:
    """An ISO date or date-time (UTC unless it says otherwise) as unix ns."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    # Whole microseconds, no float: timestamp() * 1e9 made 09:00:00.965 into 09:00:00.964999999.
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1) * 1000


class PathMapper:
    """``--path-map /app/=src/`` (deployed prefix to repository prefix) and ``--root DIR``."""

    def __init__(self, maps: list[str] = (), root: str | None = None) -> None:  # type: ignore[assignment]
        self.maps: list[tuple[str, str]] = []
        for item in maps:
            if "=" not in item:
                raise ValueError(f"--path-map {item!r}: expected FROM=TO")
            old, new = item.split("=", 1)
            self.maps.append((old, new))
        self.root = os.path.abspath(root) if root else None

    def __call__(self, path: str) -> str:
        for old, new in self.maps:
            if path.startswith(old):
                path = new + path[len(old):]
                break
        if self.root and os.path.isabs(path):
            try:
                relative = os.path.relpath(path, self.root)
            except ValueError:
                return path
            if not relative.startswith(".."):
                return relative.replace(os.sep, "/")
        return path


def build_report(agg: Aggregate, *, mapper: PathMapper | None = None, top: int | None = None) -> dict[str, Any]:
    """The ``ssot-runtime/report/v1`` document (keys may be added later, none removed)."""
    mapper = mapper or PathMapper()
    by_legacy: dict[str, list[Site]] = defaultdict(list)
    for site in agg.sites.values():
        if site.uses:
            by_legacy[site.legacy].append(site)
    paths: list[dict[str, Any]] = []
    for legacy, sites in by_legacy.items():
        sites.sort(key=lambda s: (-s.uses, s.file, s.line, s.symbol or ""))
        canonical = max((s.canonical for s in sites), key=lambda c: sum(x.uses for x in sites if x.canonical == c))
        timing = agg.timings.get(legacy)
        firsts = [s.first_seen for s in sites if s.first_seen]
        entry = {
            "legacy": legacy,
            "canonical": canonical,
            "uses": sum(s.uses for s in sites),
            "sites_count": len(sites),
            "files_count": len({s.file for s in sites}),
            "services": sorted(set().union(*(s.services for s in sites))),
            "processes": len(set().union(*(s.processes for s in sites))),
            "first_seen": iso(min(firsts)) if firsts else None,
            "last_seen": iso(max(s.last_seen for s in sites)),
            "import_seconds": {"count": timing.count, "mean": timing.total / timing.count if timing.count else 0.0,
                               "max": timing.max} if timing else {"count": 0, "mean": 0.0, "max": 0.0},
            "sites": [{
                "file": mapper(s.file), "line": s.line, "function": s.function, "symbol": s.symbol,
                "canonical": s.canonical, "canonical_symbol": s.canonical_symbol, "uses": s.uses,
                "first_seen": iso(s.first_seen), "last_seen": iso(s.last_seen),
                "fingerprints": sorted(s.fingerprints),
            } for s in (sites[:top] if top else sites)],
        }
        paths.append(entry)
    paths.sort(key=lambda p: (-p["uses"], p["legacy"]))
    return {
        "schema": SCHEMA,
        "sources": {"files": agg.files, "lines": agg.lines, "skipped_lines": len(agg.skipped)},
        "totals": {"legacy_paths": len(paths), "sites": sum(p["sites_count"] for p in paths),
                   "uses": sum(p["uses"] for p in paths)},
        "coverage": coverage(agg),
        "legacy_paths": paths,
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"


def _site_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [[p["legacy"], p["canonical"], s["symbol"] or "", s["canonical_symbol"] or "", s["file"], s["line"],
             s["function"], s["uses"], s["first_seen"] or "", s["last_seen"] or ""]
            for p in report["legacy_paths"] for s in p["sites"]]


_HEADER = ["legacy", "canonical", "symbol", "canonical_symbol", "file", "line", "function", "uses",
           "first_seen", "last_seen"]


def render_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_HEADER)
    writer.writerows(_site_rows(report))
    return out.getvalue()


def _counts(totals: dict[str, Any]) -> str:
    return ", ".join((plural(totals["legacy_paths"], "legacy path"), plural(totals["sites"], "site"),
                      plural(totals["uses"], "use")))


def heading(path: dict[str, Any], quote: str = "") -> str:
    """``old.mod -> new.mod``; for names that move within one module, the names:
    ``shop.models:Item -> shop.models:Product`` (not ``shop.models -> shop.models``)."""
    legacy, canonical = path["legacy"], path["canonical"]
    pairs = symbol_pairs(path) if legacy == canonical else [("", "")]
    return ", ".join(f"{quote}{legacy}{old}{quote} -> {quote}{canonical}{new}{quote}" for old, new in pairs)


def symbol_pairs(path: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(":Item", ":Product")]``: the names a path's sites use and their canonical names
    (``[("", "")]`` when no site names one)."""
    return sorted({(f":{s['symbol']}", f":{s['canonical_symbol'] or s['symbol']}")
                   for s in path["sites"] if s["symbol"]}) or [("", "")]


def render_markdown(report: dict[str, Any]) -> str:
    lines = ["# Legacy import paths still in use\n", f"{summary(report)}: {_counts(report['totals'])}.\n"]
    for path in report["legacy_paths"]:
        lines.append(f"## {heading(path, '`')}\n")
        lines.append(f"{plural(path['uses'], 'use')} at {plural(path['sites_count'], 'site')} in "
                     f"{plural(path['files_count'], 'file')}; services: {', '.join(path['services']) or '-'}; "
                     f"processes: {path['processes']}; last seen {path['last_seen'] or '-'}.\n")
        lines.append("| file:line | function | symbol | uses |\n|---|---|---|---|")
        for site in path["sites"]:
            symbol = f"`{site['symbol']}`" + (f" -> `{site['canonical_symbol']}`"
                                              if site["canonical_symbol"] not in (None, site["symbol"]) else "")
            lines.append(f"| `{site['file']}:{site['line']}` | `{site['function']}` | "
                         f"{symbol if site['symbol'] else '(module)'} | {site['uses']} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def render_table(report: dict[str, Any], *, console: Any = None) -> str:
    """A rich table per legacy path; plain text when not on a terminal."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = console or Console(file=buffer, width=140, force_terminal=False, color_system=None)
    console.print(f"{summary(report)}: {_counts(report['totals'])}")
    for path in report["legacy_paths"]:
        # The heading on a line of its own: a table's title wraps at the table's width.
        console.print(f"{heading(path)}  ({plural(path['uses'], 'use')}, {plural(path['sites_count'], 'site')}, "
                      f"{plural(path['processes'], 'process')})", markup=False, highlight=False, soft_wrap=True)
        table = Table(show_lines=False)
        for column in ("file:line", "function", "symbol", "uses"):
            table.add_column(column, justify="right" if column == "uses" else "left")
        for site in path["sites"]:
            table.add_row(f"{site['file']}:{site['line']}", site["function"], site["symbol"] or "(module)",
                          str(site["uses"]))
        console.print(table)
    return buffer.getvalue()

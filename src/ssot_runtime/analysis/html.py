"""``report --format html``: one self-contained page, the burn-down of a consolidation.

Everything is inline: the CSS and the script (``html_assets/``), the charts as SVG drawn here
(one ``<circle class="pt">`` per bucket of the series), the sites as JSON in a
``<script type="application/json">`` that the script pages through (50 rows at a time, so
10,000 sites stay responsive), sorts and filters. The page fetches nothing.

Per legacy path: its rule's target, mode, note and ``remove_after`` (days left; overdue marked
``class="overdue"``), its burn-down chart, its sites, the plan's batches with its edits, and,
once it has had no use, "no use in N processes over D days". Configured paths the traces never
show get the same sentence over the whole data: the evidence that a shim can go.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from importlib import resources

from ..traces.coverage import iso, plural, summary
from .html_charts import DAY_NS, _parse_iso, chart, spark
from .report import symbol_pairs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from ..config import Config, Rule
    from ..traces.read import Aggregate, Filters

PAGE_SIZE = 50
_E = html.escape


def _asset(name: str) -> str:
    return (resources.files("ssot_runtime") / "analysis" / "html_assets" / name).read_text(encoding="utf-8")


def _days(span_ns: int) -> str:
    days = span_ns / DAY_NS
    return f"{days:.0f} days" if days == round(days) else f"{days:.1f} days"


def quiet_since(agg: Aggregate, after_ns: int) -> tuple[int, int]:
    """Processes under the hook that started after ``after_ns``, and the span they cover (ns)."""
    runs = [(p.start, p.end) for p in agg.processes.values() if p.start > after_ns]
    if not runs:
        return 0, 0
    return len(runs), max(end for _, end in runs) - (after_ns or min(start for start, _ in runs))


def skipped_sentence(agg: Aggregate) -> str:
    """Why lines that did not parse leave no path without use: the uses they held are unknown."""
    count = len(agg.skipped)
    path, line, _why = agg.skipped[0]
    return (f"{plural(count, 'line')} of the traces did not parse (the first: {path}:{line}): the uses "
            f"{'they' if count != 1 else 'it'} held are unknown, so nothing can be called unused")


def no_use_sentence(count: int, span_ns: int) -> str:
    return f"no use in {plural(count, 'process')} over {_days(span_ns)}"


class Rules:
    """The configuration's rules, found for a legacy module the traces name."""

    def __init__(self, cfg: Config | None) -> None:
        self.cfg = cfg
        rules = cfg.rules if cfg is not None else ()
        self.exact = {r.legacy: r for r in rules if not r.prefix and r.symbol is None}
        self.prefixes = {r.legacy: r for r in rules if r.prefix}
        self.symbols = [r for r in rules if r.symbol is not None]

    def find(self, legacy: str) -> list[Rule]:
        from ..config import resolve

        found = resolve(legacy, self.exact, self.prefixes)
        rules = [found[1]] if found else []
        return rules + [r for r in self.symbols if r.legacy == legacy]

    def unused(self, agg: Aggregate, filters: Filters | None = None) -> list[Rule]:
        """The rules no use in the data reached (with ``--legacy``, only rules the filter keeps:
        a path filtered out is not a path without use)."""
        sites = [s for s in agg.sites.values() if s.uses]  # all of them, whatever --top shows
        used = {s.legacy for s in sites}
        symbols = {(s.legacy, s.symbol) for s in sites}
        out = []
        for rule in (self.cfg.rules if self.cfg is not None else ()):
            if filters is not None and not filters.legacy_ok(rule.legacy):
                continue
            if rule.prefix:
                hit = any(name == rule.legacy or name.startswith(rule.legacy + ".") for name in used)
            elif rule.symbol is not None:
                hit = (rule.legacy, rule.symbol) in symbols
            else:
                hit = rule.legacy in used
            if not hit:
                out.append(rule)
        return out


def deadline(rule: Rule, today: dt.date, *, short: bool = False) -> str:
    """``remove after 2026-12-31 (30 days left)``, or an overdue one marked for the eye and the tests."""
    if rule.remove_after is None:
        return ""
    left = (rule.remove_after - today).days
    prefix = "" if short else "remove after "
    if left < 0:
        return (f'<span class="deadline overdue">{prefix}{rule.remove_after.isoformat()}: overdue by '
                f'{plural(-left, "day")}</span>')
    when = "today" if left == 0 else f"{plural(left, 'day')} left"
    soon = " soon" if left <= 14 else ""
    return f'<span class="deadline{soon}">{prefix}{rule.remove_after.isoformat()} ({when})</span>'


def _plan(report: dict[str, Any], cfg: Config | None, root: str | None) -> dict[str, Any] | None:
    if cfg is None or root is None or not cfg.rules:
        return None
    from .plan import build_plan

    return build_plan(report, cfg, root=root)


def _uses_of(change: dict[str, Any], legacy: str) -> int:
    """The uses of one legacy path a line change carries (a line can hold uses of two paths)."""
    return sum(site["uses"] for site in change.get("sites", ()) if site["legacy"] == legacy)


def _plan_html(plan: dict[str, Any] | None, legacy: str) -> str:
    if plan is None:
        return '<p class="muted">No plan: no configuration with rules was found.</p>'
    parts = []
    for batch in plan["batches"]:
        changes = [c for c in batch["changes"] if c["legacy"] == legacy or _uses_of(c, legacy)]
        if not changes:
            continue
        parts.append(f'<div class="batch"><h4>Batch {batch["number"]} ({_E(batch["priority"])}, '
                     f'{plural(sum(_uses_of(c, legacy) for c in changes), "use")} of this path)</h4>')
        for change in changes:
            before = "".join(f"- {line}\n" for line in change["before"].split("\n"))
            after = "".join(f"+ {line}\n" for line in change["after"].split("\n"))
            mine = _uses_of(change, legacy)
            others = f"; {plural(change['uses'] - mine, 'use')} of other paths" if change["uses"] > mine else ""
            parts.append(f'<p class="where">{_E(change["file"])}:{change["line"]} '
                         f'({plural(mine, "use")} of this path{others})</p><pre class="diff"><span class="del">'
                         f'{_E(before)}</span><span class="add">{_E(after)}</span></pre>')
        parts.append(f'<p class="verify">Verify: <code>{_E(batch["verify"])}</code></p></div>')
    left = [c for c in plan["unresolved"] if c["legacy"] == legacy]
    covered = [c for c in plan["covered"] if c["legacy"] == legacy]
    if covered:
        parts.append(f'<p class="muted">{plural(len(covered), "site")} covered by an import changed above.</p>')
    if left:
        parts.append("<p>Not placed: " + ", ".join(
            f'<code>{_E(c["file"])}:{c["line"]}</code> ({_E(c["status"])})' for c in left[:20])
            + (f" and {len(left) - 20} more" if len(left) > 20 else "") + "</p>")
    return "".join(parts) or '<p class="muted">The plan has no edit for this path.</p>'


def _filters_text(filters: Filters | None) -> str:
    if filters is None:
        return ""
    parts = []
    if filters.services:
        parts.append("services " + ", ".join(sorted(filters.services)))
    if filters.legacy:
        parts.append("legacy paths " + ", ".join(filters.legacy))
    if filters.since_ns is not None:
        parts.append(f"since {iso(filters.since_ns)}")
    if filters.until_ns is not None:
        parts.append(f"until {iso(filters.until_ns)}")
    return f'<p class="filters">Only {_E("; ".join(parts))}.</p>' if parts else ""


def render(report: dict[str, Any], series: dict[str, Any], agg: Aggregate, *, config: Path | None = None,
           root: str | None = None, cfg: Config | None = None, today: dt.date | None = None,
           filters: Filters | None = None, audit: dict[str, Any] | None = None) -> str:
    """The page. ``cfg`` (else the configuration ``config`` names or the one found) gives the rules;
    ``filters`` are the report's, said on the page; ``audit`` (an ``ssot-runtime/audit/v1``
    document) adds the audit's figures."""
    if cfg is None:
        from ..config import load_config

        cfg = load_config(config)  # a malformed one is an error, not a page without modes and deadlines
    today = today or dt.datetime.now(dt.timezone.utc).date()
    rules = Rules(cfg)
    plan = _plan(report, cfg, root)
    by, labels = series["by"], series["buckets"]
    per_path = {p["legacy"]: p for p in series["legacy_paths"]}
    total = series["total"]
    cov = report["coverage"]
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>Legacy import paths: the burn-down</title><style>", _asset("report.css"), "</style></head><body>",
           "<header><h1>Legacy import paths: the burn-down</h1>",
           f'<p class="summary">{_E(summary(report))}: {plural(report["totals"]["legacy_paths"], "legacy path")}, '
           f'{plural(report["totals"]["sites"], "site")}.</p>',
           f'<p class="muted">Uses per {by} (UTC), from the points\' own time windows; '
           f'{plural(report["sources"]["files"], "file")} read. Generated {today.isoformat()}.</p>',
           _filters_text(filters), "</header>",
           '<section id="total"><h2>All legacy paths</h2>',
           chart(labels, total["uses"], title=f"uses per {by}, all paths", processes=total["processes"],
                 css="chart total"),
           f'<p class="legend"><span class="key line"></span> uses per {by} '
           f'<span class="key proc"></span> processes that ran</p>']
    if series["spanning"]:
        out.append(f'<p class="muted">{plural(series["spanning"], "use")} came in points whose window crosses a '
                   f'{by} boundary: counted in the {by} the window ends in.</p>')
    out.append("</section>")
    # Overview
    out.append('<section id="overview"><h2>Paths</h2><table class="overview"><thead><tr><th>legacy path</th>'
               "<th>target</th><th>mode</th><th>uses</th><th>sites</th><th>last seen</th><th>remove after</th>"
               f"<th>per {by}</th></tr></thead><tbody>")
    details = []
    data: list[dict[str, Any]] = []
    for number, path in enumerate(report["legacy_paths"]):
        legacy = path["legacy"]
        found = rules.find(legacy)
        rule = found[0] if found else None
        mode = cfg.rule_mode(rule, today=today) if cfg is not None and rule is not None else ""
        target = rule.target if rule is not None and rule.symbol is None else path["canonical"]
        if rule is not None and rule.prefix:
            target = rule.target + legacy[len(rule.legacy):]
        line = per_path.get(legacy, {"uses": [0] * len(labels), "last_use": None})
        anchor = f"p{number}"
        limit = deadline(rule, today, short=True) if rule is not None else ""
        out.append(f'<tr><td><a href="#{anchor}"><code>{_E(legacy)}</code></a></td><td><code>{_E(target)}</code>'
                   f'</td><td>{_E(mode)}</td><td class="num">{path["uses"]}</td><td class="num">'
                   f'{path["sites_count"]}</td><td class="nowrap">{_E((path["last_seen"] or "")[:10])}</td>'
                   f'<td>{limit}</td>'
                   f'<td>{spark(line["uses"])}</td></tr>')
        quiet = ""
        if line["last_use"] is not None and line["uses"] and not line["uses"][-1] and path["last_seen"] \
                and not agg.skipped:
            count, span = quiet_since(agg, _parse_iso(path["last_seen"]))
            if count:
                quiet = (f'<p class="quiet">Last use {_E(path["last_seen"][:16].replace("T", " "))} UTC; since then '
                         f'{no_use_sentence(count, span)}.</p>')
        notes = "".join(f'<li>rule <code>{_E(r.key)}</code> &rarr; <code>{_E(r.target_key)}</code>'
                        f'{" (" + _E(r.mode) + ")" if r.mode else ""}{": " + _E(r.note) if r.note else ""} '
                        f'{deadline(r, today)}</li>' for r in found)
        pairs = symbol_pairs(path) if target == legacy else [("", "")]  # names moving within one module
        title = ", ".join(f"<code>{_E(legacy + old)}</code> &rarr; <code>{_E(target + new)}</code>"
                          for old, new in pairs)
        details.append(
            f'<section class="path" id="{anchor}"><h3>{title}</h3>'
            f'<p>{plural(path["uses"], "use")} at {plural(path["sites_count"], "site")} in '
            f'{plural(path["files_count"], "file")}; {plural(path["processes"], "process")}; services: '
            f'{_E(", ".join(path["services"]) or "-")}; mode {_E(mode or "unknown (no rule)")}.</p>'
            + (f"<ul class=\"rules\">{notes}</ul>" if notes else '<p class="muted">No rule in the configuration '
               "names this path.</p>")
            + quiet
            + chart(labels, line["uses"], title=f"uses of {legacy} per {by}", height=160, css="chart path-chart",
                    deadline_on=rule.remove_after if rule is not None else None)
            + f'<h4>Sites</h4><div class="sites" data-path="{number}"></div>'
            + f"<h4>Plan</h4>{_plan_html(plan, legacy)}</section>")
        data.append({"legacy": legacy, "sites": [[s["file"], s["line"], s["function"], s["symbol"] or "", s["uses"],
                                                   (s["last_seen"] or "")[:16].replace("T", " ")]
                                                  for s in path["sites"]]})
    out.append("</tbody></table></section>")
    unused = rules.unused(agg, filters)
    if unused:
        start, end = cov["start"], cov["end"]
        known = bool(cov["processes"] and start and end and not agg.skipped)
        evidence = (no_use_sentence(cov["processes"], _parse_iso(end) - _parse_iso(start)) if known
                    else skipped_sentence(agg) if agg.skipped
                    else f"the filters {cov['filters']} left no process evidence: nothing to conclude"
                    if cov.get("filters") else "no process evidence in the data: nothing to conclude")
        out.append('<section id="unused"><h2>Configured paths with no use</h2><p>Each of these: '
                   f'<strong class="{"quiet" if known else "unknown"}">{_E(evidence)}</strong>'
                   + (f" ({_E(start[:10])} to {_E(end[:10])})" if start and end else "") + ".</p><ul>")
        for rule in unused:
            out.append(f'<li><code>{_E(rule.key)}</code> &rarr; <code>{_E(rule.target_key)}</code>'
                       f'{": " + _E(rule.note) if rule.note else ""} {deadline(rule, today)}</li>')
        out.append("</ul></section>")
    if audit is not None:
        from .html_audit import section

        out.append(section(audit))
    out += ['<section id="paths"><h2>Per path</h2>', *details, "</section>"]
    payload = json.dumps({"pageSize": PAGE_SIZE, "paths": data}, separators=(",", ":")).replace("<", "\\u003c")
    out += [f'<script type="application/json" id="report-data">{payload}</script>',
            "<script>", _asset("report.js"), "</script></body></html>\n"]
    return "".join(out)

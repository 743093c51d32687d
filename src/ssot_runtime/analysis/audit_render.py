"""The audit document rendered: a headline, a table, Markdown, CSV and JSON (``audit --format``)."""

from __future__ import annotations

import csv
import io
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any



def render_json(audit: dict[str, Any]) -> str:
    return json.dumps(audit, indent=2) + "\n"


def _plural(count: int, word: str) -> str:
    from ..traces.coverage import plural

    return str(plural(count, word))


def headline(audit: dict[str, Any]) -> str:
    t = audit["totals"]
    parts = [f"{_plural(t['objects'], 'object')} reached by {_plural(t['import_paths'], 'import path')}",
             _plural(t["duplicates"], "duplicate name"), f"{t['unconfigured']} unconfigured re-export"
             + ("s" if t["unconfigured"] != 1 else "")]
    if t["loaded_twice"] is not None:
        parts.append(f"{_plural(t['loaded_twice'], 'file')} loaded under two names")
    if t["unused"] is not None:
        parts.append(f"{t['unused']} configured legacy path{'s' if t['unused'] != 1 else ''} unused")
    if t.get("unread"):
        parts.append(f"{_plural(t['unread'], 'file')} not read (they do not parse)")
    return ", ".join(parts)


def _object_line(obj: dict[str, Any]) -> str:
    return f"{obj['name']}: {_plural(obj['import_paths_count'], 'import path')} -> 1 object ({obj['object']})"


def _difference_text(diff: dict[str, Any]) -> str:
    return "; ".join(f"{module}: {text if text is not None else '(missing)'}" for module, text in diff["in"].items())


def _evidence_text(unused: dict[str, Any]) -> str:
    ev = unused["evidence"]
    if not ev["processes"]:
        return str(unused["note"])
    return f"no use in {_plural(ev['processes'], 'process')}, {ev['start']} - {ev['end']}"


def _classes_text(entry: dict[str, Any], quote: str = "") -> str:
    classes = entry.get("classes") or []
    if not classes:
        return ""
    return "; classes defined twice: " + ", ".join(f"{quote}{c}{quote}" for c in classes)


def _cell(text: str) -> str:
    """Code in a Markdown table cell: a ``|`` (``str | None``) would end the cell."""
    return "`" + text.replace("|", "\\|") + "`"


def render_markdown(audit: dict[str, Any], *, all_objects: bool = False) -> str:
    lines = ["# Consolidation audit\n", f"{headline(audit)}.\n"]
    if audit.get("unread"):
        lines.append("## Files not read\n")
        lines += [f"- `{u['file']}:{u['line']}`: {u['reason']}" for u in audit["unread"]]
        lines.append("")
    lines.append("## Import paths per object\n")
    shown = [o for o in audit["objects"] if all_objects or o["import_paths_count"] > 1]
    if not shown:
        lines.append("Every object has one import path.\n")
    for obj in shown:
        lines.append(f"### `{obj['name']}`: {_plural(obj['import_paths_count'], 'import path')} -> 1 object\n")
        lines.append(f"Defined at `{obj['file']}:{obj['line']}` as `{obj['object']}`.\n")
        lines.append("| import path | how | rule | where |\n|---|---|---|---|")
        for p in obj["import_paths"]:
            at = f"`{p['file']}:{p['line']}`" if p["file"] else "(configuration)"
            rule = f"`{p['rule']}`" if p["rule"] else "-"
            lines.append(f"| `{p['path']}` | {p['how']} ({p['via']}) | {rule} | {at} |")
        lines.append("")
    lines.append("## Duplicates\n")
    if not audit["duplicates"]:
        lines.append("No name is defined in more than one module.\n")
    for dup in audit["duplicates"]:
        lines.append(f"### `{dup['name']}` ({dup['kind']}): {_plural(len(dup['definitions']), 'definition')}\n")
        for d in dup["definitions"]:
            lines.append(f"- `{d['object']}` at `{d['file']}:{d['line']}` "
                         f"({_plural(d['import_paths_count'], 'import path')})")
        lines.append("")
        if dup["differences"]:
            modules = [d["object"].partition(":")[0] for d in dup["definitions"]]
            lines.append("| member | " + " | ".join(f"`{m}`" for m in modules) + " |")
            lines.append("|---|" + "---|" * len(modules))
            for diff in dup["differences"]:
                cells = [_cell(str(diff["in"][m])) if diff["in"].get(m) is not None else "(missing)" for m in modules]
                lines.append(f"| `{diff['member']}` | " + " | ".join(cells) + " |")
            lines.append("")
        else:
            lines.append("Their public interfaces are the same.\n")
    lines.append("## Re-exports in no rule\n")
    if not audit["unconfigured"]:
        lines.append("None.\n")
    for p in audit["unconfigured"]:
        lines.append(f"- `{p['path']}` -> `{p['object']}` ({p['via']}, `{p['file']}:{p['line']}`)")
    if audit["unconfigured"]:
        lines.append("")
    if audit["loaded_twice"] is not None:
        lines.append("## One file loaded under two module names\n")
        for entry in audit["loaded_twice"] or []:
            lines.append(f"- `{entry['file']}` as {', '.join(f'`{m}`' for m in entry['modules'])} "
                         f"({_plural(entry['processes'], 'process')})" + _classes_text(entry, "`"))
        lines.append("None seen.\n" if not audit["loaded_twice"] else "")
    if audit["unused"] is not None:
        lines.append("## Configured legacy paths without use: ready to delete\n")
        lines.append(f"Evidence: {_evidence_text(audit['unused'])}.\n")
        for p in audit["unused"]["legacy_paths"]:
            lines.append(f"- `{p['rule']}` (mode {p['mode']}): {p['remove']}")
        if audit["unused"]["legacy_paths"]:
            lines.append("")
        for p in audit["unused"].get("undecided") or ():
            lines.append(f"- `{p['rule']}` (mode {p['mode']}): not decided: {p['reason']}")
        if audit["unused"].get("undecided"):
            lines.append("")
    return "\n".join(lines) + "\n"


_HEADER = ["section", "name", "path", "how", "rule", "file", "line", "detail"]


def render_csv(audit: dict[str, Any]) -> str:
    """One row per import path, per duplicate definition, per file loaded twice, per unused path."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_HEADER)
    for obj in audit["objects"]:
        for p in obj["import_paths"]:
            writer.writerow(["import_path", obj["object"], p["path"], p["how"], p["rule"] or "", p["file"] or "",
                             p["line"] or "", p["via"]])
    for dup in audit["duplicates"]:
        for d in dup["definitions"]:
            detail = "; ".join(f"{x['member']}: {_difference_text(x)}" for x in dup["differences"])
            writer.writerow(["duplicate", dup["name"], d["object"], d["kind"], "", d["file"], d["line"], detail])
    for u in audit.get("unread") or ():
        writer.writerow(["unread", u["module"], "", "", "", u["file"], u["line"], u["reason"]])
    for entry in audit["loaded_twice"] or []:
        writer.writerow(["loaded_twice", entry["file"], " ".join(entry["modules"]), "", "", entry["file"], "",
                         _plural(entry["processes"], "process")
                         + (f"; classes defined twice: {', '.join(entry['classes'])}" if entry["classes"] else "")])
    if audit["unused"] is not None:
        for p in audit["unused"]["legacy_paths"]:
            writer.writerow(["unused", p["legacy"], p["rule"], p["mode"], p["rule"], p["file"] or "", p["line"] or "",
                             f"{_evidence_text(audit['unused'])}: {p['remove']}"])
        for p in audit["unused"].get("undecided") or ():
            writer.writerow(["undecided", p["legacy"], p["rule"], p["mode"], p["rule"], p["file"] or "", "",
                             p["reason"]])
    return out.getvalue()


def render_table(audit: dict[str, Any], *, console: Any = None, all_objects: bool = False) -> str:
    """Rich tables; plain text when not on a terminal."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = console or Console(file=buffer, width=140, force_terminal=False, color_system=None)
    console.print(headline(audit), soft_wrap=True)
    for u in audit.get("unread") or ():
        console.print(f"not read: {u['file']}:{u['line']}: {u['reason']}", soft_wrap=True)
    for obj in audit["objects"]:
        if not all_objects and obj["import_paths_count"] < 2:
            continue
        table = Table(title=_object_line(obj), title_justify="left")
        for column in ("import path", "how", "rule", "where"):
            table.add_column(column)
        for p in obj["import_paths"]:
            table.add_row(p["path"], f"{p['how']} ({p['via']})", p["rule"] or "-",
                          f"{p['file']}:{p['line']}" if p["file"] else "(configuration)")
        console.print(table)
    for dup in audit["duplicates"]:
        table = Table(title=f"duplicate {dup['kind']} {dup['name']}: "
                            + ", ".join(f"{d['object']} ({d['file']}:{d['line']})" for d in dup["definitions"]),
                      title_justify="left")
        modules = [d["object"].partition(":")[0] for d in dup["definitions"]]
        table.add_column("member")
        for module in modules:
            table.add_column(module)
        for diff in dup["differences"]:
            table.add_row(diff["member"], *[diff["in"].get(m) or "(missing)" for m in modules])
        if not dup["differences"]:
            table.add_row("(same public interface)", *["" for _ in modules])
        console.print(table)
    if audit["unconfigured"]:
        table = Table(title="re-exports in no rule", title_justify="left")
        for column in ("import path", "object", "how", "where"):
            table.add_column(column)
        for p in audit["unconfigured"]:
            table.add_row(p["path"], p["object"], p["via"], f"{p['file']}:{p['line']}")
        console.print(table)
    for entry in audit["loaded_twice"] or []:
        console.print(f"loaded under two names: {entry['file']} as {', '.join(entry['modules'])} "
                      f"({_plural(entry['processes'], 'process')})" + _classes_text(entry), soft_wrap=True)
    if audit["unused"] is not None:
        console.print(f"configured legacy paths without use ({_evidence_text(audit['unused'])}):", soft_wrap=True)
        for p in audit["unused"]["legacy_paths"]:
            console.print(f"  {p['rule']} (mode {p['mode']}): {p['remove']}", soft_wrap=True)
        for p in audit["unused"].get("undecided") or ():
            console.print(f"  {p['rule']} (mode {p['mode']}): not decided: {p['reason']}", soft_wrap=True)
    return buffer.getvalue()


# -- the ratchet: check --audit -----------------------------------------------------------------------

"""The audit's figures on the burn-down page (``report --format html --audit AUDIT.json``).

The page reads an ``ssot-runtime/audit/v1`` document as ``audit --format json`` wrote it: the
import paths per object, the duplicates and how their interfaces differ, the re-exports in no
rule, the files loaded under two names, the files not read. Nothing is recomputed here.
"""

from __future__ import annotations

import html
import json

from ..errors import SsotRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA = "ssot-runtime/audit/v1"
SHOWN = 20  # objects and re-exports listed; the counts are of all of them
_E = html.escape


def read_audit(path: str) -> dict[str, Any]:
    """An audit document, or one line saying why it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise SsotRuntimeError(f"--audit {path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SsotRuntimeError(f"--audit {path}: not JSON ({exc}): write it with `ssot-runtime audit "
                               "--format json --output FILE`") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise SsotRuntimeError(f"--audit {path}: expected an {SCHEMA} document (audit --format json), "
                               f"found {found!r}")
    return doc


def section(audit: dict[str, Any]) -> str:
    """The page's audit section."""
    from .audit import headline

    totals = audit.get("totals") or {}
    out = ['<section id="audit"><h2>Audit</h2>', f"<p>{_E(headline(audit))}.</p>"]
    several = [o for o in audit.get("objects") or () if o.get("import_paths_count", 0) > 1]
    if several:
        out.append(f"<h3>Import paths per object ({totals.get('objects_with_several_paths', len(several))} "
                   "objects with more than one)</h3><table><thead><tr><th>object</th><th>import paths</th>"
                   "<th>unconfigured</th></tr></thead><tbody>")
        for obj in several[:SHOWN]:
            loose = sum(1 for p in obj.get("import_paths") or () if p.get("how") == "unconfigured")
            out.append(f'<tr><td><code>{_E(obj["object"])}</code></td><td class="num">{obj["import_paths_count"]}'
                       f' paths &rarr; 1 object</td><td class="num">{loose}</td></tr>')
        out.append("</tbody></table>")
    duplicates = audit.get("duplicates") or []
    if duplicates:
        out.append(f"<h3>Duplicates ({len(duplicates)})</h3><ul>")
        for dup in duplicates:
            where = ", ".join(f'<code>{_E(d["object"])}</code> ({_E(str(d.get("file")))}:{d.get("line")})'
                              for d in dup.get("definitions") or ())
            diffs = "; ".join(_difference(d) for d in dup.get("differences") or ())
            out.append(f"<li>{_E(dup.get('kind', ''))} <code>{_E(dup['name'])}</code>: {where}"
                       + (f"<br><span class=\"muted\">differ: {diffs}</span>" if diffs else
                          '<br><span class="muted">same public interface</span>') + "</li>")
        out.append("</ul>")
    unconfigured = audit.get("unconfigured") or []
    if unconfigured:
        out.append(f"<h3>Re-exports in no rule ({len(unconfigured)}): candidates for the map</h3><ul>")
        for item in unconfigured[:SHOWN]:
            out.append(f'<li><code>{_E(item["path"])}</code> &rarr; <code>{_E(item.get("object", ""))}</code> '
                       f'({_E(str(item.get("file")))}:{item.get("line")}, {_E(str(item.get("via", "")))})</li>')
        out.append("</ul>")
    twice = audit.get("loaded_twice")
    if twice:
        out.append(f"<h3>Files loaded under two module names ({len(twice)})</h3><ul>")
        for item in twice:
            out.append(f'<li>{_E(item["file"])}: {", ".join(f"<code>{_E(m)}</code>" for m in item["modules"])}'
                       f' ({item.get("processes", 0)} processes)</li>')
        out.append("</ul>")
    unread = audit.get("unread") or []
    if unread:
        out.append(f'<p class="unknown">{len(unread)} files were not audited (they do not parse): '
                   + ", ".join(f"{_E(u['file'])}:{u.get('line')}" for u in unread[:SHOWN]) + "</p>")
    out.append("</section>")
    return "".join(out)


def _difference(diff: dict[str, Any]) -> str:
    per_module = ", ".join(f"{_E(module)}: {_E(text) if text is not None else 'missing'}"
                           for module, text in (diff.get("in") or {}).items())
    return f"<code>{_E(diff.get('member', ''))}</code> ({per_module})"

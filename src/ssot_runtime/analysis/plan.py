"""``ssot-runtime plan``: runtime uses and the source code, turned into small prioritised batches.

The edits are those of the one rewrite engine (:mod:`ssot_runtime.analysis.rewrite`), the same that
``fix`` writes, restricted to the legacy paths seen at runtime; each site's uses are added to the
edit of its line (or of the line holding the dotted string it imported by name). A site is found
by its line's fingerprint (:mod:`ssot_runtime.hook.fingerprint`): on its traced line, or on the
nearest line that has it when lines moved; a site no line holds any more is listed as changed
since the trace, a missing file as missing, a rewrite to a name the canonical module lacks as
refused: never guessed. Each traced site is in exactly one entry's ``sites``.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..config import Config
    from ..hook.fingerprint import Locator

SCHEMA = "ssot-runtime/plan/v1"
DEFAULT_VERIFY = "python -m pytest -q"


@dataclass
class Change:
    file: str
    line: int
    legacy: str
    before: str
    after: str
    uses: int
    status: str = "replace"  # replace | covered | refused | changed | missing
    reason: str = ""
    sites: list[dict[str, Any]] = field(default_factory=list)  # the traced sites it accounts for

    def as_dict(self) -> dict[str, Any]:
        out = {"file": self.file, "line": self.line, "legacy": self.legacy, "status": self.status,
               "before": self.before, "after": self.after, "uses": self.uses}
        if self.reason:
            out["reason"] = self.reason
        return {**out, "sites": self.sites}


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def hunks(file: str, before: str, after: str) -> list[Change]:
    """The engine's edits of one file as line changes: one per line where lines map one to one.

    Lines only added or only removed are joined to the line before them (or after, at the top),
    so every change replaces lines that exist with the lines that take their place.
    """
    import difflib

    a, b = before.split("\n"), after.split("\n")
    out: list[Change] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 <= j2 - j1:  # each old line gets the new lines most like it
            starts = _align(a[i1:i2], b[j1:j2])
            ends = [*starts[1:], j2 - j1]
            out += [Change(file, i1 + k + 1, "", a[i1 + k], "\n".join(b[j1 + starts[k]:j1 + ends[k]]), 0)
                    for k in range(i2 - i1)]
            continue
        if i1 == i2 or j1 == j2:  # only added or only removed: take a neighbour line along
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            else:
                i2, j2 = i2 + 1, j2 + 1
        out.append(Change(file, i1 + 1, "", "\n".join(a[i1:i2]), "\n".join(b[j1:j2]), 0))
    return out


def _align(old: list[str], new: list[str]) -> list[int]:
    """Where in ``new`` each line of ``old`` starts (in order; at least one new line each)."""
    import difflib

    starts = [0]
    for k in range(1, len(old)):
        lo, hi = starts[-1] + 1, len(new) - (len(old) - k)
        starts.append(max(range(lo, hi + 1), key=lambda m: (difflib.SequenceMatcher(None, old[k], new[m]).ratio(), -m)))
    return starts


def plan_changes(report: dict[str, Any], cfg: Config, root: str) -> list[Change]:
    """The engine's edits of each file with uses (the legacy paths seen only), with the uses of each line.

    The edits are exactly what ``ssot-runtime fix --only-seen`` writes into those files. A site
    on a line the engine leaves alone is covered by another change of its file (a module alias,
    the dotted string it imported by name), refused, or changed since the trace.
    """
    from ..hook.fingerprint import Locator
    from .fix import fix_source
    from .names import LegacyNames
    from .scan import scan_python
    from .symbols import CanonicalNames

    names = LegacyNames(cfg, tuple(sorted({p["legacy"] for p in report["legacy_paths"]})) or ("<none>",))
    canonical = CanonicalNames([root, os.path.join(root, "src")])
    by_file: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for path in report["legacy_paths"]:
        for site in path["sites"]:
            by_file.setdefault(site["file"], []).append((path["legacy"], site))
    changes: list[Change] = []
    for file, sites in by_file.items():
        full = file if os.path.isabs(file) else os.path.join(root, file)
        source = _read(full)
        if source is None:
            changes += [Change(file, s["line"], legacy, "", "", s["uses"], "missing", sites=[_traced(legacy, s)])
                        for legacy, s in sites]
            continue
        refused: list[str] = []
        try:
            edits = hunks(file, source, fix_source(full, source, names, canonical, refused))
            refs = {r.line: r.legacy for r in scan_python(full, source, names)}
        except Exception:  # does not parse: nothing can be placed
            edits, refs = [], {}
        why = {int(number): text for number, _, text in (r[len(full) + 1:].partition(": ") for r in refused)}
        lines = source.split("\n")
        locator = Locator(lines)
        for legacy, site in sites:
            changes.append(_place(file, legacy, site, edits, locator, why))
        for edit in edits:
            if not edit.legacy:
                edit.legacy = next((refs[n] for n in range(edit.line, edit.line + edit.before.count("\n") + 1)
                                    if n in refs), "")
        changes += edits
    return [c for c in changes if c.status != "placed"]


def _traced(legacy: str, site: dict[str, Any]) -> dict[str, Any]:
    """A traced site as plan entries list it: its line is the one it was traced on."""
    return {"legacy": legacy, "symbol": site["symbol"], "function": site.get("function", ""),
            "line": site["line"], "uses": site["uses"]}


def _place(file: str, legacy: str, site: dict[str, Any], edits: list[Change], locator: Locator,
           why: dict[int, str]) -> Change:
    """Add a site's uses to the edit of its line; else say why it needs none or cannot be placed.

    Its line is where its fingerprint is now (traces without one: the traced line, which must
    still name what was used there to take an edit's uses).
    """
    uses, traced = site["uses"], [_traced(legacy, site)]
    prints = site.get("fingerprints") or ()
    line, lost = locator.locate(site["line"], prints)
    if line is None:
        return Change(file, site["line"], legacy, "", "", uses, "changed", lost, traced)
    lines = locator.lines
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    moved = f"traced at line {site['line']}" if line != site["line"] else ""
    placed = Change(file, line, legacy, text, text, uses, "placed")
    if line in why:
        return Change(file, line, legacy, text, text, uses, "refused", why[line], traced)
    named = (site["symbol"] or legacy.rpartition(".")[2]) in text
    if prints or named:  # the traced statement, or (older traces) a line that still names what was used
        for edit in edits:
            if edit.line <= line <= edit.line + edit.before.count("\n"):
                return _add(edit, legacy, uses, traced, placed)
        # Imported by a name computed elsewhere: the dotted string is the line that changes.
        quoted = re.compile(rf"[\"']{re.escape(legacy)}[\"'.:]")
        for edit in edits:
            if quoted.search(edit.before):
                return _add(edit, legacy, uses, traced, placed)
    if named and edits:  # through an alias the file changes
        return Change(file, line, legacy, text, text, uses, "covered", moved, traced)
    what = site["symbol"] or legacy
    if site["symbol"] and re.search(rf"\bfrom\s+{re.escape(legacy)}\s+import\s+\*", text):
        # The line is as traced: a star import brings the name, and no rewrite can rename it there.
        return Change(file, line, legacy, text, "", uses, "refused",
                      f"line {line} is a star import of {legacy}: the rewrite cannot rename {what} in it; "
                      f"import {what} by name (from {legacy} import {what}) and run the plan again", traced)
    reason = f"line {line} names {what}, but no rewrite of the file reaches it" if named else \
        f"line {line} does not name {what}, and no change of the file carries it"
    return Change(file, line, legacy, text, "", uses, "changed", reason, traced)


def _add(edit: Change, legacy: str, uses: int, traced: list[dict[str, Any]], placed: Change) -> Change:
    edit.uses += uses
    edit.legacy = edit.legacy or legacy
    edit.sites += traced
    return placed


def _priority(file: str, priorities: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[int, str]:
    for rank, (name, patterns) in enumerate(priorities):
        if any(fnmatch.fnmatch(file, p) or fnmatch.fnmatch("/" + file, p) for p in patterns):
            return rank, name
    return len(priorities), "normal"


def build_plan(report: dict[str, Any], cfg: Config, *, root: str, batch_size: int = 5) -> dict[str, Any]:
    """The ``ssot-runtime/plan/v1`` document."""
    changes = plan_changes(report, cfg, root)
    by_file: dict[str, list[Change]] = {}
    for change in changes:
        if change.status == "replace":
            by_file.setdefault(change.file, []).append(change)
    # A file's weight: the uses its changes migrate, with those reached through a changed alias.
    weight = {f: sum(c.uses for c in changes if c.file == f and c.status in ("replace", "covered")) for f in by_file}
    order = sorted(by_file, key=lambda f: (_priority(f, cfg.plan_priorities)[0], -weight[f], f))
    verify = cfg.plan_verify or DEFAULT_VERIFY
    batches = []
    for number, start in enumerate(range(0, len(order), batch_size), 1):
        files = order[start:start + batch_size]
        batches.append({
            "number": number,
            "priority": _priority(files[0], cfg.plan_priorities)[1],
            "files": files,
            "uses": sum(weight[f] for f in files),
            "verify": verify.replace("{files}", " ".join(files)),
            "changes": [c.as_dict() for f in files for c in sorted(by_file[f], key=lambda c: c.line)],
        })
    return {
        "schema": SCHEMA,
        "batches": batches,
        "covered": [c.as_dict() for c in changes if c.status == "covered"],
        "unresolved": [c.as_dict() for c in changes if c.status in ("changed", "missing", "refused")],
    }


def render_markdown(plan: dict[str, Any]) -> str:
    """The plan for people: each batch lists its changes and the sites they cover, so that a
    batch's total is the sum of its lines."""
    from ..traces.coverage import plural

    out = ["# Migration plan\n"]
    total = sum(len(b["changes"]) for b in plan["batches"])
    out.append(f"{plural(len(plan['batches']), 'batch')}, {plural(total, 'line change')}.\n")
    placed: set[tuple[str, int]] = set()
    for batch in plan["batches"]:
        out.append(f"## Batch {batch['number']} ({batch['priority']}, {plural(batch['uses'], 'use')})\n")
        for change in batch["changes"]:
            removed = "".join(f"  - {line.strip()}\n" for line in change["before"].split("\n"))
            added = "".join(f"  + {line.strip()}\n" for line in change["after"].split("\n"))
            out.append(f"- `{change['file']}:{change['line']}` ({plural(change['uses'], 'use')})\n"
                       f"  ```diff\n{removed}{added}  ```")
        for site in plan["covered"]:
            if site["file"] in batch["files"]:
                placed.add((site["file"], site["line"]))
                out.append(f"- `{site['file']}:{site['line']}` ({plural(site['uses'], 'use')}): covered, reached "
                           "through an import changed above")
        out.append(f"\nVerify: `{batch['verify']}`\n")
    rest = [site for site in plan["covered"] if (site["file"], site["line"]) not in placed]
    if rest:
        out.append("## Covered (no change of their own)\n")
        out += [f"- `{c['file']}:{c['line']}` {c['legacy']} ({plural(c['uses'], 'use')})" for c in rest]
        out.append("")
    if plan["unresolved"]:
        out.append("## Not placed (the source is missing or changed since the trace, or the rewrite is refused)\n")
        out += [f"- `{c['file']}:{c['line']}` {c['legacy']}: {c['status']} ({plural(c['uses'], 'use')})"
                + (f" ({c['reason']})" if c.get("reason") else "") for c in plan["unresolved"]]
        out.append("")
    return "\n".join(out) + "\n"


def apply_plan(plan: dict[str, Any], root: str) -> int:
    """Write every replacement into the files under ``root`` (tests and the demo use it)."""
    count = 0
    for batch in plan["batches"]:
        for file in batch["files"]:
            path = file if os.path.isabs(file) else os.path.join(root, file)
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            mine = [c for c in batch["changes"] if c["file"] == file]
            for change in sorted(mine, key=lambda c: -c["line"]):  # bottom up: line numbers stay true
                start, old = change["line"] - 1, change["before"].split("\n")
                if lines[start:start + len(old)] == old:
                    lines[start:start + len(old)] = change["after"].split("\n")
                    count += 1
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    return count

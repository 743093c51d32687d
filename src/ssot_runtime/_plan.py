"""``ssot-runtime plan``: runtime uses and the source code, turned into small prioritised batches.

For each site seen at runtime the plan gives the exact replacement of its source line (or of the
line holding the dotted string it imported by name). A site whose line no longer mentions what
was used there is listed as changed since the trace, and a missing file as missing: never guessed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._config import Config

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
    status: str = "replace"  # replace | covered | changed | missing

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "legacy": self.legacy, "status": self.status,
                "before": self.before, "after": self.after, "uses": self.uses}


@dataclass
class Rewriter:
    """What one legacy path becomes, and how a line that uses it is rewritten."""

    legacy: str
    canonical: str
    renames: dict[str, str] = field(default_factory=dict)  # legacy symbol -> canonical symbol

    def rewrite(self, text: str, source: str) -> str | None:
        """The new line, or None when the line does not mention the legacy path."""
        legacy = re.escape(self.legacy)
        from_import = re.match(rf"^(\s*from\s+){legacy}(\s+import\s+)(.*?)(\s*(#.*)?)$", text)
        if from_import:
            head, mid, names, tail = from_import.group(1), from_import.group(2), from_import.group(3), \
                from_import.group(4)
            return f"{head}{self.canonical}{mid}{self._names(names, source)}{tail}"
        dotted = re.compile(rf"(?<![\w.]){legacy}(?![\w])")
        if dotted.search(text):
            out = dotted.sub(self.canonical, text)
            for old, new in self.renames.items():  # canonical.Old in a chain becomes canonical.New
                out = re.sub(rf"(?<![\w]){re.escape(self.canonical)}\.{old}\b", f"{self.canonical}.{new}", out)
            return out
        return None

    def _names(self, names: str, source: str) -> str:
        parts = []
        bare = names.strip("() ")
        for item in (p.strip() for p in bare.split(",") if p.strip()):
            name, _, alias = (x.strip() for x in item.partition(" as "))
            new = self.renames.get(name)
            if new is None:
                parts.append(item)
            elif alias:
                parts.append(f"{new} as {alias}")
            elif len(re.findall(rf"\b{re.escape(name)}\b", source)) <= 1:
                parts.append(new)  # the old name appears nowhere else in the file
            else:
                parts.append(f"{new} as {name}")
        joined = ", ".join(parts)
        return f"({joined})" if names.strip().startswith("(") else joined

    def rename_attribute(self, text: str, symbol: str) -> str | None:
        """``alias.Old`` on a line (the module reached through an alias) becomes ``alias.New``."""
        new = self.renames.get(symbol)
        if new is None or not re.search(rf"\.{re.escape(symbol)}\b", text):
            return None
        return re.sub(rf"\.{re.escape(symbol)}\b", f".{new}", text)


def _read(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def plan_changes(report: dict[str, Any], cfg: Config, root: str) -> list[Change]:
    """One change per source line to rewrite, plus the sites that need none or cannot be placed."""
    renames: dict[str, dict[str, str]] = {}
    for rule in cfg.rules:
        if rule.symbol and rule.target_symbol:
            renames.setdefault(rule.legacy, {})[rule.symbol] = rule.target_symbol
    changes: dict[tuple[str, int], Change] = {}
    extra: list[Change] = []
    for path in report["legacy_paths"]:
        rewriter = Rewriter(path["legacy"], path["canonical"], renames.get(path["legacy"], {}))
        for site in path["sites"]:
            file = site["file"]
            full = file if os.path.isabs(file) else os.path.join(root, file)
            lines = _read(full)
            key = (file, site["line"])
            if key in changes:
                changes[key].uses += site["uses"]
                continue
            if lines is None:
                extra.append(Change(file, site["line"], path["legacy"], "", "", site["uses"], "missing"))
                continue
            text = lines[site["line"] - 1] if 0 < site["line"] <= len(lines) else ""
            source = "\n".join(lines)
            new = rewriter.rewrite(text, source)
            if new is None and site["symbol"]:
                new = rewriter.rename_attribute(text, site["symbol"])
                if new is None and site["symbol"] in text:
                    # Reached through an alias bound elsewhere: the import's own change covers it.
                    extra.append(Change(file, site["line"], path["legacy"], text, text, site["uses"], "covered"))
                    continue
            if new is None:
                # Imported by a name computed elsewhere: the dotted string is the line to change.
                literal = next((i for i, line in enumerate(lines, 1) if re.search(
                    rf"[\"']{re.escape(path['legacy'])}[\"']", line)), None)
                if literal is not None:
                    key = (file, literal)
                    if key not in changes:
                        changes[key] = Change(file, literal, path["legacy"], lines[literal - 1],
                                              rewriter.rewrite(lines[literal - 1], source) or "", site["uses"])
                    else:
                        changes[key].uses += site["uses"]
                    continue
                extra.append(Change(file, site["line"], path["legacy"], text, "", site["uses"], "changed"))
                continue
            changes[key] = Change(file, site["line"], path["legacy"], text, new, site["uses"])
    return [*changes.values(), *extra]


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
        "unresolved": [c.as_dict() for c in changes if c.status in ("changed", "missing")],
    }


def render_markdown(plan: dict[str, Any]) -> str:
    """The plan for people: each batch lists its changes and the sites they cover, so that a
    batch's total is the sum of its lines."""
    from ._coverage import plural

    out = ["# Migration plan\n"]
    total = sum(len(b["changes"]) for b in plan["batches"])
    out.append(f"{plural(len(plan['batches']), 'batch')}, {plural(total, 'line change')}.\n")
    placed: set[tuple[str, int]] = set()
    for batch in plan["batches"]:
        out.append(f"## Batch {batch['number']} ({batch['priority']}, {plural(batch['uses'], 'use')})\n")
        for change in batch["changes"]:
            out.append(f"- `{change['file']}:{change['line']}` ({plural(change['uses'], 'use')})\n"
                       f"  ```diff\n  - {change['before'].strip()}\n  + {change['after'].strip()}\n  ```")
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
        out.append("## Not placed (the source is missing or changed since the trace)\n")
        out += [f"- `{c['file']}:{c['line']}` {c['legacy']}: {c['status']} ({plural(c['uses'], 'use')})"
                for c in plan["unresolved"]]
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
            for change in batch["changes"]:
                if change["file"] == file and lines[change["line"] - 1] == change["before"]:
                    lines[change["line"] - 1] = change["after"]
                    count += 1
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    return count

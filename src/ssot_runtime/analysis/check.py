"""``ssot-runtime check``: a ratchet for CI on top of the report.

A baseline lists, per legacy path, the sites allowed to use it, keyed by file, function and
symbol (lines move with every edit above them; functions rarely do). A check fails on a legacy
path the baseline does not know, a site it does not know, or more uses than ``--max-uses``.
Sites the baseline knows that were not seen are listed, so that the baseline can be tightened.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ..errors import SsotRuntimeError, write_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASELINE_SCHEMA = "ssot-runtime/baseline/v1"


class BaselineError(SsotRuntimeError):
    """A baseline file that cannot be read."""


def site_key(site: dict[str, Any]) -> str:
    return f"{site['file']}::{site['function']}::{site['symbol'] or ''}"


def baseline_from(report: dict[str, Any], root: str | None = None, audit: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    return {
        "schema": BASELINE_SCHEMA,
        **({"root": root} if root else {}),
        **({"audit": audit} if audit is not None else {}),  # check --audit: see analysis/audit.py
        "legacy_paths": {
            path["legacy"]: {"uses": path["uses"], "sites": sorted({site_key(s) for s in path["sites"]})}
            for path in report["legacy_paths"]
        },
    }


def write_baseline(report: dict[str, Any], path: str, root: str | None = None,
                   audit: dict[str, Any] | None = None) -> int:
    """Write the baseline; return how many site keys it stores (two sites of a function share one)."""
    data = baseline_from(report, root, audit)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise write_error(path, "baseline", exc) from None
    return sum(len(entry["sites"]) for entry in data["legacy_paths"].values())


def read_baseline(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise BaselineError(f"{path}: not a baseline (schema is not {BASELINE_SCHEMA!r})")
    return data


def normalise(baseline: dict[str, Any], mapper: Any) -> dict[str, Any]:
    """The baseline with absolute paths under the root made relative, as the report's are."""
    paths: dict[str, Any] = {}
    for legacy, entry in (baseline.get("legacy_paths") or {}).items():
        entry = dict(entry)
        sites = []
        for key in entry.get("sites", ()):
            parts = str(key).rsplit("::", 2)
            sites.append("::".join([mapper(parts[0]), *parts[1:]]) if len(parts) == 3 else key)
        entry["sites"] = sites
        paths[legacy] = entry
    return {**baseline, "legacy_paths": paths}


@dataclass
class CheckResult:
    offending: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    new_sites: int = 0
    new_uses: int = 0
    over_limit: int = 0  # legacy paths with more than --max-uses

    @property
    def ok(self) -> bool:
        return not self.offending

    def describe(self) -> str:
        """``2 sites (12 uses)``, and the legacy paths over ``--max-uses``."""
        from ..traces.coverage import plural

        parts = [f"{plural(self.new_sites, 'site')} ({plural(self.new_uses, 'use')})"] if self.new_sites else []
        if self.over_limit:
            parts.append(f"{plural(self.over_limit, 'legacy path')} over --max-uses")
        return " and ".join(parts)


def check(report: dict[str, Any], baseline: dict[str, Any] | None, max_uses: int | None) -> CheckResult:
    """Compare the report with what the baseline allows (nothing at all without one)."""
    from ..traces.coverage import plural

    result = CheckResult()
    allowed = (baseline or {}).get("legacy_paths", {})
    seen: set[tuple[str, str]] = set()
    for path in report["legacy_paths"]:
        legacy = path["legacy"]
        known = allowed.get(legacy)
        if max_uses is not None and path["uses"] > max_uses:
            result.over_limit += 1
            result.offending.append(f"{legacy}: {plural(path['uses'], 'use')}, more than --max-uses {max_uses}")
        for site in path["sites"]:
            key = site_key(site)
            seen.add((legacy, key))
            if known is None or key not in known.get("sites", ()):
                why = "new legacy path" if known is None else "new site"
                result.new_sites += 1
                result.new_uses += site["uses"]
                symbol = f" ({site['symbol']})" if site["symbol"] else ""
                use = path["canonical"]
                moved = site.get("canonical", use) != use or site.get("canonical_symbol") != site["symbol"]
                if site["symbol"] and site.get("canonical_symbol") and moved:  # a moved name: where it lives now
                    use = f"{site.get('canonical') or use}.{site['canonical_symbol']}"
                result.offending.append(f"{site['file']}:{site['line']}: {why}: {legacy}{symbol} in "
                                        f"{site['function']}, {plural(site['uses'], 'use')}; use {use}")
    for legacy, entry in sorted(allowed.items()):
        for key in entry.get("sites", ()):
            if (legacy, key) not in seen:
                file, function, symbol = key.split("::")
                result.gone.append(f"{file}: {legacy}{f' ({symbol})' if symbol else ''} in {function}")
    return result

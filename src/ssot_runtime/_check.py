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

from ._errors import SsotRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASELINE_SCHEMA = "ssot-runtime/baseline/v1"


class BaselineError(SsotRuntimeError):
    """A baseline file that cannot be read."""


def site_key(site: dict[str, Any]) -> str:
    return f"{site['file']}::{site['function']}::{site['symbol'] or ''}"


def baseline_from(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": BASELINE_SCHEMA,
        "legacy_paths": {
            path["legacy"]: {"uses": path["uses"], "sites": sorted({site_key(s) for s in path["sites"]})}
            for path in report["legacy_paths"]
        },
    }


def write_baseline(report: dict[str, Any], path: str) -> None:
    text = json.dumps(baseline_from(report), indent=2, sort_keys=True) + "\n"
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


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


@dataclass
class CheckResult:
    offending: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.offending


def check(report: dict[str, Any], baseline: dict[str, Any] | None, max_uses: int | None) -> CheckResult:
    """Compare the report with what the baseline allows (nothing at all without one)."""
    result = CheckResult()
    allowed = (baseline or {}).get("legacy_paths", {})
    seen: set[tuple[str, str]] = set()
    for path in report["legacy_paths"]:
        legacy = path["legacy"]
        known = allowed.get(legacy)
        if max_uses is not None and path["uses"] > max_uses:
            result.offending.append(f"{legacy}: {path['uses']} uses, more than --max-uses {max_uses}")
        for site in path["sites"]:
            key = site_key(site)
            seen.add((legacy, key))
            if known is None or key not in known.get("sites", ()):
                why = "new legacy path" if known is None else "new site"
                symbol = f" ({site['symbol']})" if site["symbol"] else ""
                use = path["canonical"]
                moved = site.get("canonical", use) != use or site.get("canonical_symbol") != site["symbol"]
                if site["symbol"] and site.get("canonical_symbol") and moved:  # a moved name: where it lives now
                    use = f"{site.get('canonical') or use}.{site['canonical_symbol']}"
                result.offending.append(f"{site['file']}:{site['line']}: {why}: {legacy}{symbol} in "
                                        f"{site['function']}, {site['uses']} uses; use {use}")
    for legacy, entry in sorted(allowed.items()):
        for key in entry.get("sites", ()):
            if (legacy, key) not in seen:
                file, function, symbol = key.split("::")
                result.gone.append(f"{file}: {legacy}{f' ({symbol})' if symbol else ''} in {function}")
    return result

"""Per-site counts of a pytest session, split by phase: the keys and the arithmetic."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..hook.recorder import UseRecord

    SiteKey = tuple[str, str | None, str, int, str]

PHASES_SCHEMA = "ssot-runtime/pytest-phases/v1"
PHASES = ("collection", "tests")
TOP_SITES = 5


def site_key(record: UseRecord) -> SiteKey:
    return (record.legacy, record.symbol, record.file, record.line, record.function)


def site_counts(records: tuple[UseRecord, ...]) -> dict[SiteKey, int]:
    return {site_key(r): r.count for r in records}


def minus(later: dict[SiteKey, int], earlier: dict[SiteKey, int]) -> dict[SiteKey, int]:
    out = {}
    for key, count in later.items():
        grown = count - earlier.get(key, 0)
        if grown > 0:
            out[key] = grown
    return out


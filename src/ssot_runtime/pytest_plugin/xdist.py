"""pytest-xdist: each worker's uses travel to the controller in its ``workeroutput``.

A worker puts its phases and records there at the end of its session; the controller receives
them in ``pytest_testnodedown`` and merges them into its own before its summary, so the summary
and ``pytest-phases.json`` count every process of the session.
"""

from __future__ import annotations

import os

from .phases import PHASES, site_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from ..hook.recorder import UseRecord
    from .phases import SiteKey

    class Counted(Protocol):
        """A session's counts (``session.SessionUses``): per phase, per site, and who counted."""

        phases: dict[str, dict[SiteKey, int]]
        records: dict[SiteKey, UseRecord]
        processes: dict[SiteKey, set[str]]


def payload(uses: Counted) -> dict[str, Any]:
    """What a worker sends: plain lists, as execnet carries them."""
    return {"pid": os.getpid(),
            "phases": {phase: [[*key, count] for key, count in uses.phases[phase].items()] for phase in PHASES},
            "records": [list(record._values()) for record in uses.records.values()]}


def merge(uses: Counted, sent: dict[str, Any]) -> None:
    """Add one worker's phases and records to the controller's."""
    from ..hook.recorder import UseRecord

    for phase in PHASES:
        mine = uses.phases[phase]
        for *key_parts, count in sent["phases"][phase]:
            key: SiteKey = tuple(key_parts)
            mine[key] = mine.get(key, 0) + int(count)
    for values in sent["records"]:
        r = UseRecord(*values)
        site = site_key(r)
        known = uses.records.get(site)
        if known is not None:
            r = UseRecord(r.legacy, r.symbol, r.file, r.line, r.function, r.canonical, r.canonical_symbol, r.mode,
                          known.count + r.count, min(known.first_seen, r.first_seen), max(known.last_seen, r.last_seen))
        uses.records[site] = r
        uses.processes.setdefault(site, set()).add(str(sent["pid"]))

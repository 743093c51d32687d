"""What the data covers: the processes that ran under the hook, and when.

Every process under the hook exports the gauge ``ssot.process.uses`` (its uses so far, 0 for
none, with the time the hook started in it), also when it saw no legacy use: an empty folder or
a broken pipeline is then told apart from a clean run. Readers count those processes and the
span of time they cover; data from producers without the gauge still counts the processes its
use points name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    class Window(Protocol):
        """The reader's time filters (``read.Filters``)."""

        @property
        def since_ns(self) -> int | None: ...
        @property
        def until_ns(self) -> int | None: ...

    class SiteSeen(Protocol):
        uses: int
        processes: set[str]
        first_seen: int
        last_seen: int

    class Seen(Protocol):
        """What the reader aggregated (``read.Aggregate``): the processes and the sites."""

        @property
        def processes(self) -> Mapping[str, Process]: ...
        @property
        def sites(self) -> Mapping[Any, SiteSeen]: ...

PROCESS = "ssot.process.uses"
PROCESS_START = "ssot.process.start_unix_nano"


@dataclass
class Process:
    """The evidence one process under the hook left: when it ran, what it counted in all."""

    service: str
    start: int = 0  # unix ns: when the hook started in it
    end: int = 0  # the last export's time (at exit: the end of the process)
    uses: int = 0


def merge_process(processes: dict[str, Process], data: dict[str, Any], service: str, process: str,
                  filters: Window) -> None:
    """Fold one ``ssot.process.uses`` gauge into ``processes`` (keyed by process)."""
    for point in data.get("dataPoints", ()):
        attrs = {a["key"]: v for a in point.get("attributes") or () for v in a["value"].values()}
        end = int(point.get("timeUnixNano", 0))
        start = int(attrs.get(PROCESS_START, 0)) or end
        if (filters.since_ns is not None and end < filters.since_ns) or \
                (filters.until_ns is not None and start > filters.until_ns):
            continue
        entry = processes.get(process)
        if entry is None:
            entry = processes[process] = Process(service, start, end)
        entry.start = min(entry.start, start)
        if end >= entry.end:
            entry.end = end
            entry.uses = int(point.get("asInt") or point.get("asDouble") or 0)


def coverage(agg: Seen) -> dict[str, Any]:
    """The report's ``coverage``: how many processes the data shows, and their time span."""
    names = set(agg.processes)
    starts = [p.start for p in agg.processes.values() if p.start]
    ends = [p.end for p in agg.processes.values() if p.end]
    for site in agg.sites.values():
        if site.uses:
            names |= site.processes
            starts += [site.first_seen] if site.first_seen else []
            ends += [site.last_seen] if site.last_seen else []
    return {"processes": len(names), "processes_with_evidence": len(agg.processes),
            "start": iso(min(starts)) if starts else None, "end": iso(max(ends)) if ends else None}


def iso(time_ns: int) -> str | None:
    """Unix ns as ``2026-11-30T09:00:00.000Z`` (None for 0)."""
    if not time_ns:
        return None
    moment = dt.datetime.fromtimestamp(time_ns / 1e9, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 use``, ``2 uses``; ``1 process``, ``2 processes``."""
    if count == 1:
        return f"1 {word}"
    return f"{count} {many or (word + 'es' if word.endswith(('s', 'ch', 'sh', 'x')) else word + 's')}"


def _moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")


def span_text(cov: dict[str, Any]) -> str:
    """``2026-11-30 09:00 - 17:00 UTC`` (the end's date only when it is another day)."""
    if not cov.get("start"):
        return "no time span"
    if not cov.get("end"):  # a store: the processes' starts are known, not when their data ends
        return f"from {_moment(cov['start']).strftime('%Y-%m-%d %H:%M')} UTC"
    start, end = _moment(cov["start"]), _moment(cov["end"])
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start.strftime('%Y-%m-%d %H:%M')} - {tail} UTC"


def summary(report: dict[str, Any]) -> str:
    """``0 legacy uses in 12 processes, 2026-11-30 09:00 - 17:00 UTC``."""
    cov = report["coverage"]
    uses = plural(report["totals"]["uses"], "legacy use")
    if not cov["processes"] and cov.get("filters"):
        return f"{uses}: the filters {cov['filters']} left no process evidence"
    if not cov["processes"]:
        return f"{uses}: no process evidence in the data"
    return f"{uses} in {plural(cov['processes'], 'process')}, {span_text(cov)}"

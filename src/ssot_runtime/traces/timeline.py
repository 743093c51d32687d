"""Uses over time: the ``ssot.legacy.uses`` points put into hour, day or week buckets.

The reader hands every use point it keeps (after the service, legacy and time filters) to a
:class:`Timeline` (``read(..., timeline=...)``). A point's uses happened within its own window:
``(startTimeUnixNano, timeUnixNano]`` for a delta point; for a cumulative series, the time since
the series' previous point (its growth since then). The timeline stores the uses per legacy path
and per pair of hours (the hour the window starts in, the hour it ends in), so that one read
serves every bucket width: a day and an ISO week (Monday 00:00 UTC) are unions of whole hours.

A window inside one bucket is exact. A window that crosses a bucket boundary (an export
interval over midnight, a process whose only export is at exit) cannot be split exactly: its uses
are counted in the bucket its window ends in, and ``spanning`` says how many uses were counted
so. Buckets are UTC; the series runs from the first bucket with a use or a process to the last,
every bucket in between present (a path at zero shows zeros).
"""

from __future__ import annotations

import datetime as dt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .read import Aggregate

SCHEMA = "ssot-runtime/series/v1"
BY = ("hour", "day", "week")
HOUR_NS = 3600 * 10**9
_HOURS = {"hour": 1, "day": 24, "week": 24 * 7}
# 1970-01-01 was a Thursday: ISO weeks start 3 days earlier than the epoch's week (72 hours).
_WEEK_OFFSET_HOURS = 72


class Timeline:
    """Collects use points by window; :meth:`series` turns them into buckets of one width."""

    def __init__(self) -> None:
        # (legacy, start hour, end hour) -> uses, for delta points and settled cumulative ones
        self.hours: dict[tuple[str, int, int], int] = {}
        # cumulative series (site key, process, start) -> [(time, value)], settled at the end
        self._cumulative: dict[tuple[Any, ...], list[tuple[int, int]]] = {}

    def add(self, legacy: str, key: tuple[Any, ...], process: str, point: dict[str, Any], time_ns: int,
            value: int, delta: bool) -> None:
        """One use point, as the reader saw it (called once per point it keeps)."""
        raw = point.get("startTimeUnixNano")
        start = int(raw) if raw else 0
        if delta:
            if value:
                end_hour = time_ns // HOUR_NS
                hours = (legacy, start // HOUR_NS if start else end_hour, end_hour)
                self.hours[hours] = self.hours.get(hours, 0) + value
        else:
            self._cumulative.setdefault((key, process, start), []).append((time_ns, value))

    def add_window(self, legacy: str, start_ns: int, end_ns: int, uses: int) -> None:
        """Uses that happened within ``(start_ns, end_ns]`` (a store's series, growth by growth)."""
        if uses:
            hours = (legacy, start_ns // HOUR_NS, end_ns // HOUR_NS)
            self.hours[hours] = self.hours.get(hours, 0) + uses

    def settle(self) -> None:
        """Turn the cumulative series into windows: each point's growth since the previous one."""
        hours = self.hours
        for (key, _process, start), points in self._cumulative.items():
            points.sort()
            previous_time, previous_value = start, 0
            for time_ns, value in points:
                grown = value - previous_value if value >= previous_value else value  # a reset
                if grown:
                    end_hour = time_ns // HOUR_NS
                    window = (key[0], previous_time // HOUR_NS if previous_time else end_hour, end_hour)
                    hours[window] = hours.get(window, 0) + grown
                previous_time, previous_value = time_ns, value
        self._cumulative.clear()

    def series(self, agg: Aggregate, by: str, *, since_ns: int | None = None, until_ns: int | None = None,
               canonical: dict[str, str] | None = None) -> dict[str, Any]:
        """The ``ssot-runtime/series/v1`` document for buckets of one width (``hour``, ``day``, ``week``)."""
        if by not in BY:
            raise ValueError(f"--by must be one of {', '.join(BY)}, not {by!r}")
        self.settle()
        width = _HOURS[by]
        offset = _WEEK_OFFSET_HOURS if by == "week" else 0

        def bucket(hour: int) -> int:
            return (hour + offset) // width

        per_path: dict[str, dict[int, int]] = {}
        spanning: dict[str, int] = {}
        for (legacy, start_hour, end_hour), uses in self.hours.items():
            index = bucket(end_hour)
            counts = per_path.setdefault(legacy, {})
            counts[index] = counts.get(index, 0) + uses
            if bucket(start_hour) != index:
                spanning[legacy] = spanning.get(legacy, 0) + uses
        runs = [(p.start, p.end) for p in agg.processes.values() if p.start and p.end]
        indexes = [i for counts in per_path.values() for i in counts]
        indexes += [bucket(t // HOUR_NS) for run in runs for t in run]
        if since_ns is not None:
            indexes.append(bucket(since_ns // HOUR_NS))
        if until_ns is not None:
            indexes.append(bucket(until_ns // HOUR_NS))
        if not indexes:
            first = last = 0
            buckets: list[int] = []
        else:
            first = bucket(since_ns // HOUR_NS) if since_ns is not None else min(indexes)
            last = bucket(until_ns // HOUR_NS) if until_ns is not None else max(indexes)
            buckets = list(range(first, last + 1))
        processes = [0] * len(buckets)
        for start, end in runs:
            low, high = max(bucket(start // HOUR_NS), first), min(bucket(end // HOUR_NS), last)
            for index in range(low, high + 1):
                processes[index - first] += 1
        canonical = canonical or {}
        paths: list[dict[str, Any]] = []
        for legacy, counts in per_path.items():
            values = [counts.get(i, 0) for i in buckets]
            used = [i for i in buckets if counts.get(i)]
            paths.append({"legacy": legacy, "canonical": canonical.get(legacy), "total": sum(values), "uses": values,
                          "last_use": _label(used[-1], width, offset) if used else None,
                          "spanning": spanning.get(legacy, 0)})
        paths.sort(key=lambda p: (-p["total"], p["legacy"]))
        total = [sum(p["uses"][n] for p in paths) for n in range(len(buckets))]
        return {
            "schema": SCHEMA,
            "by": by,
            "buckets": [_label(i, width, offset) for i in buckets],
            "total": {"uses": total, "processes": processes},
            "spanning": sum(spanning.values()),
            "legacy_paths": paths,
        }


def _label(index: int, width: int, offset: int) -> str:
    """A bucket's start, ISO 8601 in UTC."""
    moment = dt.datetime.fromtimestamp((index * width - offset) * 3600, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

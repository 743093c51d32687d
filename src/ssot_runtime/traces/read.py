"""Reading telemetry back: OTLP/JSON lines, ours and the OpenTelemetry Collector file exporter's.

Line by line (each line is one export batch), so memory stays bounded by what is aggregated, not
by the input. Delta points are summed; cumulative points keep the latest value of each series
(a series: one process's attribute set since one start time). Both the stable ``code.*``
attribute names and the older ``code.filepath``/``code.lineno``/``code.function`` are read.
"""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
import sys
import zlib
from dataclasses import dataclass, field

from ..errors import SsotRuntimeError
from ..hook.duplicates import CLASSES, LOADED_TWICE, MODULES
from ..hook.fingerprint import ATTRIBUTE as FINGERPRINT
from .coverage import PROCESS, Process, merge_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, TextIO

USES = "ssot.legacy.uses"
DURATION = "ssot.legacy.import.duration"
DELTA, CUMULATIVE = 1, 2
_FILE_KEYS = ("code.file.path", "code.filepath")
_LINE_KEYS = ("code.line.number", "code.lineno")
_FUNCTION_KEYS = ("code.function.name", "code.function")
SHAPE = ('JSON, but not the OTLP metrics structure: expected {"resourceMetrics": [{"resource": {"attributes": '
         '[...]}, "scopeMetrics": [{"metrics": [{"name": ..., "sum": {"dataPoints": [...]}}]}]}]}')


class TraceReadError(SsotRuntimeError):
    """An input line that does not parse, with ``--strict``; or a source that cannot be read."""


@dataclass
class Site:
    legacy: str
    symbol: str | None
    file: str
    line: int
    function: str
    canonical: str
    canonical_symbol: str | None
    uses: int = 0
    first_seen: int = 0  # unix ns
    last_seen: int = 0
    services: set[str] = field(default_factory=set)
    processes: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)  # of its source line (absent in older traces)


@dataclass
class Timing:
    count: int = 0
    total: float = 0.0
    max: float = 0.0


@dataclass
class Aggregate:
    """Everything read from the sources: sites and import timings, merged across processes."""

    sites: dict[tuple[str, str | None, str, int, str], Site] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    # files loaded under two module names (the hook's exit note): file -> modules, classes, processes
    loaded_twice: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    files: int = 0
    lines: int = 0
    skipped: list[tuple[str, int, str]] = field(default_factory=list)
    timeline: Any = None  # a traces.timeline.Timeline: given every use point kept (report --by, html)
    # cumulative series: key -> (time, start, value)
    _cumulative: dict[tuple[Any, ...], tuple[int, int, int]] = field(default_factory=dict)
    _cumulative_hist: dict[tuple[Any, ...], tuple[int, int, int, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    services: frozenset[str] = frozenset()
    legacy: tuple[str, ...] = ()  # glob patterns
    since_ns: int | None = None
    until_ns: int | None = None

    def legacy_ok(self, name: str) -> bool:
        if not self.legacy:
            return True
        import fnmatch

        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.legacy)

    def time_ok(self, time_ns: int) -> bool:
        after = self.since_ns is None or time_ns >= self.since_ns
        return after and (self.until_ns is None or time_ns <= self.until_ns)


def expand(sources: Iterable[str]) -> Iterator[str]:
    """Files from files, folders (recursively: *.jsonl, *.json, *.gz), globs and ``-``."""
    for source in sources:
        if source == "-":
            yield source
        elif os.path.isdir(source):
            for root, _dirs, names in sorted(os.walk(source)):
                for name in sorted(names):
                    if name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz", ".gz")):
                        yield os.path.join(root, name)
        elif os.path.exists(source):
            yield source
        else:
            matches = sorted(glob.glob(source, recursive=True))
            if not matches:
                raise TraceReadError(f"{source}: no such file, folder or matching glob")
            yield from (m for m in matches if os.path.isfile(m))


def _open(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _attrs(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        value = item.get("value") or {}
        if value:
            kind, raw = next(iter(value.items()))
            out[item["key"]] = int(raw) if kind == "intValue" else raw
    return out


def _first(attrs: dict[str, Any], keys: tuple[str, ...], default: Any) -> Any:
    for key in keys:
        if key in attrs:
            return attrs[key]
    return default


def read(sources: Iterable[str], filters: Filters = Filters(), *, strict: bool = False,
         progress: Any = None, timeline: Any = None) -> Aggregate:
    """Read and merge every source."""
    agg = Aggregate(timeline=timeline)
    for path in expand(sources):
        agg.files += 1
        try:
            stream = _open(path)
        except OSError as exc:
            raise TraceReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
        with stream if path != "-" else _nullcontext(stream):
            for number, text in _lines(stream, path):
                if len(text) < 3 and not text.strip():
                    continue
                agg.lines += 1
                try:
                    batch = json.loads(text)
                    if not isinstance(batch, dict):
                        raise ValueError("not a JSON object")
                    _merge(agg, batch, filters)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    why = str(exc) if isinstance(exc, ValueError) else SHAPE  # JSON, but not OTLP's structure
                    if strict:
                        raise TraceReadError(f"{path}:{number}: not an OTLP/JSON line: {why}") from None
                    agg.skipped.append((path, number, why[:200]))
                if progress is not None:
                    progress(len(text))
    _settle_cumulative(agg)
    return agg


def _lines(stream: TextIO, path: str) -> Iterator[tuple[int, str]]:
    try:
        yield from enumerate(stream, 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        kind = "not a gzip file, or a damaged one" if path.endswith(".gz") else "cannot read"
        raise TraceReadError(f"{path}: {kind}: {exc}") from None


class _nullcontext:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def _merge(agg: Aggregate, batch: dict[str, Any], filters: Filters) -> None:
    for rm in batch.get("resourceMetrics", ()):
        resource = _attrs((rm.get("resource") or {}).get("attributes"))
        service = str(resource.get("service.name", "unknown_service"))
        if filters.services and service not in filters.services:
            continue
        process = str(resource.get("service.instance.id")
                      or f"{resource.get('host.name')}:{resource.get('process.pid')}")
        for sm in rm.get("scopeMetrics", ()):
            for metric in sm.get("metrics", ()):
                name = metric.get("name")
                if name == USES and "sum" in metric:
                    _merge_uses(agg, metric["sum"], service, process, filters)
                elif name == DURATION and "histogram" in metric:
                    _merge_durations(agg, metric["histogram"], process, filters)
                elif name == PROCESS and "gauge" in metric:
                    merge_process(agg.processes, metric["gauge"], service, process, filters)
                elif name == LOADED_TWICE and "gauge" in metric:
                    _merge_twice(agg, metric["gauge"], process)


def _merge_uses(agg: Aggregate, data: dict[str, Any], service: str, process: str, filters: Filters) -> None:
    # The hot loop of a report: one pass per data point, no helper calls for the common case.
    temporality = int(data.get("aggregationTemporality", CUMULATIVE))
    sites = agg.sites
    check_legacy = bool(filters.legacy)
    check_time = filters.since_ns is not None or filters.until_ns is not None
    timeline = agg.timeline
    for point in data.get("dataPoints", ()):
        attrs = {a["key"]: v for a in point.get("attributes") or () for v in a["value"].values()}
        legacy = attrs["ssot.legacy.module"]
        time_ns = int(point.get("timeUnixNano", 0))
        if (check_legacy and not filters.legacy_ok(legacy)) or (check_time and not filters.time_ok(time_ns)):
            continue
        raw = point.get("asInt")
        value = int(raw) if raw is not None else int(point.get("asDouble", 0))
        key = (legacy, attrs.get("ssot.legacy.symbol"),
               str(attrs.get("code.file.path") or attrs.get("code.filepath") or "<unknown>"),
               int(attrs.get("code.line.number") or attrs.get("code.lineno") or 0),
               str(attrs.get("code.function.name") or attrs.get("code.function") or "<unknown>"))
        site = sites.get(key)
        if site is None:
            site = sites[key] = Site(*key, canonical=str(attrs.get("ssot.canonical.module", "")),
                                     canonical_symbol=attrs.get("ssot.canonical.symbol"))
        site.services.add(service)
        site.processes.add(process)
        mark = attrs.get(FINGERPRINT)
        if mark:
            site.fingerprints.add(str(mark))
        if timeline is not None:
            timeline.add(legacy, key, process, point, time_ns, value, temporality == DELTA)
        if temporality == DELTA:
            site.uses += value
            if value:
                if not site.first_seen or time_ns < site.first_seen:
                    site.first_seen = time_ns
                if time_ns > site.last_seen:
                    site.last_seen = time_ns
        else:
            start = int(point.get("startTimeUnixNano", 0))
            series = (key, process, start)
            previous = agg._cumulative.get(series)
            if previous is None or time_ns >= previous[0]:
                agg._cumulative[series] = (time_ns, start, value)
            if previous is None or value > previous[2]:
                _seen(site, time_ns)


def _merge_twice(agg: Aggregate, data: dict[str, Any], process: str) -> None:
    for point in data.get("dataPoints", ()):
        attrs = {a["key"]: a["value"] for a in point.get("attributes") or ()}
        file = str(next(iter(attrs.get("code.file.path", {}).values()), ""))
        entry = agg.loaded_twice.setdefault(file, {"modules": set(), "classes": set(), "processes": set()})
        for key, into in ((MODULES, "modules"), (CLASSES, "classes")):
            values = (attrs.get(key) or {}).get("arrayValue", {}).get("values", ())
            entry[into].update(str(next(iter(v.values()))) for v in values if v)
        entry["processes"].add(process)


def _seen(site: Site, time_ns: int) -> None:
    site.first_seen = min(site.first_seen, time_ns) if site.first_seen else time_ns
    site.last_seen = max(site.last_seen, time_ns)


def _merge_durations(agg: Aggregate, data: dict[str, Any], process: str, filters: Filters) -> None:
    temporality = int(data.get("aggregationTemporality", CUMULATIVE))
    for point in data.get("dataPoints", ()):
        attrs = _attrs(point.get("attributes"))
        legacy = attrs.get("ssot.legacy.module", "")
        if not filters.legacy_ok(legacy) or not filters.time_ok(int(point.get("timeUnixNano", 0))):
            continue
        count, total = int(point.get("count", 0)), float(point.get("sum", 0.0))
        high = float(point.get("max", 0.0))
        if temporality == DELTA:
            timing = agg.timings.setdefault(legacy, Timing())
            timing.count += count
            timing.total += total
            timing.max = max(timing.max, high)
        else:
            series = (legacy, process, int(point.get("startTimeUnixNano", 0)))
            time_ns = int(point.get("timeUnixNano", 0))
            previous = agg._cumulative_hist.get(series)
            if previous is None or time_ns >= previous[0]:
                agg._cumulative_hist[series] = (time_ns, 0, count, total, high)


def _settle_cumulative(agg: Aggregate) -> None:
    for (key, _process, _start), (_time, _s, value) in agg._cumulative.items():
        agg.sites[key].uses += value
    for (legacy, _process, _start), (_time, _s, count, total, high) in agg._cumulative_hist.items():
        timing = agg.timings.setdefault(legacy, Timing())
        timing.count += count
        timing.total += total
        timing.max = max(timing.max, high)
    agg._cumulative.clear()
    agg._cumulative_hist.clear()

"""Reading OTLP/JSON metric lines fast: msgspec structs for the hot part, and files in parallel.

A line is decoded by msgspec into structs that hold only what a report reads; everything else
(spans, other producers' metrics, the attributes of a point) is skipped or kept as raw bytes.
A point's attributes are read once per distinct text: the sites of a fleet repeat, so most
points cost one dictionary look-up of their raw attributes.

Exact by construction: the shapes are typed (objects, arrays) and the leaves are taken as
``json.loads`` gives them, then converted by the same expressions as ``read._merge``. A line is
first decoded and checked whole, and only then merged; whatever the fast path does not take as
it is (a shape it does not expect, cumulative uses, a value that does not convert) sends the
whole line, untouched, through ``json.loads`` and ``read._merge``, which merges it, or fails,
exactly as before.

:func:`read` is ``read.read`` with this path (the CLI's readers call it); ``read.read`` itself
is kept as it was, the reference the tests compare with. Many files are read by a process
pool (:func:`read_parallel`), contiguous chunks of files merged
in order: sites, processes and skipped lines come out in the order a sequential read gives.
Only the uses are merged by the workers (their merge does not depend on the order of points);
every other metric (the first-import histograms with their float sums, the process gauges, the
files loaded twice, and any metric ``read._merge`` learns to read) goes to ``read._merge`` as
a batch of its own, replayed by the parent in order. A chunk whose uses depend on the order of
points across chunks (cumulative uses, a use without a time, a line given to ``read._merge``)
is read again by the parent, in its place.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any  # msgspec reads the structs' annotations at run time

import msgspec

from ..hook.fingerprint import ATTRIBUTE as FINGERPRINT
from . import read as _read

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    SiteKey = tuple[Any, Any, str, int, str]
    # key, canonical, canonical symbol, fingerprint (or None), legacy
    SiteEntry = tuple[SiteKey, str, Any, str | None, Any]

USES, DELTA = _read.USES, _read.DELTA
UNSET: Any = msgspec.UNSET
_FILTERS = _read.Filters()
_CACHE_SIZE = 200_000  # distinct attribute texts kept: memory stays bounded whatever the input


class _Point(msgspec.Struct, gc=False):
    attributes: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    startTimeUnixNano: Any = None  # as ``point.get`` gives it to a timeline
    timeUnixNano: Any = 0
    asInt: Any = None
    asDouble: Any = 0


class _Sum(msgspec.Struct, gc=False):
    dataPoints: list[_Point] = []
    aggregationTemporality: Any = _read.CUMULATIVE


class _Metric(msgspec.Struct, gc=False):
    name: Any = None
    # Every sum decoded as ours would be: one of another shape sends its line to read._merge.
    sum: _Sum | msgspec.UnsetType = msgspec.UNSET


class _ScopeMetrics(msgspec.Struct, gc=False):
    metrics: list[msgspec.Raw] = []  # each decoded as a _Metric, or (not the uses) as read._merge reads it


class _ResourceMetrics(msgspec.Struct, gc=False):
    resource: Any = None
    scopeMetrics: list[_ScopeMetrics] = []


class _Batch(msgspec.Struct, gc=False):
    resourceMetrics: list[_ResourceMetrics] = []


_BATCH = msgspec.json.Decoder(_Batch)
_METRIC = msgspec.json.Decoder(_Metric)
_OTHER = "other"
_ANY = msgspec.json.Decoder()
_ERRORS = (msgspec.MsgspecError, ValueError, KeyError, TypeError, AttributeError)


class _Slow(Exception):
    """The fast path does not take this line: ``read._merge`` does."""


@dataclass
class Part(_read.Aggregate):
    """What a worker read from a chunk of files, to be merged in order by :func:`combine`."""

    order_dependent: bool = False  # read the chunk again in the parent
    others: list[dict[str, Any]] = field(default_factory=list)  # batches of other metrics: replayed in order
    chars: int = 0


_sites_cache: dict[bytes, SiteEntry] = {}


def _site(text: bytes) -> SiteEntry:
    """A point's site from the text of its attributes, as ``read._merge_uses`` reads them."""
    entry = _sites_cache.get(text)
    if entry is None:
        items = _ANY.decode(text) if text else None
        attrs = {a["key"]: v for a in items or () for v in a["value"].values()}
        legacy = attrs["ssot.legacy.module"]
        key = (legacy, attrs.get("ssot.legacy.symbol"),
               str(attrs.get("code.file.path") or attrs.get("code.filepath") or "<unknown>"),
               int(attrs.get("code.line.number") or attrs.get("code.lineno") or 0),
               str(attrs.get("code.function.name") or attrs.get("code.function") or "<unknown>"))
        hash(key)  # an unhashable value fails here, not in the merge
        mark = attrs.get(FINGERPRINT)
        entry = (key, str(attrs.get("ssot.canonical.module", "")), attrs.get("ssot.canonical.symbol"),
                 str(mark) if mark else None, legacy)
        if len(_sites_cache) >= _CACHE_SIZE:
            _sites_cache.clear()
        _sites_cache[text] = entry
    return entry


def read(sources: Iterable[str], filters: _read.Filters = _FILTERS, *, strict: bool = False,
         progress: Any = None, timeline: Any = None, **more: Any) -> _read.Aggregate:
    """``read.read``, faster: the same aggregate, the same errors; many files in parallel processes.

    Arguments this reader does not know go to ``read.read`` itself, which reads as before.
    """
    if any(value is not None for value in more.values()):
        return _read.read(sources, filters, strict=strict, progress=progress, timeline=timeline, **more)
    agg = _read.Aggregate(timeline=timeline)
    paths = list(_read.expand(sources))
    jobs = parallel(paths)
    if jobs > 1:
        read_parallel(agg, paths, filters, strict, progress, jobs)
    else:
        for path in paths:
            read_file(agg, path, filters, strict, progress)
    _read._settle_cumulative(agg)
    return agg


def read_file(agg: _read.Aggregate, path: str, filters: _read.Filters, strict: bool, progress: Any) -> None:
    """One source's lines into ``agg``: ``read.read``'s loop, each line through :func:`merge_line`."""
    agg.files += 1
    try:
        stream = _read._open(path)
    except OSError as exc:
        raise _read.TraceReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with stream if path != "-" else _read._nullcontext(stream):
        for number, text in _read._lines(stream, path):
            if len(text) < 3 and not text.strip():
                continue
            agg.lines += 1
            try:
                merge_line(agg, text, filters)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                why = str(exc) if isinstance(exc, ValueError) else _read.SHAPE  # as read.read says it
                if strict:
                    raise _read.TraceReadError(f"{path}:{number}: not an OTLP/JSON line: {why}") from None
                agg.skipped.append((path, number, why[:200]))
            if progress is not None:
                progress(len(text))


def merge_line(agg: _read.Aggregate, text: str, filters: _read.Filters) -> None:
    """Merge one line into ``agg``; raises what ``json.loads`` + ``read._merge`` raise for a bad one."""
    try:
        actions = _decode(text, filters, isinstance(agg, Part), agg.timeline is not None)
    except (_Slow, *_ERRORS):
        if isinstance(agg, Part):
            agg.order_dependent = True
        batch = json.loads(text)
        if not isinstance(batch, dict):
            raise ValueError("not a JSON object") from None
        _read._merge(agg, batch, filters)
        return
    _apply(agg, actions, filters)


def _decode(text: str, filters: _read.Filters, part: bool, with_starts: bool) -> list[tuple[Any, ...]]:
    """The line's merges, decoded and checked, in document order; nothing merged yet."""
    actions: list[tuple[Any, ...]] = []
    check_legacy = bool(filters.legacy)
    check_time = filters.since_ns is not None or filters.until_ns is not None
    filtered = check_legacy or check_time
    cache_get = _sites_cache.get
    for rm in _BATCH.decode(text).resourceMetrics:
        resource = _read._attrs((rm.resource or {}).get("attributes"))
        service = str(resource.get("service.name", "unknown_service"))
        if filters.services and service not in filters.services:
            continue
        process = str(resource.get("service.instance.id")
                      or f"{resource.get('host.name')}:{resource.get('process.pid')}")
        for sm in rm.scopeMetrics:
            for raw_metric in sm.metrics:
                metric = _METRIC.decode(raw_metric)
                name = metric.name
                data = metric.sum
                if name == USES and isinstance(data, _Sum):
                    if int(data.aggregationTemporality) != DELTA:
                        raise _Slow("cumulative")  # its series depend on the order of points
                    # Three lists, no tuple per point: nothing the cyclic GC tracks is made per
                    # point (tracked objects made by the million make it walk every site's sets).
                    entries: list[SiteEntry] = []
                    values: list[int] = []
                    times: list[int] = []
                    starts: list[Any] = []  # for a timeline only
                    add_entry, add_value, add_time = entries.append, values.append, times.append
                    for point in data.dataPoints:
                        raw = point.attributes
                        attrs = b"" if raw is UNSET else bytes(raw)  # type: ignore[arg-type]
                        entry = cache_get(attrs) or _site(attrs)
                        time_ns = int(point.timeUnixNano)
                        if filtered and ((check_legacy and not filters.legacy_ok(entry[4])) or
                                         (check_time and not filters.time_ok(time_ns))):
                            continue
                        as_int = point.asInt
                        value = int(as_int) if as_int is not None else int(point.asDouble)
                        if not time_ns and value and part:
                            raise _Slow("a use without a time")  # first_seen then depends on the order
                        add_entry(entry)
                        add_value(value)
                        add_time(time_ns)
                        if with_starts:
                            starts.append(point.startTimeUnixNano)
                    actions.append((USES, (entries, values, times, starts), service, process))
                else:  # any other metric: read._merge itself, on a batch of this metric alone
                    actions.append((_OTHER, {"resourceMetrics": [{"resource": rm.resource, "scopeMetrics": [
                        {"metrics": [_ANY.decode(raw_metric)]}]}]}))
    return actions


def _apply(agg: _read.Aggregate, actions: list[tuple[Any, ...]], filters: _read.Filters) -> None:
    sites = agg.sites
    Site = _read.Site
    timeline = agg.timeline
    for action in actions:
        kind = action[0]
        if kind == USES:
            _kind, (entries, values, times, starts), service, process = action
            if timeline is not None:  # each point, as read._merge_uses gives it (delta: its start)
                for (key, _c, _s, _m, legacy), value, time_ns, start in zip(entries, values, times, starts,
                                                                          strict=True):
                    timeline.add(legacy, key, process, {"startTimeUnixNano": start}, time_ns, value, True)
            for entry, value, time_ns in zip(entries, values, times, strict=True):
                key, canonical, canonical_symbol, mark, _legacy = entry
                site = sites.get(key)
                if site is None:
                    site = sites[key] = Site(key[0], key[1], key[2], key[3], key[4], canonical, canonical_symbol)
                site.services.add(service)
                site.processes.add(process)
                if mark:
                    site.fingerprints.add(mark)
                site.uses += value
                if value:
                    if not site.first_seen or time_ns < site.first_seen:
                        site.first_seen = time_ns
                    if time_ns > site.last_seen:
                        site.last_seen = time_ns
        elif isinstance(agg, Part):
            try:
                _read._merge(agg, action[1], filters)  # only to fail where it would
            except Exception:
                agg.order_dependent = True  # merged in part: the parent reads the chunk again
                raise
            agg.others.append(action[1])
        else:
            _read._merge(agg, action[1], filters)


# -- files in parallel ----------------------------------------------------------------------
PARALLEL_FILES = 500  # as `scan`: below it, a pool costs more than it gives
PARALLEL_BYTES = 256 << 20


def parallel(paths: list[str], jobs: int | None = None) -> int:
    """How many processes to read ``paths`` with (1: in this one)."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 2 or len(paths) < 2 or "-" in paths:
        return 1
    if len(paths) > PARALLEL_FILES:
        return jobs
    try:
        size = sum(os.path.getsize(p) for p in paths)
    except OSError:
        return 1
    return jobs if size > PARALLEL_BYTES else 1


def _read_chunk(paths: list[str], filters: _read.Filters, strict: bool, timeline: bool) -> Packed:
    from .timeline import Timeline

    part = Part(timeline=Timeline() if timeline else None)

    def count(chars: int) -> None:
        part.chars += chars

    for path in paths:
        read_file(part, path, filters, strict, count)
    return pack(part)


def read_parallel(agg: _read.Aggregate, paths: list[str], filters: _read.Filters, strict: bool,
                  progress: Callable[[int], object] | None, jobs: int) -> None:
    """Read ``paths`` into ``agg`` with ``jobs`` processes, as a sequential read would."""
    from concurrent.futures import ProcessPoolExecutor

    # Two chunks a process: each part costs the parent a merge of every site's sets (16 parts
    # cost 0.33 s for 1,000,000 points, 4 parts 0.15 s), and two still keep both busy.
    size = max(20, -(-len(paths) // (jobs * 2)))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(jobs) as pool:
        parts = pool.map(_read_chunk, chunks, [filters] * len(chunks), [strict] * len(chunks),
                         [agg.timeline is not None] * len(chunks))
        for chunk, part in zip(chunks, parts, strict=True):
            if part.order_dependent:
                for path in chunk:
                    read_file(agg, path, filters, strict, progress)
                continue
            combine(agg, part, filters)
            if progress is not None:
                progress(part.chars)


@dataclass
class Packed:
    """A :class:`Part` as it travels back from a worker: names once, sites as tuples.

    Pickling the sites' sets of names (a million entries for a million points) cost more than
    reading them; each name is sent once, and a site's names as an array of their numbers.
    """

    names: list[str]
    sites: list[tuple[Any, ...]]
    hours: dict[tuple[str, int, int], int] | None  # the timeline's, of delta points only
    others: list[dict[str, Any]]
    skipped: list[tuple[str, int, str]]
    files: int
    lines: int
    chars: int
    order_dependent: bool


def pack(part: Part) -> Packed:
    from array import array

    numbers: dict[str, int] = {}

    def numbered(names: set[str]) -> bytes:
        return array("I", [numbers.setdefault(name, len(numbers)) for name in names]).tobytes()

    sites = [(key, site.canonical, site.canonical_symbol, site.uses, site.first_seen, site.last_seen,
              numbered(site.services), numbered(site.processes), tuple(site.fingerprints))
             for key, site in part.sites.items()]
    hours = part.timeline.hours if part.timeline is not None else None
    return Packed(list(numbers), sites, hours, part.others, part.skipped, part.files, part.lines,
                  part.chars, part.order_dependent)


def combine(agg: _read.Aggregate, part: Packed, filters: _read.Filters) -> None:
    """Merge what a worker read into ``agg``, as if its lines had been read here, after the others."""
    from array import array

    agg.files += part.files
    agg.lines += part.lines
    agg.skipped += part.skipped
    sites = agg.sites
    names = part.names
    Site = _read.Site
    for key, canonical, canonical_symbol, uses, first_seen, last_seen, services, processes, prints in part.sites:
        mine = sites.get(key)
        if mine is None:
            mine = sites[key] = Site(key[0], key[1], key[2], key[3], key[4], canonical, canonical_symbol)
        mine.uses += uses
        if first_seen and (not mine.first_seen or first_seen < mine.first_seen):
            mine.first_seen = first_seen
        if last_seen > mine.last_seen:
            mine.last_seen = last_seen
        mine.services.update(map(names.__getitem__, array("I", services)))
        mine.processes.update(map(names.__getitem__, array("I", processes)))
        mine.fingerprints.update(prints)
    if part.hours is not None and agg.timeline is not None:
        into = agg.timeline.hours
        for window, uses in part.hours.items():
            into[window] = into.get(window, 0) + uses
    for batch in part.others:  # float sums among them: in the order a sequential read adds them
        _read._merge(agg, batch, filters)

"""A store's uses over time (``report --by``, ``--format html``): each series' samples, growth by growth.

The per-site sums come from :func:`.prometheus.read` (summed in the store). For the buckets,
each counter series is read as its raw samples (an instant query of a range selector): a
sample's growth since the series' previous sample happened in that window, exactly as a
cumulative series in the files (see :mod:`.timeline`). A series' first growth runs from the last
sample before ``--since`` or, without one, from the start of its process (the evidence gauge's
``ssot_process_start_unix_nano``), else it is the sample's own hour. Sampling the store at steps
(``query_range``) would be cheaper but not exact: a step sees the last sample before it, not
when the counter grew, and misses resets between steps.

The totals the samples give must equal the store's per-site sums, or the answer is refused.
The store's per-query sample limit (``--query.max-samples``, 50 million by default) bounds the
history one report can read; past it Prometheus answers with an error that the report names.
"""

from __future__ import annotations

from . import prometheus as store
from .coverage import Process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .read import Aggregate, Filters
    from .timeline import Timeline

_NS = 1_000_000  # ms -> ns


def read(source: str, filters: Filters, timeline: Timeline, *, token_env: str | None = None,
         environ: Mapping[str, str] | None = None, now_ms: int | None = None) -> Aggregate:
    """The store's aggregate (as :func:`.prometheus.read`), and its uses put into ``timeline``."""
    import os

    environ = os.environ if environ is None else environ
    agg = store.read(source, filters, token_env=token_env, environ=environ, now_ms=now_ms)
    client = store.Client(store.parse(source, token_env, environ))
    until_ms = filters.until_ns // _NS if filters.until_ns is not None else (now_ms or _now_ms())
    since_ms = filters.since_ns // _NS if filters.since_ns is not None else None
    window = store.Window(until_ms, since_ms)
    metric, gauge = store._names(client, window)
    starts = _process_runs(agg, client, gauge, window, filters, now_ms or _now_ms()) if gauge else {}
    if metric is None:
        return agg
    queries = store.Queries(metric, window, filters)
    totals: dict[str, int] = {}
    for selector in queries.selectors:
        # Every sample up to `until` (the whole history: the last one before `since` is the base).
        for row in client.query(f"{selector}[{max(until_ms, 1)}ms]", until_ms):
            labels = row.get("metric") or {}
            legacy = labels.get(store.LEGACY)
            if not legacy:
                continue
            samples = sorted((_ms(t), store._count(v, client, "a sample")) for t, v in row.get("values") or ())
            start_ns = starts.get(store._process(labels) or "", 0)
            seen: list[int] = []
            grown = _add_growth(timeline, legacy, samples, since_ms, start_ns, seen)
            totals[legacy] = totals.get(legacy, 0) + grown
            key = store._site_key(labels)
            site = agg.sites.get(key) if key is not None else None
            if site is not None and seen:  # the samples say when it grew: first and last seen, as in files
                site.first_seen = min(site.first_seen or seen[0], seen[0])
                site.last_seen = max(site.last_seen, seen[-1])
    expected: dict[str, int] = {}
    for site in agg.sites.values():
        expected[site.legacy] = expected.get(site.legacy, 0) + site.uses
    agree(expected, totals, client.store.shown)
    return agg


def agree(summed: dict[str, int], sampled: dict[str, int], shown: str) -> None:
    """Refuse the series when a path's samples do not add up to the store's sum for it."""
    for legacy in sorted(set(summed) | set(sampled)):
        if summed.get(legacy, 0) != sampled.get(legacy, 0):
            raise store.PrometheusError(
                f"{shown}: {legacy}: its samples add up to {sampled.get(legacy, 0)} uses and the store's sum to "
                f"{summed.get(legacy, 0)}: the series changed while being read? (run the report again)")


def _add_growth(timeline: Timeline, legacy: str, samples: list[tuple[int, int]], since_ms: int | None,
                start_ns: int, seen: list[int] | None = None) -> int:
    """One series' growth, sample by sample, into the timeline's windows; its uses in the window."""
    previous_ms, previous = None, 0
    if since_ms is not None:
        before = [(t, v) for t, v in samples if t < since_ms]
        if before:
            previous_ms, previous = before[-1]
        samples = [(t, v) for t, v in samples if t >= since_ms]
    total = 0
    for time_ms, value in samples:
        grown = value - previous if value >= previous else value  # a drop: counting again from zero
        if grown:
            if previous_ms is not None:
                began = previous_ms * _NS
            else:  # the series' first sample: since its process started, when that is known
                began = start_ns if 0 < start_ns <= time_ms * _NS else time_ms * _NS
            timeline.add_window(legacy, began, time_ms * _NS, grown)
            total += grown
            if seen is not None:
                seen.append(time_ms * _NS)
        previous_ms, previous = time_ms, value
    return total


def _process_runs(agg: Aggregate, client: store.Client, gauge: str, window: store.Window,
                  filters: Filters, now_ms: int) -> dict[str, int]:
    """Each process's run from its evidence gauge's samples (for the processes per bucket).

    As the file readers count them: every process whose run overlaps ``[since, until]``, also
    one whose last export came after ``until`` (so the samples are read up to now).
    """
    import dataclasses

    queries = store.Queries(gauge, window, dataclasses.replace(filters, legacy=()))
    starts: dict[str, int] = {}
    for selector in queries.selectors:
        for row in client.query(f"{selector}[{max(now_ms, 1)}ms]", now_ms):
            labels = row.get("metric") or {}
            process = store._process(labels)
            times = [_ms(t) * _NS for t, _v in row.get("values") or ()]
            if process is None or not times:
                continue
            raw = labels.get(store.PROCESS_START, "")
            start = int(raw) if raw.isdigit() else min(times)
            starts[process] = start
            if (window.since_ms is not None and max(times) < window.since_ms * _NS) or \
                    start > window.until_ms * _NS:
                continue
            entry = agg.processes.get(process)
            if entry is None:
                entry = agg.processes[process] = Process(store._service(labels), start)
            entry.start = min(entry.start or start, start)
            entry.end = max(entry.end, max(times))
    return starts


def _ms(value: Any) -> int:
    """A Prometheus sample time (unix seconds with three decimals, as float or string) in ms."""
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    seconds, _, fraction = text.partition(".")
    return int(seconds) * 1000 + int((fraction + "000")[:3]) * (-1 if seconds.startswith("-") else 1)


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)

"""Reading uses back from Prometheus, and from the stores that speak its HTTP API.

``prometheus+http://HOST:PORT[/prefix]`` (or ``prometheus+https://``) is a source for every
reader command: the store sums the counters in PromQL, over the ``--since``/``--until`` window,
and the answer becomes the same :class:`~ssot_runtime.traces.read.Aggregate` the file readers make.

Exact, never extrapolated. Each series (one site in one process, or one site across processes
when a Collector accumulates deltas) is a cumulative counter that starts at zero when it starts
counting, whatever its first sample says. The uses in the window ``[since, until]`` are

    last sample in the window - last sample before ``since`` (0 when there is none)

summed by site in the store. ``increase()`` is never used: it extrapolates to the window's edges
and misses what a counter held at its first sample. A counter that went down (a reset: the
Collector's ``deltatocumulative`` state lost) is found with ``resets()`` and ``min_over_time()``,
and only those series are read sample by sample and counted here, each drop starting again from
zero. Without ``--since`` the window reaches back to 1970: everything the store keeps.

Names are read in the forms they arrive in (``docs/telemetry.md`` has the mapping): the
Collector's ``prometheusremotewrite`` exporter (``ssot_legacy_uses_total``, ``job`` and
``instance`` from ``service.name`` and ``service.instance.id``) and OpenTelemetry's Python
remote-write exporter (``ssot_legacy_uses__use_``, every resource attribute a label), with the
stable and the older ``code.*`` attribute names. Two forms with data in one store (two pipelines
writing the same uses) are refused: which one to count is chosen with ``?metric=NAME``.

What the store cannot say exactly is left out, not guessed: when a site was first and last seen
(PromQL cannot tell when a counter grew, only what it held), and import timings (a Prometheus
histogram has no maximum). A site's services and processes are those of its legacy path (the
report shows them per path; the store counts them per path, not per site and process).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
from dataclasses import dataclass

from .coverage import Process
from .read import Aggregate, Filters, Site
from .store_client import DEFAULT_TIMEOUT, PREFIX, Client, PrometheusError, Store, _seconds, is_store, parse

__all__ = ["DEFAULT_TIMEOUT", "PREFIX", "Client", "PrometheusError", "Store", "is_store", "parse", "read"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any


# ssot.legacy.uses as it arrives: the Collector's prometheusremotewrite exporter (unit in braces
# dropped, _total added), OpenTelemetry's Python remote-write exporter (the unit appended:
# "{use}" -> "_use_"), and without suffixes (the Collector's add_metric_suffixes: false).
USES_NAMES = ("ssot_legacy_uses_total", "ssot_legacy_uses__use_", "ssot_legacy_uses")
# ssot.process.uses, the gauge of process evidence, in the same forms (a gauge gets no _total).
PROCESS_NAMES = {"ssot_legacy_uses_total": "ssot_process_uses", "ssot_legacy_uses__use_": "ssot_process_uses__use_",
                 "ssot_legacy_uses": "ssot_process_uses"}

LEGACY = "ssot_legacy_module"
SYMBOL = "ssot_legacy_symbol"
FILE = ("code_file_path", "code_filepath")  # stable semantic conventions, then the older names
LINE = ("code_line_number", "code_lineno")
FUNCTION = ("code_function_name", "code_function")
CANONICAL = "ssot_canonical_module"
CANONICAL_SYMBOL = "ssot_canonical_symbol"
FINGERPRINT = "ssot_site_fingerprint"
SITE_LABELS = (LEGACY, SYMBOL, *FILE, *LINE, *FUNCTION, CANONICAL, CANONICAL_SYMBOL, FINGERPRINT)
SERVICE = ("service_name", "job")  # the Python exporter's resource label, the Collector's job
PROCESS = ("service_instance_id", "instance", "host_name", "process_pid")
PROCESS_START = "ssot_process_start_unix_nano"


# -- PromQL --------------------------------------------------------------------------------------
def _quote(text: str) -> str:
    return json.dumps(text)  # a PromQL string: Go's escapes, which JSON's are a subset of


def glob_regex(pattern: str) -> str:
    """A ``--legacy`` glob (fnmatch: ``*``, ``?``, ``[...]``) as an RE2 regex for ``=~``."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        i += 1
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 1 if pattern[i:i + 1] in ("!", "]") else i)
            if end < 0:
                out.append(r"\[")
                continue
            body = pattern[i:end].replace("\\", "\\\\")
            i = end + 1
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
        else:
            out.append(re.escape(char))
    return "".join(out)


@dataclass(frozen=True)
class Window:
    """``[since, until]`` in ms, as PromQL ranges: the window itself, and what was before it."""

    until_ms: int
    since_ms: int | None

    @property
    def range(self) -> str:
        # [until - range, until]: from since - 1 ms on Prometheus 2 (its ranges hold both ends,
        # so the last sample before the window is in it too: counted as 0 below), from since on 3.
        return f"{self.until_ms - self.since_ms + 1 if self.since_ms is not None else self.until_ms}ms"

    @property
    def before_ms(self) -> int:
        return (self.since_ms or 0) - 1

    @property
    def before(self) -> str:
        """``[range] @ t``: everything up to the last ms before the window."""
        return f"[{max(self.before_ms, 1)}ms] @ {_seconds(self.before_ms)}"


class Queries:
    """The PromQL the reader runs (``docs/telemetry.md`` lists it for dashboards)."""

    def __init__(self, metric: str, window: Window, filters: Filters) -> None:
        self.metric, self.window = metric, window
        matchers = [f"{LEGACY}=~{_quote('|'.join(glob_regex(g) for g in filters.legacy))}"] if filters.legacy else []
        services = "|".join(re.escape(s) for s in sorted(filters.services))
        # A service is service_name (Python exporter) or job (Collector): one selector for each.
        alternatives = [[f"{label}=~{_quote(services)}"] for label in SERVICE] if filters.services else [[]]
        self.selectors = [f"{metric}{{{', '.join(matchers + extra)}}}" if matchers + extra else metric
                          for extra in alternatives]

    def over(self, function: str, selectors: list[str] | None = None, tail: str = "") -> str:
        """``function(selector[window])`` for each selector, joined with ``or``."""
        rng = tail or f"[{self.window.range}]"
        parts = [f"{function}({selector}{rng})" for selector in selectors or self.selectors]
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def last(self) -> str:
        return self.over("last_over_time")

    def before(self) -> str:
        return self.over("last_over_time", tail=self.window.before)

    def per_series(self) -> str:
        """Each series' uses in the window, unless it reset: last in it - last before it."""
        if self.window.since_ms is None:
            return self.last()
        return f"({self.last()} - ({self.before()} or {self.last()} * 0))"

    def uses(self) -> str:
        return f"sum by ({', '.join(SITE_LABELS)}) ({self.per_series()})"

    def processes(self) -> str:
        return f"count by ({', '.join((LEGACY, *SERVICE, *PROCESS))}) ({self.per_series()} > 0)"

    def resets(self) -> str:
        """The series that went down: in the window, or from before it to it."""
        found = f"{self.over('resets')} > 0"
        if self.window.since_ms is None:
            return found
        return f"({found}) or ({self.over('min_over_time')} < {self.before()})"

    def evidence(self) -> str:
        """The processes under the hook (``self.metric`` is the gauge): their last count."""
        return f"max by ({', '.join((*SERVICE, *PROCESS, PROCESS_START))}) ({self.last()})"


# -- reading ---------------------------------------------------------------------------------------
def read(source: str, filters: Filters | None = None, *, token_env: str | None = None,
         environ: Mapping[str, str] = os.environ, now_ms: int | None = None) -> Aggregate:
    """The uses a store holds over the filters' window, summed by site in the store."""
    filters = filters or Filters()
    store = parse(source, token_env, environ)
    client = Client(store)
    until_ms = filters.until_ns // 1_000_000 if filters.until_ns is not None else (now_ms or int(time.time() * 1000))
    since_ms = filters.since_ns // 1_000_000 if filters.since_ns is not None else None
    if since_ms is not None and since_ms > until_ms:
        raise PrometheusError(f"{store.shown}: --since is after --until")
    window = Window(until_ms, since_ms)
    metric, gauge = _names(client, window)
    uses = Queries(metric, window, filters) if metric is not None else None
    evidence = Queries(gauge, window, dataclasses.replace(filters, legacy=())) if gauge is not None else None
    # Each query passes over every series of its metric. One after the other: side by side (4
    # threads) took 20% longer against a Prometheus on the 2 cores of the test machine.
    wanted = {**({"uses": uses.uses(), "processes": uses.processes(), "resets": uses.resets()} if uses else {}),
              **({"evidence": evidence.evidence()} if evidence else {})}
    answers = {name: client.query(expr, until_ms) for name, expr in wanted.items()}
    agg = Aggregate()
    if uses is not None:
        _read_uses(agg, client, uses, answers)
    if evidence is not None:
        _read_evidence(agg, client, answers["evidence"])
    if not agg.sites and not agg.processes:
        names = " or ".join(x for x in (metric, gauge) if x)
        raise PrometheusError(f"{store.shown}: empty answer: no series of {names} {_where(filters)}"
                              f"{_between(window)}")
    return agg


def _between(window: Window) -> str:
    from .coverage import iso

    since = iso(window.since_ms * 1_000_000) if window.since_ms is not None else "the start of the store"
    return f"between {since} and {iso(window.until_ms * 1_000_000)}"


def _where(filters: Filters) -> str:
    parts = [f"service {', '.join(sorted(filters.services))}"] if filters.services else []
    parts += [f"legacy {', '.join(filters.legacy)}"] if filters.legacy else []
    return f"for {'; '.join(parts)} " if parts else ""


def _names(client: Client, window: Window) -> tuple[str | None, str | None]:
    """The uses counter's and the evidence gauge's names in this store (refused when ambiguous)."""
    store = client.store
    start = (window.since_ms if window.since_ms is not None else 0)
    wanted = [store.metric] if store.metric else list(USES_NAMES)
    gauges = [PROCESS_NAMES.get(store.metric, "")] if store.metric else list(dict.fromkeys(PROCESS_NAMES.values()))
    names = set(client.names('{__name__=~"ssot_.+"}', start, window.until_ms))
    uses = [name for name in wanted if name in names]
    if len(uses) > 1:
        raise PrometheusError(f"{store.shown}: both {' and '.join(uses)} hold uses (two pipelines into one "
                              "store?): counting both would count twice; choose one with ?metric=NAME")
    present = [name for name in gauges if name in names]
    if uses:
        gauge = PROCESS_NAMES.get(uses[0])
        return uses[0], gauge if gauge in names else None
    if len(present) > 1:
        raise PrometheusError(f"{store.shown}: both {' and '.join(present)} hold process evidence: choose the "
                              "form with ?metric=NAME (its uses counter)")
    if not present:
        raise PrometheusError(f"{store.shown}: empty answer: none of {', '.join(wanted)} {_between(window)} "
                              "(is this the store the Collector writes to, and the right --since?)")
    return None, present[0]


def _count(value: Any, client: Client, what: str) -> int:
    try:
        number = float(value[1] if isinstance(value, list) else value)
    except (TypeError, ValueError, IndexError):
        number = math.nan
    if not math.isfinite(number) or number != int(number) or abs(number) > 2 ** 53:
        raise PrometheusError(f"{client.store.shown}: {what} is {value!r}, not a whole number of uses: "
                              "is the metric a counter of uses?")
    return int(number)


def _site_key(labels: Mapping[str, str]) -> tuple[str, str | None, str, int, str] | None:
    legacy = labels.get(LEGACY)
    if not legacy:
        return None
    line = _first(labels, LINE, "0")
    return (legacy, labels.get(SYMBOL) or None, _first(labels, FILE, "<unknown>"),
            int(line) if line.isdigit() else 0, _first(labels, FUNCTION, "<unknown>"))


def _first(labels: Mapping[str, str], keys: Iterable[str], default: str) -> str:
    for key in keys:
        if labels.get(key):
            return labels[key]
    return default


def _service(labels: Mapping[str, str]) -> str:
    return _first(labels, SERVICE, "unknown_service")


def _process(labels: Mapping[str, str]) -> str | None:
    found = labels.get("service_instance_id") or labels.get("instance")
    if found:
        return found
    if labels.get("host_name") and labels.get("process_pid"):
        return f"{labels['host_name']}:{labels['process_pid']}"
    return None


def _add(agg: Aggregate, labels: Mapping[str, str], uses: int) -> Site | None:
    key = _site_key(labels)
    if key is None:
        return None
    site = agg.sites.get(key)
    if site is None:
        site = agg.sites[key] = Site(*key, canonical=labels.get(CANONICAL, ""),
                                     canonical_symbol=labels.get(CANONICAL_SYMBOL) or None)
    site.uses += uses
    if labels.get(FINGERPRINT):
        site.fingerprints.add(labels[FINGERPRINT])
    return site


def _read_uses(agg: Aggregate, client: Client, queries: Queries, answers: dict[str, list[dict[str, Any]]]) -> None:
    for row in answers["uses"]:
        uses = _count(row.get("value"), client, "a site's sum")
        if uses:
            _add(agg, row.get("metric") or {}, uses)
    services: dict[str, set[str]] = {}
    processes: dict[str, set[str]] = {}

    def saw(labels: Mapping[str, str]) -> None:
        legacy = labels.get(LEGACY)
        if legacy:
            services.setdefault(legacy, set()).add(_service(labels))
            process = _process(labels)
            if process:
                processes.setdefault(legacy, set()).add(process)

    for row in answers["processes"]:
        saw(row.get("metric") or {})
    for row in answers["resets"]:
        labels = row.get("metric") or {}
        exact, naive = _series_uses(client, queries, labels)
        if exact != naive:
            _add(agg, labels, exact - naive)
        if exact > 0:
            saw(labels)
    for key in [key for key, site in agg.sites.items() if site.uses <= 0]:
        if agg.sites[key].uses < 0:
            raise PrometheusError(f"{client.store.shown}: {key[0]} at {key[2]}:{key[3]} sums to "
                                  f"{agg.sites[key].uses} uses: a counter went down without a reset PromQL sees")
        del agg.sites[key]
    for site in agg.sites.values():  # per path, as the store counts them
        site.services = services.get(site.legacy, set())
        site.processes = processes.get(site.legacy, set())


def _series_uses(client: Client, queries: Queries, labels: Mapping[str, str]) -> tuple[int, int]:
    """One series that reset, sample by sample: (exact uses in the window, what the sum counted)."""
    selector = queries.metric + "{" + ", ".join(f"{k}={_quote(v)}" for k, v in sorted(labels.items())) + "}"
    window = queries.window
    rows = client.query(f"{selector}[{window.range}]", window.until_ms)
    samples = [(float(t), _count(v, client, "a sample")) for row in rows for t, v in row.get("values") or ()]
    samples.sort()
    before = 0
    if window.since_ms is not None:
        previous = client.query(f"last_over_time({selector}{window.before})", window.until_ms)
        before = _count(previous[0]["value"], client, "a sample") if previous else 0
        samples = [(t, v) for t, v in samples if t * 1000 > window.before_ms + 0.5]
    exact, last = 0, before
    for _t, value in samples:
        exact += value - last if value >= last else value  # a drop: counting again from zero
        last = value
    naive = (samples[-1][1] - before) if samples else 0
    return exact, naive


def _read_evidence(agg: Aggregate, client: Client, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        labels = row.get("metric") or {}
        process = _process(labels)
        if process is None:
            continue
        start = labels.get(PROCESS_START, "")
        entry = agg.processes.get(process)
        if entry is None:
            entry = agg.processes[process] = Process(_service(labels), int(start) if start.isdigit() else 0)
        entry.uses = max(entry.uses, _count(row.get("value"), client, "a process's uses"))

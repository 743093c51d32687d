"""The ``ssot.legacy.uses`` metric of the local files, written from the recorder's snapshot.

The local files do not take the uses through the OpenTelemetry SDK: at a collection of the local
reader the snapshot is kept aside (:meth:`LocalUses.offer`, from the observable counter's
callback, which gives the SDK nothing then), and the local exporter writes it as the metric the
SDK would have made: one delta point per site whose count grew since the last line written, in
the same OTLP/JSON layout, byte for byte as ``otlp_json`` encodes it. The histogram and the
process gauge still come from the SDK, and the OTLP and console readers keep the SDK path.

What it saves at the exit of a process with 10,000 sites: the SDK's aggregation of 10,000
observations, the observations themselves, and their encoding (the attributes of a site are
encoded once, when it is first written).
"""

from __future__ import annotations

import threading
from json import dumps
from json.encoder import encode_basestring_ascii as _string  # what json.dumps writes for a str

from . import otlp_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from ..hook.recorder import UseRecord

    SiteKey = tuple[str, str | None, str, int, str]

#: Put in an encoded batch where the uses go; replaced by their encoded metric.
_SLOT = "\x00ssot.legacy.uses\x00"
_SLOT_JSON = dumps(_SLOT)
_OVERFLOW = '[{"key":"otel.metric.overflow","value":{"boolValue":true}}]'


def site_attributes(record: UseRecord, fingerprint: str | None,
                    generic: Callable[[UseRecord], dict[str, Any]]) -> str:
    """The JSON of a site's point attributes, as ``otlp_json`` writes ``use_attributes`` (+ fingerprint)."""
    legacy, symbol, canonical, canonical_symbol = record.legacy, record.symbol, record.canonical, \
        record.canonical_symbol
    mode, file, line, function = record.mode, record.file, record.line, record.function
    if not (type(legacy) is str and type(canonical) is str and type(mode) is str and type(file) is str
            and type(line) is int and type(function) is str and (symbol is None or type(symbol) is str)
            and (canonical_symbol is None or type(canonical_symbol) is str)):
        return _generic_attributes(record, fingerprint, generic)
    # One f-string per shape: the common case costs a few C calls, once per site.
    symbols = "" if symbol is None else f',{{"key":"ssot.legacy.symbol","value":{{"stringValue":{_string(symbol)}}}}}'
    renamed = "" if canonical_symbol is None else \
        f',{{"key":"ssot.canonical.symbol","value":{{"stringValue":{_string(canonical_symbol)}}}}}'
    mark = "" if fingerprint is None else \
        f',{{"key":"ssot.site.fingerprint","value":{{"stringValue":{_string(fingerprint)}}}}}'
    return (f'[{{"key":"ssot.legacy.module","value":{{"stringValue":{_string(legacy)}}}}}{symbols}'
            f',{{"key":"ssot.canonical.module","value":{{"stringValue":{_string(canonical)}}}}}{renamed}'
            f',{{"key":"ssot.mode","value":{{"stringValue":{_string(mode)}}}}}'
            f',{{"key":"code.file.path","value":{{"stringValue":{_string(file)}}}}}'
            f',{{"key":"code.line.number","value":{{"intValue":"{line}"}}}}'
            f',{{"key":"code.function.name","value":{{"stringValue":{_string(function)}}}}}{mark}]')


def _generic_attributes(record: UseRecord, fingerprint: str | None,
                        generic: Callable[[UseRecord], dict[str, Any]]) -> str:
    """Values of unusual types (a None, a bool line): as the SDK passed them on to ``otlp_json``.

    ``generic``: the attributes of a record as telemetry gives them to the SDK (``use_attributes``).
    """
    from ..hook.fingerprint import ATTRIBUTE

    attrs = generic(record)
    if fingerprint is not None:
        attrs[ATTRIBUTE] = fingerprint
    return dumps(otlp_json.attributes(attrs), separators=(",", ":"))


class LocalUses:
    """The uses of one telemetry start, written to the local files as delta points.

    What the files hold per site is counted here; a line counts as written only once it was
    appended (:meth:`written`), so a failed write loses nothing: the next line carries it.
    Sites past ``max_sites`` fold into one point, as the SDK's cardinality limit folds them
    (``otel.metric.overflow``), their counts exact.
    """

    def __init__(self, resource: Mapping[str, object], schema_url: str, scope: str, version: str,
                 description: str, unit: str, start_ns: int, max_sites: int,
                 attributes: Callable[[UseRecord], dict[str, Any]]) -> None:
        self._attributes = attributes
        self._resource = otlp_json.attributes(resource)
        self._schema_url = schema_url
        self._scope = {"name": scope, "version": version} if version else {"name": scope}
        self._head = (f'{{"name":{_string("ssot.legacy.uses")},"description":{_string(description)},'
                      f'"unit":{_string(unit)},"sum":{{"dataPoints":[')
        self._max_sites = max_sites
        self._tls = threading.local()
        # One local collection at a time, from its snapshot to its line: a later snapshot
        # written before an earlier one would read as counts going down.
        self.lock = threading.RLock()
        self._counts: dict[SiteKey, int] = {}
        self._folded: set[SiteKey] = set()
        self._encoded: dict[SiteKey, str] = {}
        self._last_ns = start_ns
        self._written_total = 0
        self._pending: tuple[dict[SiteKey, int], set[SiteKey], int, int] | None = None

    # -- the collection: the reader's thread, from its collect to its export -------------------
    def collecting(self) -> bool:
        """Is the calling thread inside a collection of the local reader?"""
        return bool(getattr(self._tls, "active", False))

    def begin(self) -> None:
        self.lock.acquire()
        self._tls.active = True
        self._tls.records = self._tls.fingerprints = None

    def end(self) -> None:
        self._tls.active = False
        self._tls.records = self._tls.fingerprints = None
        self.lock.release()

    def offer(self, records: Sequence[UseRecord], fingerprints: Mapping[tuple[str, int], str | None],
              total: int) -> None:
        """The snapshot of this collection (the observable counter's callback gives it), and its
        uses added up (``records`` may be empty when that is what the files already hold)."""
        self._tls.records = records
        self._tls.fingerprints = fingerprints
        self._tls.total = total

    def offered_total(self) -> int | None:
        """The uses of this collection's snapshot, added up (the process gauge's value)."""
        total: int | None = getattr(self._tls, "total", None) if self.offered() is not None else None
        return total

    def unchanged(self, total: int) -> bool:
        """Whether the files already hold ``total`` uses: counts only grow, so no site grew."""
        return total == self._written_total

    def offered(self) -> Sequence[UseRecord] | None:
        """The snapshot of this collection, while no line has taken it."""
        records: Sequence[UseRecord] | None = getattr(self._tls, "records", None)
        return records

    # -- the export ------------------------------------------------------------------------
    def encode(self, batch: dict[str, Any], time_ns: int) -> str:
        """One line: ``batch`` (``otlp_json.encode_metrics`` of the SDK's data) with the uses put in.

        ``""`` when there is nothing to write. Call :meth:`written` once the line is in the file.
        """
        records = self.offered()
        prints = getattr(self._tls, "fingerprints", None) or {}
        self._tls.records = self._tls.fingerprints = None
        uses = self._uses(records, prints, time_ns) if records else None
        if uses is not None:
            self._put_slot(batch)
        if not batch["resourceMetrics"]:
            return ""
        line = dumps(batch, separators=(",", ":"))
        if uses is not None:
            head, _slot, tail = line.partition(_SLOT_JSON)
            line = head + uses + tail
        return line + "\n"

    def written(self) -> None:
        """The line of the last :meth:`encode` is in the file: its counts are the files' now."""
        if self._pending is not None:
            self._counts, self._folded, self._last_ns, self._written_total = self._pending
            self._pending = None

    def _put_slot(self, batch: dict[str, Any]) -> None:
        """Where the SDK would have put the metric: in our scope, before the process gauge."""
        entries = batch["resourceMetrics"]
        if not entries:
            entry: dict[str, Any] = {"resource": {"attributes": self._resource}, "scopeMetrics": []}
            if self._schema_url:
                entry["schemaUrl"] = self._schema_url
            entries.append(entry)
        scopes = entries[0]["scopeMetrics"]
        scope = next((s for s in scopes if s["scope"] == self._scope), None)
        if scope is None:
            scope = {"scope": dict(self._scope), "metrics": []}
            scopes.insert(0, scope)
        metrics = scope["metrics"]
        gauge = next((i for i, m in enumerate(metrics) if "gauge" in m), len(metrics))
        metrics.insert(gauge, _SLOT)

    def _uses(self, records: Sequence[UseRecord], prints: Mapping[tuple[str, int], str | None],
              time_ns: int) -> str | None:
        """The encoded metric of the sites whose count grew, or None when none did."""
        counts = dict(self._counts)
        folded = self._folded
        encoded = self._encoded
        tail = f',"startTimeUnixNano":"{self._last_ns}","timeUnixNano":"{time_ns}","asInt":"'
        points: list[str] = []
        overflow = total = 0
        for record in records:
            key = (record.legacy, record.symbol, record.file, record.line, record.function)
            count = record.count
            total += count
            before = counts.get(key, 0)
            if count < before:  # counts started again (a reset): all of it is new
                before = 0
            counts[key] = count
            if count == before:
                continue
            if key in folded or (key not in encoded and len(encoded) >= self._max_sites):
                if key not in folded:
                    folded = folded | {key}
                overflow += count - before
                continue
            attrs = encoded.get(key)
            if attrs is None:
                attrs = encoded[key] = site_attributes(record, prints.get((record.file, record.line)),
                                                                   self._attributes)
            points.append(f'{{"attributes":{attrs}{tail}{count - before}"}}')
        if overflow:
            points.append(f'{{"attributes":{_OVERFLOW}{tail}{overflow}"}}')
        self._pending = (counts, folded, time_ns, total)
        if not points:
            return None
        return f'{self._head}{",".join(points)}],"aggregationTemporality":1,"isMonotonic":true}}}}'

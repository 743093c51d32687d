"""The local files' uses, written from the recorder's snapshot: the same bytes as through the SDK.

``telemetry/local_json.LocalUses`` replaces, for the local files only, the SDK's observable
counter, aggregation and our ``otlp_json`` encoding of its output. These tests make the same
records go both ways and compare the lines byte for byte (timestamps aside), and check the
layout with the official protos.
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from ssot_runtime.hook.fingerprint import ATTRIBUTE as FINGERPRINT
from ssot_runtime.hook.recorder import UseRecord
from ssot_runtime.telemetry import otlp_json
from ssot_runtime.telemetry.local_json import LocalUses
from ssot_runtime.telemetry.providers import SCOPE, USES, USES_DESCRIPTION, USES_UNIT, use_attributes

VERSION = "0.1.0"
RESOURCE = {"service.name": "svc", "service.instance.id": "i-1", "process.pid": 42, "host.name": "h"}


def record(legacy: str = "old.mod", symbol: str | None = "Foo", file: str = "/app/a.py", line: int = 3,
           function: str = "a.f", canonical: str = "new.mod", canonical_symbol: str | None = "Foo",
           mode: str = "redirect", count: int = 1) -> UseRecord:
    return UseRecord(legacy, symbol, file, line, function, canonical, canonical_symbol, mode, count, 1.0, 2.0)


RECORDS = [
    record(),
    record(symbol=None, canonical_symbol=None, line=4),
    record(symbol="Old", canonical_symbol="New", line=5, count=7),
    record(file="/app/ünïcode/ça.py", function='Q."quoted"\\back\tslash', line=0, count=3),
    record(file="/app/bad\udcff.py", function="<module>", mode="warn", count=2),  # surrogate-escaped name
    record(legacy="old.€", canonical="new.€", file="<string>", line=1, function="<lambda>", count=1_000_000),
]
PRINTS = {("/app/a.py", 3): "0123456789abcdef", ("/app/a.py", 5): "fedcba9876543210"}


def sdk_line(records: list[UseRecord], prints: dict[tuple[str, int], str | None]) -> str:
    """What the SDK path wrote: an observable counter, delta, through the SDK and ``otlp_json``."""
    from opentelemetry.metrics import Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource

    from ssot_runtime.telemetry.exporters import DELTA

    def observe(options: Any) -> list[Any]:
        observations = []
        for r in records:
            attrs = use_attributes(r, r.symbol, r.canonical_symbol)
            mark = prints.get((r.file, r.line))
            if mark is not None:
                attrs[FINGERPRINT] = mark
            observations.append(Observation(r.count, attrs))
        return observations

    reader = InMemoryMetricReader(preferred_temporality=DELTA)
    provider = MeterProvider(metric_readers=[reader], resource=Resource(RESOURCE))
    provider.get_meter(SCOPE, VERSION).create_observable_counter(USES, callbacks=[observe], unit=USES_UNIT,
                                                                 description=USES_DESCRIPTION)
    data = reader.get_metrics_data()
    provider.shutdown()
    return otlp_json.lines([otlp_json.encode_metrics(data, drop_zero_deltas=True)])


def local(max_sites: int = 100_000) -> LocalUses:
    return LocalUses(RESOURCE, "", SCOPE, VERSION, USES_DESCRIPTION, USES_UNIT, 1_000, max_sites,
                     lambda r: use_attributes(r, r.symbol, r.canonical_symbol))


def collect(uses: LocalUses, records: list[UseRecord], time_ns: int,
            prints: dict[tuple[str, int], str | None] | None = None, *, write: bool = True,
            batch: dict[str, Any] | None = None) -> str:
    uses.begin()
    try:
        uses.offer(records, prints if prints is not None else PRINTS, sum(r.count for r in records))
        line = uses.encode(batch if batch is not None else {"resourceMetrics": []}, time_ns)
        if write:
            uses.written()
        return line
    finally:
        uses.end()


def untimed(line: str) -> str:
    return re.sub(r'"(startTimeUnixNano|timeUnixNano)":"\d+"', r'"\1":"T"', line)


def points(line: str) -> list[tuple[dict[str, Any], int, int, int]]:
    batch = json.loads(line)
    if "\\ud" not in line:  # protobuf refuses unpaired surrogates (a file name that is not UTF-8), as before
        ParseDict(batch, ExportMetricsServiceRequest())  # the official protos read it
    found = []
    for rm in batch["resourceMetrics"]:
        for sm in rm["scopeMetrics"]:
            for metric in sm["metrics"]:
                if metric["name"] == USES:
                    for p in metric["sum"]["dataPoints"]:
                        found.append(({a["key"]: next(iter(a["value"].values())) for a in p["attributes"]},
                                      int(p["asInt"]), int(p["startTimeUnixNano"]), int(p["timeUnixNano"])))
    return found


def test_the_same_bytes_as_through_the_sdk() -> None:
    line = collect(local(), RECORDS, 5_000)
    assert untimed(line) == untimed(sdk_line(RECORDS, PRINTS))
    assert line.endswith("}\n") and line.count("\n") == 1 and line.isascii()
    assert [value for _, value, _, _ in points(line)] == [r.count for r in RECORDS]


def test_the_same_bytes_beside_the_sdks_own_metrics() -> None:
    """The histogram and gauge still come from the SDK: the uses go in our scope, before the gauge."""
    scope = {"name": SCOPE, "version": VERSION}
    histogram = {"name": "ssot.legacy.import.duration", "histogram": {"dataPoints": []}}
    gauge = {"name": "ssot.process.uses", "gauge": {"dataPoints": []}}
    batch = {"resourceMetrics": [{"resource": {"attributes": otlp_json.attributes(RESOURCE)},
                                  "scopeMetrics": [{"scope": scope, "metrics": [histogram, gauge]}]}]}
    line = json.loads(collect(local(), RECORDS[:1], 5_000, batch=batch))
    (rm,) = line["resourceMetrics"]
    (sm,) = rm["scopeMetrics"]
    assert [m["name"] for m in sm["metrics"]] == ["ssot.legacy.import.duration", USES, "ssot.process.uses"]


def test_each_line_has_what_grew_since_the_last_one() -> None:
    uses = local()
    first = points(collect(uses, RECORDS[:3], 5_000))
    assert [(v, s, t) for _, v, s, t in first] == [(1, 1_000, 5_000), (1, 1_000, 5_000), (7, 1_000, 5_000)]
    grown = [record(count=4), RECORDS[1], record(symbol="Old", canonical_symbol="New", line=5, count=7),
             record(line=9, count=2)]
    second = points(collect(uses, grown, 9_000))
    assert [(p["code.line.number"], v, s, t) for p, v, s, t in second] == [("3", 3, 5_000, 9_000),
                                                                       ("9", 2, 5_000, 9_000)]
    assert collect(uses, grown, 12_000) == ""  # nothing grew, and the SDK had nothing: no line


def test_a_line_not_written_is_carried_by_the_next() -> None:
    uses = local()
    collect(uses, [record(count=2)], 5_000, write=False)  # the append failed
    again = points(collect(uses, [record(count=5)], 9_000))
    assert [(v, s) for _, v, s, _ in again] == [(5, 1_000)]


def test_sites_past_max_sites_fold_into_one_exact_point() -> None:
    uses = local(max_sites=2)
    many = [record(line=n, count=n) for n in range(1, 6)]
    found = points(collect(uses, many, 5_000))
    assert [p.get("code.line.number") for p, *_ in found] == ["1", "2", None]
    assert found[-1][0] == {"otel.metric.overflow": True} and found[-1][1] == 3 + 4 + 5
    later = points(collect(uses, [record(line=n, count=n + 1) for n in range(1, 7)], 9_000))
    assert [(p.get("code.line.number"), v) for p, v, *_ in later] == [("1", 1), ("2", 1), (None, 3 + 7)]


def test_unusual_values_go_the_sdks_way() -> None:
    odd = [record(line=True), record(function=None, line=7)]  # type: ignore[arg-type]
    assert untimed(collect(local(), odd, 5_000, {})) == untimed(sdk_line(odd, {}))

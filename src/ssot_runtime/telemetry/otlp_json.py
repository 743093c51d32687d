"""OTLP/JSON encoding of SDK metrics and spans, as the OpenTelemetry Collector's file exporter writes it.

lowerCamelCase keys, enums as integers, 64-bit integers as strings, hex trace and span ids. Written
here rather than through protobuf's ``json_format``: that writes ids as base64, and going through
protobuf costs an import of ~150 ms and several times the encoding time.
"""

from __future__ import annotations

import base64

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from opentelemetry.sdk.metrics.export import MetricsData
    from opentelemetry.sdk.trace import ReadableSpan


def any_value(value: object) -> dict[str, Any]:
    """An OTLP ``AnyValue``."""
    kind = type(value)
    if kind is str:  # most attributes: the fast path first
        return {"stringValue": value}
    if kind is int:
        return {"intValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def attributes(attrs: Mapping[str, object] | None) -> list[dict[str, Any]]:
    if not attrs:
        return []
    return [{"key": key, "value": any_value(value)} for key, value in attrs.items()]


def _scope(scope: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": scope.name}
    if scope.version:
        out["version"] = scope.version
    return out


def _resource(resource: Any) -> dict[str, Any]:
    return {"attributes": attributes(resource.attributes)}


def _number_point(point: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": attributes(point.attributes)}
    if point.start_time_unix_nano is not None:  # a gauge's points have none
        out["startTimeUnixNano"] = str(point.start_time_unix_nano)
    out["timeUnixNano"] = str(point.time_unix_nano)
    if isinstance(point.value, int):
        out["asInt"] = str(point.value)
    else:
        out["asDouble"] = point.value
    return out


def _histogram_point(point: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attributes": attributes(point.attributes),
        "startTimeUnixNano": str(point.start_time_unix_nano),
        "timeUnixNano": str(point.time_unix_nano),
        "count": str(point.count),
        "sum": point.sum,
        "bucketCounts": [str(c) for c in point.bucket_counts],
        "explicitBounds": list(point.explicit_bounds),
    }
    if point.count:
        out["min"], out["max"] = point.min, point.max
    return out


def _metric(metric: Any, drop_zero_deltas: bool) -> dict[str, Any] | None:
    from opentelemetry.sdk.metrics.export import AggregationTemporality, Gauge, Histogram, Sum

    out: dict[str, Any] = {"name": metric.name, "description": metric.description or "", "unit": metric.unit or ""}
    data = metric.data
    delta = getattr(data, "aggregation_temporality", None) == AggregationTemporality.DELTA
    if isinstance(data, Sum):
        points = [p for p in data.data_points if not (drop_zero_deltas and delta and p.value == 0)]
        if not points:
            return None
        out["sum"] = {"dataPoints": [_number_point(p) for p in points],
                      "aggregationTemporality": int(data.aggregation_temporality), "isMonotonic": data.is_monotonic}
    elif isinstance(data, Histogram):
        hpoints = [p for p in data.data_points if not (drop_zero_deltas and delta and p.count == 0)]
        if not hpoints:
            return None
        out["histogram"] = {"dataPoints": [_histogram_point(p) for p in hpoints],
                            "aggregationTemporality": int(data.aggregation_temporality)}
    elif isinstance(data, Gauge):
        out["gauge"] = {"dataPoints": [_number_point(p) for p in data.data_points]}
    return out


def encode_metrics(data: MetricsData, *, drop_zero_deltas: bool = False) -> dict[str, Any]:
    """``{"resourceMetrics": [...]}`` for one export batch (delta points of 0 left out on request)."""
    resource_metrics = []
    for rm in data.resource_metrics:
        scopes = []
        for sm in rm.scope_metrics:
            metrics = [m for m in (_metric(metric, drop_zero_deltas) for metric in sm.metrics) if m is not None]
            if metrics:
                scopes.append({"scope": _scope(sm.scope), "metrics": metrics})
        if scopes:
            entry: dict[str, Any] = {"resource": _resource(rm.resource), "scopeMetrics": scopes}
            if rm.schema_url:
                entry["schemaUrl"] = rm.schema_url
            resource_metrics.append(entry)
    return {"resourceMetrics": resource_metrics}


def _span(span: ReadableSpan) -> dict[str, Any]:
    context = span.context
    assert context is not None
    out: dict[str, Any] = {
        "traceId": format(context.trace_id, "032x"),
        "spanId": format(context.span_id, "016x"),
        "name": span.name,
        "kind": span.kind.value + 1,  # the SDK's INTERNAL is 0; OTLP's SPAN_KIND_INTERNAL is 1
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": attributes(span.attributes),
        "flags": int(context.trace_flags),
    }
    if span.parent is not None:
        out["parentSpanId"] = format(span.parent.span_id, "016x")
    status: dict[str, Any] = {"code": span.status.status_code.value}
    if span.status.description:
        status["message"] = span.status.description
    out["status"] = status
    if span.links:
        out["links"] = [{"traceId": format(link.context.trace_id, "032x"),
                         "spanId": format(link.context.span_id, "016x"),
                         "attributes": attributes(link.attributes)} for link in span.links]
    if span.events:
        out["events"] = [{"timeUnixNano": str(event.timestamp), "name": event.name,
                          "attributes": attributes(event.attributes)} for event in span.events]
    return out


def encode_spans(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """``{"resourceSpans": [...]}`` for one export batch, grouped by resource and scope."""
    grouped: dict[int, tuple[Any, dict[tuple[str, str], tuple[Any, list[dict[str, Any]]]]]] = {}
    for span in spans:
        resource_entry = grouped.setdefault(id(span.resource), (span.resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name, scope.version or "") if scope is not None else ("", "")
        resource_entry[1].setdefault(key, (scope, []))[1].append(_span(span))
    return {"resourceSpans": [
        {"resource": _resource(resource),
         "scopeSpans": [{"scope": _scope(scope) if scope is not None else {"name": ""}, "spans": encoded}
                        for scope, encoded in scopes.values()]}
        for resource, scopes in grouped.values()
    ]}


def lines(batches: Iterable[dict[str, Any]]) -> str:
    import json

    return "".join(json.dumps(batch, separators=(",", ":")) + "\n" for batch in batches)

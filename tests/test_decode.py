"""The fast reader (traces/decode.py) gives what ``json.loads`` and ``read._merge`` gave, exactly.

The reference is ``read.read``, the reader as it was (kept unchanged): every line through
``json.loads`` and ``read._merge``. Generated lines (valid ones, and ones broken in every way the fast path must
hand back) are read both ways and every field of the aggregate is compared, in order: sites,
their sets, timings (float sums included), processes, skipped lines and their messages. The
same files read by the process pool give the same aggregate as read in one process.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssot_runtime.traces import decode, read
from ssot_runtime.traces.timeline import Timeline

USES, DURATION, PROCESS = "ssot.legacy.uses", "ssot.legacy.import.duration", "ssot.process.uses"


def reference(paths: list[str], filters: read.Filters | None = None, strict: bool = False) -> read.Aggregate:
    """The reader before the fast path (kept as it was): json.loads and _merge, line by line."""
    return read.read(paths, filters or read.Filters(), strict=strict, timeline=Timeline())


def fast(paths: list[str], filters: read.Filters | None = None, strict: bool = False,
         progress: Any = None) -> read.Aggregate:
    return decode.read(paths, filters or read.Filters(), strict=strict, progress=progress, timeline=Timeline())


def state(agg: read.Aggregate) -> dict[str, Any]:
    """Every field, in order (dicts as lists of items), sets sorted."""
    def site(s: read.Site) -> dict[str, Any]:
        out = asdict(s)
        for name in ("services", "processes", "fingerprints"):
            out[name] = sorted(map(repr, out[name]))
        return out

    return {"sites": [(repr(k), site(s)) for k, s in agg.sites.items()],
            "timings": [(k, asdict(t)) for k, t in agg.timings.items()],
            "processes": [(k, asdict(p)) for k, p in agg.processes.items()],
            "loaded_twice": [(k, {n: sorted(v) for n, v in e.items()}) for k, e in agg.loaded_twice.items()],
            "files": agg.files, "lines": agg.lines, "skipped": agg.skipped,
            "timeline": sorted(agg.timeline.hours.items()) if agg.timeline is not None else None,
            "timeline_cumulative": sorted(map(repr, agg.timeline._cumulative.items())) if agg.timeline else None}


# -- lines ---------------------------------------------------------------------------------------
def kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def use_point(rng: random.Random, site: int, time_ns: int, older: bool = False) -> dict[str, Any]:
    file_key, line_key, function_key = (("code.filepath", "code.lineno", "code.function") if older else
                                        ("code.file.path", "code.line.number", "code.function.name"))
    attrs = [kv("ssot.legacy.module", f"old.m{site % 3}")]
    if site % 2:
        attrs.append(kv("ssot.legacy.symbol", f"S{site % 5}"))
    attrs += [kv("ssot.canonical.module", f"new.m{site % 3}"), kv("ssot.mode", "redirect"),
              kv(file_key, f"/app/ü{site % 4}.py"), kv(line_key, site), kv(function_key, f"f{site % 2}")]
    if site % 3 == 0:
        attrs.append(kv("ssot.site.fingerprint", f"{site:016x}"))
    rng.shuffle(attrs)
    point: dict[str, Any] = {"attributes": attrs, "startTimeUnixNano": str(time_ns - 10),
                             "timeUnixNano": str(time_ns)}
    if rng.random() < 0.1:
        point["asDouble"] = rng.choice([2.0, 3.7, 0.0])
    else:
        point["asInt"] = str(rng.randrange(0, 4))
    return point


def histogram(rng: random.Random, time_ns: int, temporality: int) -> dict[str, Any]:
    return {"name": DURATION, "unit": "s", "histogram": {"aggregationTemporality": temporality, "dataPoints": [
        {"attributes": [kv("ssot.legacy.module", f"old.m{rng.randrange(3)}")],
         "startTimeUnixNano": "5", "timeUnixNano": str(time_ns), "count": str(rng.randrange(1, 3)),
         "sum": rng.random() / 7, "max": rng.random()}]}}


def gauge(time_ns: int, uses: int) -> dict[str, Any]:
    return {"name": PROCESS, "gauge": {"dataPoints": [
        {"attributes": [kv("ssot.process.start_unix_nano", 1_000)], "timeUnixNano": str(time_ns),
         "asInt": str(uses)}]}}


def twice(rng: random.Random) -> dict[str, Any]:
    modules = {"arrayValue": {"values": [{"stringValue": f"m{rng.randrange(3)}"}, {"stringValue": "n"}]}}
    return {"name": "ssot.module.loaded_twice", "gauge": {"dataPoints": [
        {"attributes": [kv("code.file.path", f"/app/t{rng.randrange(3)}.py"),
                        {"key": "ssot.modules", "value": modules}],
         "timeUnixNano": "7", "asInt": "2"}]}}


def line(rng: random.Random, process: int, time_ns: int, temporality: int = 1, points: int = 20) -> dict[str, Any]:
    resource = [kv("service.name", f"svc{process % 2}"), kv("service.instance.id", f"inst-{process}")]
    uses = {"name": USES, "unit": "{use}", "sum": {"aggregationTemporality": temporality, "isMonotonic": True,
            "dataPoints": [use_point(rng, rng.randrange(12), time_ns + i, older=rng.random() < 0.1)
                           for i in range(points)]}}
    metrics = [histogram(rng, time_ns, temporality), uses, gauge(time_ns, rng.randrange(50)),
               {"name": "other.metric", "sum": {"dataPoints": [{"asInt": "nope"}]}}]
    if rng.random() < 0.3:
        metrics.append(twice(rng))
    rng.shuffle(metrics)
    return {"resourceMetrics": [{"resource": {"attributes": resource},
                                 "scopeMetrics": [{"scope": {"name": "ssot_runtime"}, "metrics": metrics}]}]}


def damaged(rng: random.Random, text: str) -> str:
    """The same line broken in one of the ways the fast path must hand to read._merge."""
    choices = [
        lambda t: t.replace('"asInt":"', '"asInt":"x', 1),
        lambda t: t.replace('"asInt":"', '"asInt":', 1).replace('","timeUnixNano', ',"timeUnixNano', 0),
        lambda t: t.replace('"timeUnixNano":"', '"timeUnixNano":"1.5', 1),
        lambda t: t.replace('"ssot.legacy.module"', '"ssot.legacy.modulo"', 1),
        lambda t: t.replace('"dataPoints":[', '"dataPoints":{"a":[', 1),
        lambda t: t.replace('"resourceMetrics":[', '"resourceMetrics":null,"x":[', 1),
        lambda t: t.replace('"scopeMetrics":[', '"scopeMetrics":"abc","y":[', 1),
        lambda t: t.replace('"aggregationTemporality":1', '"aggregationTemporality":"one"', 1),
        lambda t: t.replace('"aggregationTemporality":1', '"aggregationTemporality":2', 1),
        lambda t: t.replace('"attributes":[', '"attributes":null,"z":[', 1),
        lambda t: t.replace('"stringValue":"old.m', '"intValue":"old.m', 1),
        lambda t: t.replace('{"stringValue":"old.m', '{"arrayValue":["old.m"],"stringValue":"old.m', 1),
        lambda t: t.replace('"sum":0.', '"sum":"x', 1),
        lambda t: t.replace('"asInt":"', '"asInt":1e5,"q":"', 1),
        lambda t: t.replace('"count":"', '"count":"z', 1),
        lambda t: t.replace('"timeUnixNano":"', '"timeUnixNano":"0","t":"', 1),
        lambda t: t[: len(t) // 2],
        lambda t: "[" + t + "]",
        lambda t: t.replace('"gauge":{', '"gauge":null,"g":{', 1),
        lambda t: t.replace("\u00fc", "\udcff", 1),
    ]
    return rng.choice(choices)(text)


def write(folder: Path, seed: int, files: int, lines_per_file: int, *, damage: float = 0.0,
          cumulative: bool = False) -> list[str]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        path = folder / f"p{f:04d}.metrics.jsonl"
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as out:
            for n in range(lines_per_file):
                temporality = 2 if cumulative and rng.random() < 0.5 else 1
                text = json.dumps(line(rng, rng.randrange(files + 2), 1_000_000 + 1000 * n + f, temporality),
                                  separators=(",", ":"))
                if rng.random() < damage:
                    text = damaged(rng, text)
                out.write(text + "\n")
                if rng.random() < 0.05:
                    out.write("\n")
                if rng.random() < 0.05:
                    out.write('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s"}]}]}]}\n')
        paths.append(str(path))
    return paths


# -- one process -----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), damage=st.sampled_from([0.0, 0.3, 1.0]), cumulative=st.booleans())
def test_the_same_aggregate_as_json_loads_and_merge(tmp_path: Path, seed: int, damage: float,
                                                    cumulative: bool) -> None:
    paths = write(tmp_path / f"s{seed}-{damage}-{cumulative}", seed, 3, 6, damage=damage, cumulative=cumulative)
    decode._sites_cache.clear()
    assert state(fast(paths)) == state(reference(paths))
    assert state(decode.read(paths)) == state(read.read(paths))  # without a timeline too


@pytest.mark.parametrize("filters", [
    read.Filters(services=frozenset({"svc1"})),
    read.Filters(legacy=("old.m1", "old.m2*")),
    read.Filters(since_ns=1_002_005, until_ns=1_004_010),
])
def test_filters_the_same(tmp_path: Path, filters: read.Filters) -> None:
    paths = write(tmp_path / "f", 11, 4, 8, damage=0.2, cumulative=True)
    assert state(fast(paths, filters)) == state(reference(paths, filters))


def test_strict_raises_the_same(tmp_path: Path) -> None:
    paths = write(tmp_path / "strict", 5, 2, 10, damage=0.5)
    with pytest.raises(read.TraceReadError) as theirs:
        reference(paths, strict=True)
    with pytest.raises(read.TraceReadError) as ours:
        decode.read(paths, strict=True)
    assert str(ours.value) == str(theirs.value)


def test_the_benchmarks_lines_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own files never fall back to json.loads (or the speed would be the old one)."""
    paths = write(tmp_path / "fast", 3, 3, 5)

    def refuse(text: str) -> None:
        raise AssertionError(f"fell back: {text[:80]}")

    monkeypatch.setattr(decode.json, "loads", refuse)
    decode.read(paths)


# -- the process pool ----------------------------------------------------------------------------
@pytest.mark.parametrize(("damage", "cumulative"), [(0.0, False), (0.2, False), (0.0, True), (0.3, True)])
def test_the_pool_gives_what_one_process_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: float,
                                               cumulative: bool) -> None:
    paths = write(tmp_path / "pool", 17, 45, 3, damage=damage, cumulative=cumulative)
    expected = state(reference(paths))
    monkeypatch.setattr(decode, "PARALLEL_FILES", 10)
    assert decode.parallel(paths, 2) == 2
    seen: list[int] = []
    monkeypatch.setattr(decode.os, "cpu_count", lambda: 2)
    agg = fast(paths, progress=seen.append)
    assert state(agg) == expected
    expected_chars = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            expected_chars += sum(len(t) for t in f if not (len(t) < 3 and not t.strip()))
    assert sum(seen) == expected_chars


def test_the_pool_raises_the_first_error_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = write(tmp_path / "pool-strict", 23, 45, 2, damage=0.05)
    monkeypatch.setattr(decode, "PARALLEL_FILES", 10)
    monkeypatch.setattr(decode.os, "cpu_count", lambda: 2)
    with pytest.raises(read.TraceReadError) as theirs:
        reference(paths, strict=True)
    with pytest.raises(read.TraceReadError) as ours:
        decode.read(paths, strict=True)
    assert str(ours.value) == str(theirs.value)

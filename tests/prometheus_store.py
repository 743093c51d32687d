"""A real Prometheus for tests (Debian's ``prometheus``), and remote write into it as a Collector sends it.

:func:`running` starts ``prometheus`` on 127.0.0.1 on a free port, with a temporary storage
folder and ``--web.enable-remote-write-receiver``, in a process group of its own, and kills the
group whatever happens. :func:`remote_write` sends a ``prometheus.WriteRequest`` (protobuf,
snappy) to ``/api/v1/write``, encoded here byte by byte (no protobuf schema, no snappy library:
a literal-only snappy block is valid snappy). :func:`collector_series` turns OTLP/JSON metric
lines (our local files, delta) into the series the OpenTelemetry Collector writes with
``deltatocumulative`` and ``prometheusremotewrite``: ``ssot_legacy_uses_total`` and
``ssot_process_uses``, attribute dots as underscores, ``service.name`` as ``job``,
``service.instance.id`` as ``instance`` (one writer per series, as deltatocumulative needs);
``per_site``: one series per site for all processes, what an exact aggregating writer would
send (not the Collector's deltatocumulative with the instance removed: it drops a second
writer's points, see docs/telemetry.md).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import ssl
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers.harness import free_port, kill_group

BINARY = shutil.which("prometheus")

Series = tuple[dict[str, str], list[tuple[int, float]]]  # labels (with __name__), (ms, value) samples


@dataclass
class Prometheus:
    process: subprocess.Popen[bytes]
    port: int
    prefix: str
    log: Path
    cafile: Path | None = None  # with TLS: the server's self-signed certificate

    @property
    def url(self) -> str:
        return f"{'https' if self.cafile else 'http'}://127.0.0.1:{self.port}{self.prefix}"

    def open(self, request: urllib.request.Request | str, timeout: float = 10) -> Any:
        context = ssl.create_default_context(cafile=str(self.cafile)) if self.cafile else None
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    @property
    def source(self) -> str:
        return f"prometheus+{self.url}"

    def write(self, series: Iterable[Series]) -> None:
        remote_write(self, list(series))

    def query(self, expr: str, at: float | None = None) -> Any:
        params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
        with self.open(f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}") as r:
            return json.loads(r.read())["data"]["result"]

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def running(folder: Path, prefix: str = "", extra: Iterable[str] = (), tls: bool = False,
            out_of_order: str | None = None) -> Iterator[Prometheus]:
    """Prometheus on 127.0.0.1 with its storage in ``folder``; stopped (the whole group) at the end.

    ``tls``: HTTPS only, with a self-signed certificate for 127.0.0.1 made by ``openssl``.
    ``out_of_order``: a TSDB window (``40d``) in which samples older than the newest are taken,
    so that a history of many days can be written series by series."""
    assert BINARY, "prometheus is not installed (apt-get install prometheus; .ci/run does it)"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\n"  # nothing scraped: only remote write
                      + (f"storage:\n  tsdb:\n    out_of_order_time_window: {out_of_order}\n" if out_of_order else ""))
    port = free_port()
    log = folder / "prometheus.log"
    command = [BINARY, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
               "--log.level=warn", *extra]
    cafile = None
    if tls:
        cafile, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                        "-out", str(cafile)], check=True, capture_output=True, timeout=60)
        (folder / "web.yml").write_text(f"tls_server_config:\n  cert_file: {cafile}\n  key_file: {key}\n")
        command.append(f"--web.config.file={folder / 'web.yml'}")
    if prefix:
        command.append(f"--web.external-url={'https' if tls else 'http'}://127.0.0.1:{port}{prefix}/")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    server = Prometheus(process, port, prefix, log, cafile)
    try:
        _wait_ready(server)
        yield server
    finally:
        kill_group(process, wait=10)


def _wait_ready(server: Prometheus, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"prometheus exited {server.process.returncode}:\n{server.text()}")
        try:
            with server.open(f"{server.url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"prometheus not ready after {timeout}s:\n{server.text()}")


# -- the remote-write protocol (prometheus/prompb/remote.proto, types.proto) -------------------------
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # a length-delimited field
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode(series: list[Series]) -> bytes:
    """A WriteRequest: timeseries = 1 {labels = 1 {name = 1, value = 2}, samples = 2 {value = 1, timestamp = 2}}."""
    out = bytearray()
    for labels, samples in series:
        body = bytearray()
        for name in sorted(labels):  # remote write wants labels sorted by name
            body += _field(1, _field(1, name.encode()) + _field(2, labels[name].encode()))
        for ms, value in samples:
            body += _field(2, b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ms))
        out += _field(1, bytes(body))
    return bytes(out)


def snappy_block(data: bytes) -> bytes:
    """Snappy's block format with literals only: valid input for every snappy decoder."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), 65536):
        chunk = data[start:start + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + n.to_bytes(2, "little")
        out += chunk
    return bytes(out)


def remote_write(server: Prometheus, series: list[Series], batch: int = 2000) -> None:
    """POST the series to ``/api/v1/write`` as the Collector does (protocol 0.1.0), in batches."""
    for start in range(0, len(series), batch):
        request = urllib.request.Request(
            f"{server.url}/api/v1/write", data=snappy_block(encode(series[start:start + batch])), method="POST",
            headers={"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                     "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "tests/prometheus_store"})
        with server.open(request, timeout=30) as response:
            assert response.status in (200, 204), response.status


# -- what the Collector writes ------------------------------------------------------------------------
def label_name(key: str) -> str:
    """The Collector's translation of an attribute key: anything but [a-zA-Z0-9_] becomes _."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    return f"key_{name}" if name[:1].isdigit() else name


def _attrs(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {a["key"]: str(next(iter(a["value"].values()))) for a in items or () if a.get("value")}


PER_PROCESS = ("service.instance.id", "process.pid", "host.name")


def collector_series(paths: Iterable[Path], *, per_site: bool = False, shift_ms: int = 0) -> list[Series]:
    """The series the Collector writes for these OTLP/JSON metric files (delta, as ours are).

    ``deltatocumulative`` keeps a running sum per stream (resource, attributes); each delta point
    becomes one cumulative sample at the point's time, per process. ``per_site``: every
    process's deltas folded into one series per site (the gauge stays per process).
    ``shift_ms`` moves every sample (Prometheus takes samples within about an hour of its head).
    """
    streams: dict[tuple[tuple[str, str], ...], dict[int, float]] = {}
    gauges: dict[tuple[tuple[str, str], ...], dict[int, float]] = {}
    points: list[tuple[int, tuple[tuple[str, str], ...], float, bool]] = []
    for path in paths:
        for line in path.read_text().splitlines():
            for rm in json.loads(line).get("resourceMetrics", ()):
                resource = _attrs((rm.get("resource") or {}).get("attributes"))
                base = {"job": resource.get("service.name", "unknown_service")}
                per_process = {**base, "instance": resource.get("service.instance.id", "")}
                for sm in rm.get("scopeMetrics", ()):
                    for metric in sm.get("metrics", ()):
                        if metric["name"] == "ssot.legacy.uses":
                            data, name, gauge = metric["sum"], "ssot_legacy_uses_total", False
                            assert int(data.get("aggregationTemporality", 2)) == 1, "expected delta points"
                        elif metric["name"] == "ssot.process.uses":
                            data, name, gauge = metric["gauge"], "ssot_process_uses", True
                        else:
                            continue
                        common = base if per_site and not gauge else per_process
                        for point in data.get("dataPoints", ()):
                            labels = {**common, "__name__": name,
                                      **{label_name(k): v for k, v in _attrs(point.get("attributes")).items()}}
                            value = float(point.get("asInt") or point.get("asDouble") or 0)
                            ms = int(point["timeUnixNano"]) // 1_000_000 + shift_ms
                            points.append((ms, tuple(sorted(labels.items())), value, gauge))
    for ms, key, value, gauge in sorted(points):
        if gauge:
            gauges.setdefault(key, {})[ms] = value
        else:
            samples = streams.setdefault(key, {})
            total = (samples[max(samples)] if samples else 0.0) + value
            samples[ms] = total  # two deltas in one ms: one sample, the running sum after both
    return [(dict(key), sorted(samples.items())) for key, samples in (*streams.items(), *gauges.items())]

"""Real OTLP receivers on 127.0.0.1 for tests: a gRPC server and an HTTP/protobuf server.

Both keep every request they receive, parsed (``traces``, ``metrics``) and raw (``raw``: the
serialized bytes as they came over the wire), so tests can look at what left the process under
test, byte for byte.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

ExportTraceServiceRequest = trace_service_pb2.ExportTraceServiceRequest
ExportMetricsServiceRequest = metrics_service_pb2.ExportMetricsServiceRequest


class Received:
    """What a receiver got: parsed requests per signal, raw bodies, and request details."""

    def __init__(self) -> None:
        self.traces: list[Any] = []
        self.metrics: list[Any] = []
        self.raw: list[bytes] = []
        self.requests: list[dict[str, Any]] = []  # path / method, content type, headers
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def add(self, signal: str, request: Any, raw: bytes, details: dict[str, Any]) -> None:
        with self._changed:
            (self.traces if signal == "traces" else self.metrics).append(request)
            self.raw.append(raw)
            self.requests.append({"signal": signal, **details})
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (the exporter may still be sending after exit)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        metadata = {k: v for k, v in context.invocation_metadata()}
        self.received.add("traces", request, request.SerializeToString(),
                          {"path": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                           "headers": metadata})
        return trace_service_pb2.ExportTraceServiceResponse()


class _MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        metadata = {k: v for k, v in context.invocation_metadata()}
        self.received.add("metrics", request, request.SerializeToString(),
                          {"path": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                           "headers": metadata})
        return metrics_service_pb2.ExportMetricsServiceResponse()


class GrpcReceiver(Received):
    """An OTLP/gRPC receiver (traces and metrics services) on an ephemeral port of 127.0.0.1."""

    protocol = "grpc"

    def __init__(self) -> None:
        super().__init__()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
            _TraceService(self), self.server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(  # type: ignore[no-untyped-call]
            _MetricsService(self), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        if not self.port:
            raise RuntimeError("grpc server could not bind 127.0.0.1:0")
        self.server.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=None).wait(5)


_PATHS: dict[str, tuple[str, Any, Any]] = {
    "/v1/traces": ("traces", ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "/v1/metrics": ("metrics", ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        route = _PATHS.get(self.path)
        if route is None:
            self._answer(404, b"", "text/plain")
            return
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        signal, request_type, response_type = route
        try:
            request = request_type.FromString(body)
        except Exception:
            self._answer(400, b"", "text/plain")
            return
        self.server.received.add(signal, request, body, {
            "path": self.path, "content_type": self.headers.get("Content-Type"),
            "headers": dict(self.headers.items())})
        self._answer(200, response_type().SerializeToString(), "application/x-protobuf")

    def _answer(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep pytest's output clean


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    received: Received


class HttpReceiver(Received):
    """An OTLP/HTTP (protobuf) receiver: POST /v1/traces and /v1/metrics on 127.0.0.1."""

    protocol = "http/protobuf"

    def __init__(self) -> None:
        super().__init__()
        self.server = _HttpServer(("127.0.0.1", 0), _Handler)
        self.server.received = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="otlp-http-receiver", daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class SilentCollector:
    """A port that accepts connections and reads what comes, but never answers: a hung collector."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.bytes_read = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="otlp-silent-collector", daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                conn.setblocking(False)
                self.connections.append(conn)
            except (TimeoutError, OSError):
                pass
            for conn in list(self.connections):
                try:
                    data = conn.recv(65536)
                    self.bytes_read += len(data)
                except (BlockingIOError, OSError):
                    pass

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()

"""The Prometheus HTTP API as the store source calls it: the URL parsed, queries sent, every failure one line.

``prometheus+http(s)://HOST:PORT[/prefix][?metric=NAME&timeout=SECONDS]``; a bearer token from
the environment variable ``--bearer-token-env`` names, never from argv. The PromQL and the
counting are :mod:`.prometheus`.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from .read import TraceReadError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

PREFIX = "prometheus+"
DEFAULT_TIMEOUT = 120.0  # Prometheus's own default query timeout (--query.timeout=2m)


class PrometheusError(TraceReadError):
    """A store that cannot be read, or an answer that cannot be counted exactly: one line, URL and cause."""


def is_store(source: str) -> bool:
    """Whether a SOURCE names a store (``prometheus+http://...``) rather than files."""
    return source.startswith((f"{PREFIX}http://", f"{PREFIX}https://"))


@dataclass(frozen=True)
class Store:
    """A parsed ``prometheus+http(s)://HOST:PORT[/prefix][?metric=NAME&timeout=SECONDS]``."""

    base: str  # http(s)://host:port/prefix, no trailing slash
    shown: str  # the source as messages name it: no credentials
    token: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    metric: str | None = None


def parse(source: str, token_env: str | None = None, environ: Mapping[str, str] = os.environ) -> Store:
    """The store a SOURCE names; the bearer token from the environment variable ``token_env``."""
    parts = urllib.parse.urlsplit(source.removeprefix(PREFIX))
    shown = PREFIX[:len(source) - len(source.removeprefix(PREFIX))] + \
        urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    if not source.startswith(PREFIX) or parts.scheme not in ("http", "https") or not parts.hostname:
        raise PrometheusError(f"{shown}: expected prometheus+http://HOST:PORT[/prefix] or prometheus+https://...")
    if "@" in parts.netloc:
        raise PrometheusError(f"{shown}: credentials do not go in the URL (argv is visible to every user): "
                              "put a bearer token in an environment variable and name it with --bearer-token-env")
    options = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - {"metric", "timeout"})
    if unknown:
        raise PrometheusError(f"{shown}: unknown URL parameter {unknown[0]!r} (accepted: metric, timeout)")
    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            timeout = -1.0
        if not 0 < timeout < math.inf:
            raise PrometheusError(f"{shown}: timeout={options['timeout']!r}: expected seconds, such as 10")
    metric = options.get("metric") or None
    if metric is not None and not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", metric):
        raise PrometheusError(f"{shown}: metric={metric!r} is not a Prometheus metric name")
    token = None
    if token_env:
        token = environ.get(token_env, "")
        if not token:
            raise PrometheusError(f"{shown}: the environment variable {token_env} (--bearer-token-env) is not set")
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return Store(base, shown, token, timeout, metric)


class Client:
    """The Prometheus HTTP API (``/api/v1/query``, ``/api/v1/label/__name__/values``), every
    failure one :class:`PrometheusError` naming the store and the cause."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = 0
        # A context of our own, made now: urlopen's shared opener (3.12+) keeps the certificates
        # of the first call in the process, whatever SSL_CERT_FILE says later.
        self._tls = ssl.create_default_context() if store.base.startswith("https:") else None

    def query(self, expr: str, at_ms: int) -> list[dict[str, Any]]:
        """An instant query at ``at_ms``: the vector's or the matrix's series."""
        data = self._call("/api/v1/query", {"query": expr, "time": _seconds(at_ms),
                                            "timeout": f"{self.store.timeout:g}s"})
        if not isinstance(data, dict) or data.get("resultType") not in ("vector", "matrix"):
            raise PrometheusError(f"{self.store.shown}: unexpected answer to a query (not a vector): {_short(data)}")
        result = data.get("result") or []
        return result if isinstance(result, list) else []

    def names(self, match: str, start_ms: int, end_ms: int) -> list[str]:
        """The metric names with a series matching ``match`` between the two times."""
        data = self._call("/api/v1/label/__name__/values",  # GET only
                          {"match[]": match, "start": _seconds(start_ms), "end": _seconds(end_ms)}, post=False)
        return [str(name) for name in data] if isinstance(data, list) else []

    def _call(self, path: str, params: dict[str, str], post: bool = True) -> Any:
        self.queries += 1
        store = self.store
        form = urllib.parse.urlencode(params)
        if post:  # a long query stays out of the URL (and of proxies' logs)
            request = urllib.request.Request(store.base + path, data=form.encode(), method="POST")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        else:
            request = urllib.request.Request(f"{store.base}{path}?{form}")
        request.add_header("Accept", "application/json")
        if store.token:
            request.add_header("Authorization", f"Bearer {store.token}")
        try:
            with urllib.request.urlopen(request, timeout=store.timeout, context=self._tls) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise PrometheusError(f"{store.shown}: {_http_error(exc)}") from None
        except urllib.error.URLError as exc:
            raise PrometheusError(f"{store.shown}: {_cause(exc.reason, store.timeout)}") from None
        except (OSError, TimeoutError) as exc:  # a timeout while reading the body
            raise PrometheusError(f"{store.shown}: {_cause(exc, store.timeout)}") from None
        try:
            answer = json.loads(body)
        except ValueError:
            raise PrometheusError(f"{store.shown}: not a Prometheus API answer (not JSON): {_short(body)}") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise PrometheusError(f"{store.shown}: {_api_error(answer)}")
        return answer.get("data")


def _seconds(ms: int) -> str:
    """Unix seconds with three decimals, exact (no float)."""
    return f"{'-' if ms < 0 else ''}{abs(ms) // 1000}.{abs(ms) % 1000:03d}"


def _short(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(value)
    text = " ".join(text.split())
    return text[:120] + ("..." if len(text) > 120 else "")


def _api_error(answer: Any) -> str:
    if isinstance(answer, dict) and answer.get("status") == "error":
        kind = answer.get("errorType") or "error"
        where = "PromQL error" if kind in ("bad_data", "execution") else "error"
        return f"{where} ({kind}): {' '.join(str(answer.get('error')).split())}"
    return f"not a Prometheus API answer: {_short(answer)}"


def _http_error(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read()
    except OSError:
        body = b""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    detail = _api_error(answer) if isinstance(answer, dict) and answer.get("status") == "error" else _short(body)
    return f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")


def _cause(reason: object, timeout: float) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s (timeout; raise it with ?timeout=SECONDS)"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the store running, on this host and port?)"
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror or reason})"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS error: {reason.reason}: {reason.verify_message} (trust its CA through SSL_CERT_FILE)"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason.reason or reason}"
    if isinstance(reason, OSError):
        return f"cannot connect: {reason.strerror or reason}"
    return f"cannot connect: {reason}"

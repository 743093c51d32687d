"""``--source prometheus+http://...``: the reader commands against a real Prometheus (Debian's).

Every test starts its own ``prometheus`` (tests/prometheus_store.py) on 127.0.0.1 with a
temporary storage folder and the remote-write receiver, fills it through remote write as a
Collector sends it, and stops it whatever happens.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app

from .projects import clean_env, legacy_project
from .prometheus_store import Prometheus, collector_series, running
from .servers.harness import free_port
from .test_versions import TEN_SITES

runner = CliRunner()
CLI = str(Path(sys.executable).parent / "ssot-runtime")
NOW_MS = int(time.time() * 1000)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Prometheus]:
    with running(tmp_path / "prometheus") as server:
        yield server


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def report(*args: str) -> dict[str, Any]:
    result = invoke("report", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def sites(doc: dict[str, Any]) -> dict[tuple[str, str, int, str, str | None], int]:
    return {(p["legacy"], s["file"], s["line"], s["function"], s["symbol"]): s["uses"]
            for p in doc["legacy_paths"] for s in p["sites"]}


def paths(doc: dict[str, Any]) -> dict[str, tuple[int, int, list[str], int]]:
    """Per legacy path: uses, sites, services, processes."""
    return {p["legacy"]: (p["uses"], p["sites_count"], p["services"], p["processes"]) for p in doc["legacy_paths"]}


SITE = {"ssot_legacy_module": "old.mod", "code_file_path": "/app/x.py", "code_line_number": "3",
        "code_function_name": "handle", "ssot_canonical_module": "new.mod"}
AT3 = ("old.mod", "/app/x.py", 3, "handle", None)  # the report's sites: (legacy, file, line, function, symbol)
AT4 = ("old.mod", "/app/x.py", 4, "handle", "Thing")
AT9 = ("old.mod", "/app/x.py", 9, "handle", "Thing")


def uses_series(labels: dict[str, str], samples: list[tuple[int, float]],
                name: str = "ssot_legacy_uses_total") -> tuple[dict[str, str], list[tuple[int, float]]]:
    """A series of the uses counter, samples given as (ms before NOW_MS, value)."""
    return {"__name__": name, **labels}, [(NOW_MS - ago, value) for ago, value in samples]


def at(ago_ms: int) -> str:
    """``--since``/``--until`` for a moment ``ago_ms`` before NOW_MS (ISO, ms)."""
    import datetime as dt

    moment = dt.datetime.fromtimestamp((NOW_MS - ago_ms) / 1000, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"


# -- exact counts ---------------------------------------------------------------------------------------
def test_counters_above_zero_with_repeated_samples_are_exact(prometheus: Prometheus) -> None:
    """A counter's first sample holds every use before it; repeated samples add nothing; no increase()."""
    prometheus.write([
        uses_series({**SITE, "job": "api", "instance": "p1"}, [(60_000, 5), (50_000, 5), (40_000, 8), (30_000, 8)]),
        uses_series({**SITE, "job": "api", "instance": "p2"}, [(60_000, 3)]),
        uses_series({**SITE, "job": "worker", "instance": "p3", "code_line_number": "9",
                     "ssot_legacy_symbol": "Thing", "ssot_canonical_symbol": "Thing"}, [(45_000, 1), (35_000, 2)]),
    ])
    until = at(0)
    doc = report("--source", prometheus.source, "--until", until)
    assert sites(doc) == {AT3: 11, AT9: 2}
    assert paths(doc) == {"old.mod": (13, 2, ["api", "worker"], 3)}
    assert doc["totals"]["uses"] == 13 and doc["coverage"]["processes"] == 3
    # What the store's increase() says over the same data: not the uses (extrapolated, first sample missed).
    naive = prometheus.query("sum(increase(ssot_legacy_uses_total[10m]))", NOW_MS / 1000)
    assert float(naive[0]["value"][1]) == 6.5  # docs/telemetry.md quotes it

    # The window: uses made after --since, counted from the last sample before it.
    doc = report("--source", prometheus.source, "--since", at(55_000), "--until", until)
    assert sites(doc) == {AT3: 3, AT9: 2}
    assert paths(doc)["old.mod"][3] == 2  # p2 made no use in the window
    doc = report("--source", prometheus.source, "--since", at(40_000), "--until", at(35_000))
    assert sites(doc) == {AT3: 3, AT9: 1}
    doc = report("--source", prometheus.source, "--since", at(39_999), "--until", until)
    assert sites(doc) == {AT9: 1}


def test_a_counter_that_reset_is_counted_sample_by_sample(prometheus: Prometheus) -> None:
    """A counter that went down (its writer restarted) starts again from zero: each drop is counted."""
    prometheus.write([uses_series({**SITE, "job": "api"}, [(60_000, 4), (50_000, 6), (40_000, 2), (30_000, 5),
                                                          (20_000, 5), (10_000, 1)])])
    doc = report("--source", prometheus.source, "--until", at(0))
    assert sites(doc) == {AT3: 6 + 5 + 1}
    doc = report("--source", prometheus.source, "--since", at(55_000), "--until", at(0))
    assert sites(doc) == {AT3: 2 + 2 + 3 + 1}
    doc = report("--source", prometheus.source, "--since", at(45_000), "--until", at(15_000))
    assert sites(doc) == {AT3: 2 + 3}


def _run_ten_sites(tmp_path: Path) -> tuple[Path, Path]:
    root = legacy_project(tmp_path)
    (root / "app.py").write_text(TEN_SITES)
    output = tmp_path / "out"
    result = subprocess.run([CLI, "run", "--output", str(output), "--", sys.executable, "app.py"], cwd=root,
                            env=clean_env(PYTHONPATH=str(root)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return root, output


@pytest.mark.parametrize("per_site", [False, True], ids=["per-process", "per-site"])
def test_threads_fork_and_a_pool_give_the_same_sites_through_prometheus_as_from_files(
        prometheus: Prometheus, tmp_path: Path, per_site: bool) -> None:
    """Per process: what deltatocumulative makes of each process's deltas (one writer a series), and
    what the SDK's cumulative export sends; per site: one series for all processes."""
    root, output = _run_ten_sites(tmp_path)
    prometheus.write(collector_series(sorted(output.glob("*.metrics.jsonl")), per_site=per_site))
    from_files = report(str(output), "--root", str(root))
    from_store = report("--source", prometheus.source, "--root", str(root))
    assert sites(from_store) == sites(from_files)
    assert sum(sites(from_store).values()) == 1 + 1 + 400 + 6 + 30 + 3 + 7 + 1 + 2 + 1
    assert from_store["totals"] == from_files["totals"]
    # Processes: the parent, the forked child, the pool's two workers; all of them left evidence.
    assert from_store["coverage"]["processes"] == from_files["coverage"]["processes"] == 4
    if per_site:  # one series per site for every process: the store cannot say which processes used a path
        assert paths(from_store) == {k: (u, n, s, 0) for k, (u, n, s, _p) in paths(from_files).items()}
    else:
        assert paths(from_store) == paths(from_files)


def test_check_and_plan_read_the_store(prometheus: Prometheus, tmp_path: Path) -> None:
    root, output = _run_ten_sites(tmp_path)
    prometheus.write(collector_series(sorted(output.glob("*.metrics.jsonl"))))
    baseline = tmp_path / "baseline.json"
    result = invoke("check", "--source", prometheus.source, "--root", str(root), "--write-baseline", str(baseline))
    assert result.exit_code == 0, result.output
    from_files = invoke("check", str(output), "--root", str(root), "--baseline", str(baseline))
    assert from_files.exit_code == 0, from_files.output
    result = invoke("check", "--source", prometheus.source, "--root", str(root), "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert "check passed: 452 legacy uses in 4 processes" in result.output
    result = invoke("check", "--source", prometheus.source, "--root", str(root))
    assert result.exit_code == 1
    assert "10 sites (452 uses) beyond the baseline" in result.output
    plan = invoke("plan", "--source", prometheus.source, "--root", str(root), "--config",
                  str(root / "ssot-runtime.toml"), "--format", "json")
    files = invoke("plan", str(output), "--root", str(root), "--config", str(root / "ssot-runtime.toml"),
                   "--format", "json")
    assert plan.exit_code == files.exit_code == 0, plan.output + files.output
    assert json.loads(plan.stdout) == json.loads(files.stdout)
    # And as a SOURCE argument, for every reader that takes one (scan --traces, fix --only-seen, ...).
    assert sites(report(prometheus.source, "--root", str(root))) == sites(report(str(output), "--root", str(root)))
    scans = [invoke("scan", str(root / "app.py"), "--traces", traces, "--root", str(root), "--config",
                    str(root / "ssot-runtime.toml"), "--format", "json") for traces in (prometheus.source, str(output))]
    assert scans[0].exit_code == scans[1].exit_code == 0, scans[0].output + scans[1].output
    assert json.loads(scans[0].stdout) == json.loads(scans[1].stdout)
    audits = [invoke("audit", str(root), "--traces", traces, "--root", str(root), "--config",
                     str(root / "ssot-runtime.toml"), "--format", "json")
              for traces in (prometheus.source, str(output))]
    assert audits[0].exit_code == audits[1].exit_code == 0, audits[0].output + audits[1].output
    from_store, from_files = (json.loads(a.stdout) for a in audits)
    assert from_store["unused"]["evidence"].pop("end") is None  # when the data ends, a store does not say
    from_files["unused"]["evidence"].pop("end")
    assert from_store == from_files
    fixes = [invoke("fix", str(root / "app.py"), "--only-seen", traces, "--config", str(root / "ssot-runtime.toml"))
             for traces in (prometheus.source, str(output))]
    assert fixes[0].exit_code == fixes[1].exit_code == 0 and fixes[0].stdout == fixes[1].stdout != ""


def test_check_fails_on_an_empty_store(prometheus: Prometheus) -> None:
    result = invoke("check", "--source", prometheus.source)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"ssot-runtime: error: {prometheus.source}: empty answer: none of ssot_legacy_uses_total" in result.stderr


def test_a_clean_fleet_is_evidence_not_an_empty_answer(prometheus: Prometheus) -> None:
    """Processes that saw no use leave the gauge: 0 uses in N processes, and check passes."""
    gauge = {"__name__": "ssot_process_uses", "job": "api", "ssot_mode": "redirect"}
    prometheus.write([({**gauge, "instance": f"p{n}", "ssot_process_start_unix_nano": str((NOW_MS - 60_000) * 10**6)},
                       [(NOW_MS - 50_000, 0), (NOW_MS - 40_000, 0)]) for n in range(3)])
    result = invoke("check", "--source", prometheus.source)
    assert result.exit_code == 0, result.output
    # The processes' starts are labels; when their data ends a store does not say: "from", no end.
    assert f"check passed: 0 legacy uses in 3 processes, from {at(60_000)[:16].replace('T', ' ')} UTC" \
        in result.output


# -- the names as they arrive ---------------------------------------------------------------------------
def test_older_code_attribute_names_and_the_python_exporters_form(prometheus: Prometheus) -> None:
    old = {"ssot_legacy_module": "old.mod", "code_filepath": "/app/y.py", "code_lineno": "7", "code_function": "f",
           "ssot_canonical_module": "new.mod", "service_name": "api", "service_instance_id": "i1"}
    prometheus.write([uses_series(old, [(30_000, 4)], name="ssot_legacy_uses__use_")])
    doc = report("--source", prometheus.source, "--until", at(0))
    assert sites(doc) == {("old.mod", "/app/y.py", 7, "f", None): 4}
    assert paths(doc) == {"old.mod": (4, 1, ["api"], 1)}


def test_two_forms_in_one_store_are_refused_then_chosen(prometheus: Prometheus) -> None:
    prometheus.write([uses_series({**SITE, "job": "api"}, [(30_000, 4)]),
                      uses_series({**SITE, "service_name": "api"}, [(30_000, 4)], name="ssot_legacy_uses__use_")])
    result = invoke("report", "--source", prometheus.source)
    assert result.exit_code == 2
    assert "both ssot_legacy_uses_total and ssot_legacy_uses__use_ hold uses" in result.stderr
    assert "?metric=NAME" in result.stderr
    doc = report("--source", prometheus.source + "?metric=ssot_legacy_uses__use_")
    assert doc["totals"]["uses"] == 4


def test_the_opentelemetry_remote_write_exporter_into_prometheus(prometheus: Prometheus) -> None:
    """OpenTelemetry's Python exporter (the package, with python-snappy on cramjam), cumulative, resources as labels."""
    from opentelemetry.exporter.prometheus_remote_write import PrometheusRemoteWriteMetricsExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    exporter = PrometheusRemoteWriteMetricsExporter(endpoint=f"{prometheus.url}/api/v1/write")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider([reader], resource=Resource.create({"service.name": "api", "service.instance.id": "i1"}))
    counter = provider.get_meter("ssot-runtime").create_counter("ssot.legacy.uses", unit="{use}")
    attrs = {"ssot.legacy.module": "old.mod", "ssot.canonical.module": "new.mod", "code.file.path": "/app/x.py",
             "code.line.number": 3, "code.function.name": "handle"}
    counter.add(5, attrs)
    reader.collect()
    counter.add(2, attrs)
    counter.add(1, {**attrs, "code.line.number": 4, "ssot.legacy.symbol": "Thing"})
    provider.shutdown()
    names = prometheus.query('count by (__name__) ({__name__=~"ssot.+"})')
    assert [n["metric"]["__name__"] for n in names] == ["ssot_legacy_uses__use_"]
    doc = report("--source", prometheus.source)
    assert sites(doc) == {AT3: 7, AT4: 1}
    assert paths(doc) == {"old.mod": (8, 2, ["api"], 1)}
    assert doc["legacy_paths"][0]["first_seen"] is None and doc["legacy_paths"][0]["last_seen"] is None
    markdown = invoke("report", "--source", prometheus.source, "--format", "markdown")
    assert "processes: 1; last seen -." in markdown.stdout


def test_a_prefix_and_filters(tmp_path: Path) -> None:
    with running(tmp_path / "prom", prefix="/prom") as prometheus:
        assert prometheus.source.endswith("/prom")
        prometheus.write([uses_series({**SITE, "job": "api", "instance": "p1"}, [(30_000, 4)]),
                          uses_series({**SITE, "job": "worker", "instance": "p2"}, [(30_000, 2)]),
                          uses_series({**SITE, "ssot_legacy_module": "other.mod", "job": "api", "instance": "p1"},
                                      [(30_000, 1)])])
        assert report("--source", prometheus.source)["totals"]["uses"] == 7
        assert report("--source", prometheus.source + "/")["totals"]["uses"] == 7
        source = prometheus.source
        assert paths(report("--source", source, "--service", "worker")) == {"old.mod": (2, 1, ["worker"], 1)}
        assert report("--source", source, "--legacy", "o?d.*")["totals"]["uses"] == 6
        assert report("--source", source, "--legacy", "other.*", "--legacy", "old.mod")["totals"]["uses"] == 7
        result = invoke("report", "--source", prometheus.source, "--service", "nobody")
        assert result.exit_code == 2 and "empty answer: no series of ssot_legacy_uses_total" in result.stderr


# -- errors: one line, the store and the cause ------------------------------------------------------------
class _Store(http.server.BaseHTTPRequestHandler):
    """A fake store's answers, by the test's choice: ``server.answer = (status, body, delay)``."""

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        server: Any = self.server
        server.seen.append(dict(self.headers))
        status, body, delay = server.answer
        time.sleep(delay)
        with contextlib.suppress(OSError):  # the reader gave up (the timeout case)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_store() -> Iterator[Any]:
    server: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    server.seen, server.answer = [], (200, '{"status": "success", "data": []}', 0.0)
    server.source = f"prometheus+http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def one_error(*args: str, env: dict[str, str] | None = None) -> str:
    result = invoke("report", *args, env=env)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    line: str = result.stderr.removeprefix("ssot-runtime: error: ").rstrip("\n")
    return line


def test_errors_are_one_line_naming_the_store_and_the_cause(fake_store: Any) -> None:
    source = fake_store.source
    refused = f"prometheus+http://127.0.0.1:{free_port()}/prom"
    assert one_error("--source", refused) == f"{refused}: connection refused (is the store running, on this host " \
                                             "and port?)"
    fake_store.answer = (503, "upstream unavailable\n", 0.0)
    assert one_error("--source", source) == f"{source}: HTTP 503 Service Unavailable: upstream unavailable"
    fake_store.answer = (400, '{"status":"error","errorType":"bad_data","error":"parse error:\\n bad"}', 0.0)
    assert one_error("--source", source) == f"{source}: HTTP 400 Bad Request: PromQL error (bad_data): parse error: bad"
    fake_store.answer = (200, "<html>a login page</html>", 0.0)
    assert one_error("--source", source) == f"{source}: not a Prometheus API answer (not JSON): " \
                                            "<html>a login page</html>"
    fake_store.answer = (200, '{"status": "success", "data": []}', 2.0)
    assert one_error("--source", source + "?timeout=0.5") == \
        f"{source}?timeout=0.5: no answer within 0.5 s (timeout; raise it with ?timeout=SECONDS)"
    assert one_error("--source", source + "?limit=3") == f"{source}?limit=3: unknown URL parameter 'limit' " \
                                                         "(accepted: metric, timeout)"
    assert one_error("--source", "prometheus+ftp://host") == \
        "prometheus+ftp://host: expected prometheus+http://HOST:PORT[/prefix] or prometheus+https://..."
    assert "credentials do not go in the URL" in one_error("--source", "prometheus+https://me:secret@host:9090")
    assert "secret" not in one_error("--source", "prometheus+https://me:secret@host:9090")
    assert "a store is read alone" in one_error("--source", source, "traces/")
    assert one_error("--source", "http://127.0.0.1:9090") == \
        "http://127.0.0.1:9090: expected prometheus+http://HOST:PORT[/prefix] or prometheus+https://..."
    assert "--bearer-token-env is for --source" in one_error("traces/", "--bearer-token-env", "TOKEN")


def test_the_bearer_token_comes_from_the_variable_named(fake_store: Any) -> None:
    fake_store.answer = (200, '{"status": "success", "data": []}', 0.0)
    message = one_error("--source", fake_store.source, "--bearer-token-env", "STORE_TOKEN", env={"STORE_TOKEN": ""})
    assert message == f"{fake_store.source}: the environment variable STORE_TOKEN (--bearer-token-env) is not set"
    assert fake_store.seen == []
    message = one_error("--source", fake_store.source, "--bearer-token-env", "STORE_TOKEN",
                        env={"STORE_TOKEN": "s3cr3t"})
    assert "empty answer" in message and "s3cr3t" not in message
    assert {seen.get("Authorization") for seen in fake_store.seen} == {"Bearer s3cr3t"}


@pytest.mark.parametrize("command", [["scan", "app.py", "--traces"], ["fix", "app.py", "--only-seen"],
                                     ["audit", ".", "--traces"]])
def test_every_reader_that_takes_a_store_takes_its_token(fake_store: Any, tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "app.py").write_text("import old.mod\n")
    (tmp_path / "ssot-runtime.toml").write_text('[redirects]\n"old.mod" = "new.mod"\n')
    args = [tmp_path / a if a in ("app.py", ".") else a for a in command]
    result = invoke(*map(str, args), fake_store.source, "--bearer-token-env", "STORE_TOKEN", "--config",
                    str(tmp_path / "ssot-runtime.toml"), env={"STORE_TOKEN": "s3cr3t"})
    assert result.exit_code == 2 and "empty answer" in result.stderr and "s3cr3t" not in result.output
    assert {seen.get("Authorization") for seen in fake_store.seen} == {"Bearer s3cr3t"}


def test_errors_from_a_real_prometheus(tmp_path: Path) -> None:
    """A wrong prefix (404), and a PromQL error of the store's own (too many samples for its limit)."""
    with running(tmp_path / "prom", extra=["--query.max-samples=2"]) as prometheus:
        prometheus.write([uses_series({**SITE, "job": "api", "instance": "p1"}, [(30_000, 4), (20_000, 5)]),
                          uses_series({**SITE, "job": "api", "instance": "p2"}, [(30_000, 4), (20_000, 5)])])
        message = one_error("--source", prometheus.source + "/grafana")
        assert message.startswith(f"{prometheus.source}/grafana: HTTP 404 Not Found")
        message = one_error("--source", prometheus.source)
        assert message.startswith(f"{prometheus.source}: HTTP 422 Unprocessable Entity: PromQL error (execution): "
                                  "query processing would load too many samples into memory")


def test_https_with_the_systems_certificates_or_ssl_cert_file(tmp_path: Path) -> None:
    with running(tmp_path / "prom", tls=True) as prometheus:
        assert prometheus.source.startswith("prometheus+https://127.0.0.1:")
        prometheus.write([uses_series({**SITE, "job": "api", "instance": "p1"}, [(30_000, 4)])])
        message = one_error("--source", prometheus.source, env={"SSL_CERT_FILE": ""})
        assert message == f"{prometheus.source}: TLS error: CERTIFICATE_VERIFY_FAILED: self-signed certificate " \
                          "(trust its CA through SSL_CERT_FILE)"
        result = invoke("report", "--source", prometheus.source, "--format", "json",
                        env={"SSL_CERT_FILE": str(prometheus.cafile)})
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["totals"]["uses"] == 4


@pytest.mark.parametrize("pattern", ["app.*", "app.ws.?anager", "app.[!l]*", "app.[lw]*", "a[b", "x+y(z)|w", "*"])
def test_legacy_globs_become_the_same_regexes(pattern: str) -> None:
    """``--legacy`` globs as RE2 regexes (anchored, as PromQL's =~ is): the same names as fnmatch."""
    import fnmatch
    import re

    from ssot_runtime.traces.prometheus import glob_regex

    names = ["app.ws", "app.legacy.models", "app.ws.manager", "app.ws.Manager", "a[b", "x+y(z)|w", "app", "b.app"]
    assert [n for n in names if re.fullmatch(glob_regex(pattern), n)] == \
        [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def test_by_day_from_the_store_is_the_files_series_bucket_by_bucket(tmp_path: Path) -> None:
    """30 days of several services written as the Collector would: the same uses per day and per
    path, the same processes per day, as the files give; a window cut by --since and --until too."""
    from .history import write_history

    folder = tmp_path / "traces"
    write_history(folder, days=30)
    with running(tmp_path / "prometheus", out_of_order="60d") as store:
        store.write(collector_series(sorted(folder.glob("*.metrics.jsonl"))))
        for window in ([], ["--since", "2026-11-10T00:00:00Z", "--until", "2026-11-20T12:00:00Z"]):
            from_files = series_doc(str(folder), *window)
            from_store = series_doc("--source", store.source, *window)
            assert from_store["buckets"] == from_files["buckets"]
            assert len(from_files["buckets"]) == (30 if not window else 11)
            assert from_store["total"] == from_files["total"]
            assert {p["legacy"]: p["uses"] for p in from_store["legacy_paths"]} == \
                {p["legacy"]: p["uses"] for p in from_files["legacy_paths"]}
        manager = next(p for p in series_doc("--source", store.source)["legacy_paths"]
                       if p["legacy"] == "app.ws.manager")
        assert manager["uses"][20:] == [0] * 10 and manager["uses"][19] == 6  # reaches zero on day 20
        page = tmp_path / "page.html"
        result = invoke("report", "--source", store.source, "--format", "html", "--output", str(page))
        assert result.exit_code == 0, result.output
        assert page.read_text().count('class="pt"') >= 30


def series_doc(*args: str) -> dict[str, Any]:
    result = invoke("report", *args, "--by", "day", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_series_growth_by_growth_and_sums_that_disagree_are_refused() -> None:
    """Each sample's growth since the previous one (a drop counts again from zero; before --since is
    the base); a path whose samples and the store's sum differ is refused, not shown."""
    from ssot_runtime.traces import store_series
    from ssot_runtime.traces.prometheus import PrometheusError
    from ssot_runtime.traces.timeline import HOUR_NS, Timeline

    hour_ms = HOUR_NS // 1_000_000
    timeline = Timeline()
    samples = [(1 * hour_ms, 3), (2 * hour_ms, 5), (3 * hour_ms, 2), (4 * hour_ms, 2)]
    assert store_series._add_growth(timeline, "old.mod", samples, None, 0) == 3 + 2 + 2
    assert timeline.hours == {("old.mod", 1, 1): 3, ("old.mod", 1, 2): 2, ("old.mod", 2, 3): 2}
    since = Timeline()
    assert store_series._add_growth(since, "old.mod", [(hour_ms, 3), (2 * hour_ms, 5), (5 * hour_ms, 9)],
                                    2 * hour_ms, 0) == 2 + 4
    assert since.hours == {("old.mod", 1, 2): 2, ("old.mod", 2, 5): 4}
    started = Timeline()  # the first growth runs from the process's start
    store_series._add_growth(started, "old.mod", [(3 * hour_ms, 4)], None, HOUR_NS)
    assert started.hours == {("old.mod", 1, 3): 4}
    store_series.agree({"old.mod": 7}, {"old.mod": 7}, "prometheus+http://x")
    with pytest.raises(PrometheusError, match=r"old\.mod: its samples add up to 6 uses and the store's sum to 7"):
        store_series.agree({"old.mod": 7}, {"old.mod": 6}, "prometheus+http://x")

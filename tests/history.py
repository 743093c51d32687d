"""A generated history: 30 days of runs of several services, in the exact local file format.

Every day each service runs two processes; each process writes one metrics file with hourly
delta exports of ``ssot.legacy.uses`` and its ``ssot.process.uses`` gauge, as the hook does.
``app.ws.manager`` falls to zero on day 20 and stays there; ``app.ws.unified_manager`` falls
slowly; ``app.legacy.models`` stays flat. ``CONFIG`` maps these and one path that is never used.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
SERVICES = ("api", "worker", "cron")
CONFIG = """\
mode = "warn"

[redirects]
"app.ws.unified_manager" = "app.ws.websocket_manager"
"app.ws.manager" = { to = "app.ws.websocket_manager", mode = "error", note = "see #1196", remove_after = 2026-11-15 }
"app.legacy.*" = { to = "app.core.*", note = "flat for now", remove_after = 2099-01-01 }
"app.core.interfaces:ManagerProtocol" = "app.ws.protocols:WebSocketManagerProtocol"
"""
CANONICAL = {"app.ws.unified_manager": "app.ws.websocket_manager", "app.ws.manager": "app.ws.websocket_manager",
             "app.legacy.models": "app.core.models"}


def daily_uses(day: int, days: int = 30) -> dict[str, int]:
    """The uses of each path on ``day`` (0-based), per process."""
    return {
        "app.ws.unified_manager": 40 - day,  # 40 .. 11 with 30 days
        "app.ws.manager": max(0, 20 - day),  # 20 .. 1, then 0 from day 20
        "app.legacy.models": 3,
    }


def _attr(key: str, value: object) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _point(legacy: str, site: int, start: int, end: int, uses: int) -> dict[str, Any]:
    return {"attributes": [
        _attr("ssot.legacy.module", legacy), _attr("ssot.canonical.module", CANONICAL[legacy]),
        _attr("ssot.mode", "warn"), _attr("code.file.path", f"/srv/app/src/app/{legacy.split('.')[-1]}_{site}.py"),
        _attr("code.line.number", 10 + site), _attr("code.function.name", f"handler_{site}")],
        "startTimeUnixNano": str(start), "timeUnixNano": str(end), "asInt": str(uses)}


def _line(service: str, instance: str, pid: int, metrics: list[dict[str, Any]]) -> str:
    resource = [_attr("service.name", service), _attr("service.instance.id", instance), _attr("process.pid", pid),
                _attr("host.name", "host-1")]
    return json.dumps({"resourceMetrics": [{"resource": {"attributes": resource}, "scopeMetrics": [
        {"scope": {"name": "ssot_runtime"}, "metrics": metrics}]}]}) + "\n"


def write_history(folder: Path, days: int = 30, sites: int = 3) -> dict[str, list[int]]:
    """Write the history into ``folder``; returns each path's uses per day (all processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = int(START.timestamp()) * 10**9
    expected: dict[str, list[int]] = {legacy: [0] * days for legacy in CANONICAL}
    pid = 1000
    for day in range(days):
        for number, service in enumerate(SERVICES):
            for run in range(2):
                pid += 1
                instance = f"{service}-{day}-{run}"
                begin = base + day * DAY_NS + (2 + 4 * number + 2 * run) * HOUR_NS  # 02:00 .. 12:00
                lines = []
                per_process = daily_uses(day, days)
                total = 0
                for export in range(2):  # two hourly exports, the uses split between them
                    start, end = begin + export * HOUR_NS, begin + (export + 1) * HOUR_NS
                    points = []
                    for legacy, uses in per_process.items():
                        share = uses // 2 if export == 0 else uses - uses // 2
                        for site in range(sites):
                            value = share // sites + (1 if site < share % sites else 0)
                            if value:
                                points.append(_point(legacy, site, start, end, value))
                                total += value
                    metrics = [{"name": "ssot.legacy.uses", "unit": "{use}", "sum": {
                        "aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points}}] if points else []
                    if export == 1:
                        metrics.append({"name": "ssot.process.uses", "unit": "{use}", "gauge": {"dataPoints": [
                            {"attributes": [_attr("ssot.process.start_unix_nano", begin)],
                             "timeUnixNano": str(end), "asInt": str(total)}]}})
                    lines.append(_line(service, instance, pid, metrics))
                for legacy, uses in per_process.items():
                    expected[legacy][day] += uses
                (folder / f"{service}-host-1-{pid}-{instance}.metrics.jsonl").write_text("".join(lines))
    return expected

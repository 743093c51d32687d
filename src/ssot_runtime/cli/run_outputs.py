"""What ``run`` says at the end: where the data went, or that no process left any.

The local folder is looked at before and after the command: a run whose processes all started
the hook leaves one metrics file per process (every process under the hook leaves evidence, also
with no legacy use), so a run that left none had no hook, and says so.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config import Config


def sizes(folder: str) -> dict[str, int]:
    """The metrics files in the output folder and their sizes."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    out = {}
    for name in names:
        if name.endswith(".metrics.jsonl"):
            try:
                out[name] = os.path.getsize(os.path.join(folder, name))
            except OSError:
                continue
    return out


def _endpoint(environ: dict[str, str]) -> str:
    for key in ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        if environ.get(key):
            return environ[key]
    grpc = (environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "").strip() == "grpc"
    return "http://localhost:4317 (the default)" if grpc else "http://localhost:4318 (the default)"


def describe(cfg: Config, environ: dict[str, str], before: dict[str, int]) -> list[str]:
    """The lines ``run`` prints on stderr once the command ended."""
    from ..telemetry.providers import sdk_disabled
    from ..traces.coverage import plural

    if sdk_disabled(environ):
        return ["ssot-runtime: OTEL_SDK_DISABLED=true: no telemetry was written"]
    if not cfg.exporters and not cfg.use_global_providers:
        return ["ssot-runtime: no exporter configured (exporters = []): no telemetry was written"]
    lines = []
    if "local" in cfg.exporters:
        folder = environ["SSOT_RUNTIME_OUTPUT"]
        after = sizes(folder)
        written = [name for name, size in after.items() if size > before.get(name, -1)]
        if written:
            lines.append(f"ssot-runtime: traces in {folder} ({plural(len(written), 'process', 'processes')} "
                         "left evidence)")
            lines.extend(_loaded_twice(folder, written))
        else:
            lines.append(f"ssot-runtime: no process of this run left evidence in {folder}: the hook did not "
                         "start in it (see any message above), so nothing was counted")
    if "otlp" in cfg.exporters:
        lines.append(f"ssot-runtime: telemetry exported over OTLP to {_endpoint(environ)} (failures are "
                     "logged through the ssot_runtime logger)")
    if "console" in cfg.exporters:
        lines.append("ssot-runtime: telemetry printed on the command's stdout (console exporter)")
    if cfg.use_global_providers:
        lines.append("ssot-runtime: telemetry sent through the application's own providers")
    return lines


def _loaded_twice(folder: str, names: list[str]) -> list[str]:
    """The hook's exit note, told: files this run's processes loaded under two module names."""
    import json

    from ..hook.duplicates import LOADED_TWICE
    from ..traces.coverage import plural
    from ..traces.read import Aggregate, Filters, _merge

    agg = Aggregate()
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if LOADED_TWICE in line:  # only the lines that hold a note are parsed
                        try:
                            _merge(agg, json.loads(line), Filters())
                        except (ValueError, KeyError, TypeError, AttributeError):
                            continue
        except OSError:
            continue
    if not agg.loaded_twice:
        return []
    lines = [f"ssot-runtime: {plural(len(agg.loaded_twice), 'file')} loaded under two module names (a module "
             f"object and a class object per name each; see ssot-runtime audit --traces {folder}):"]
    for file, entry in sorted(agg.loaded_twice.items()):
        lines.append(f"  {file}: {', '.join(sorted(entry['modules']))}")
    return lines

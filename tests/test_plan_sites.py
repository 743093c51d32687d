"""plan never guesses: a traced site is found again by its line's fingerprint, or listed as changed."""

from __future__ import annotations

import json
import tempfile
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ssot_runtime
from ssot_runtime import parse_config
from ssot_runtime.cli import app as cli
from ssot_runtime.hook.fingerprint import fingerprint

from .conftest import CONFIG

runner = CliRunner()
SOURCE = textwrap.dedent("""\
    import app.ws.unified_manager as legacy
    from app.ws.unified_manager import helper
    from app.legacy.models import VALUE


    def handle():
        return legacy.helper()


    for _ in range(30):
        handle()
""")


def traced(folder: Path, output: Path) -> Path:
    """SOURCE run under the hook from ``folder/user_app.py``, its traces flushed to ``output``."""
    folder.mkdir(exist_ok=True)
    source = folder / "user_app.py"
    source.write_text(SOURCE)
    rules = "".join(f'"{k}" = "{v}"\n' for k, v in CONFIG["redirects"].items())
    (folder / "ssot-runtime.toml").write_text("[redirects]\n" + rules)
    with ssot_runtime.tracking({**CONFIG, "service_name": "api"}) as hook:
        exec(compile(SOURCE, str(source), "exec"), {"__name__": "user_app"})
        hook.flush()
    return source


def plan_of(traces: Path, root: Path) -> dict[str, Any]:
    result = runner.invoke(cli, ["plan", str(traces), "--root", str(root), "--format", "json",
                                 "--config", str(root / "ssot-runtime.toml")])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def entries(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(c for b in plan["batches"] for c in b["changes"]), *plan["covered"], *plan["unresolved"]]


def test_a_line_added_above_the_traced_sites_moves_them_all(app: Path, tmp_path: Path,
                                                          telemetry_output: Path) -> None:
    source = traced(tmp_path / "proj", telemetry_output)
    source.write_text("import os\n" + SOURCE)  # the one-line edit: every site is one line lower now
    plan = plan_of(telemetry_output, tmp_path / "proj")
    assert plan["unresolved"] == []
    changes = {c["line"]: c for b in plan["batches"] for c in b["changes"]}
    assert sorted(changes) == [2, 3, 4]
    assert changes[2]["before"] == "import app.ws.unified_manager as legacy" and changes[2]["uses"] == 1
    assert changes[3]["before"] == "from app.ws.unified_manager import helper" and changes[3]["uses"] == 1
    assert changes[4]["before"] == "from app.legacy.models import VALUE" and changes[4]["uses"] == 1
    assert [(c["line"], c["uses"]) for c in plan["covered"]] == [(8, 30)]
    # Each change says which traced sites it carries, at the line they were traced on.
    assert [(s["line"], s["symbol"]) for s in changes[3]["sites"]] == [(2, "helper")]
    assert plan["covered"][0]["sites"][0]["line"] == 7



def test_each_use_point_carries_its_lines_fingerprint(app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    traced(tmp_path / "proj", telemetry_output)
    lines = SOURCE.split("\n")
    points = [{a["key"]: next(iter(a["value"].values())) for a in p["attributes"]}
              for f in telemetry_output.glob("*.metrics.jsonl") for line in f.read_text().splitlines()
              for rm in json.loads(line)["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]
              if m["name"] == "ssot.legacy.uses" for p in m["sum"]["dataPoints"]]
    assert len(points) == 4
    for attrs in points:
        assert attrs["ssot.site.fingerprint"] == fingerprint(lines[int(attrs["code.line.number"]) - 1])


def without_fingerprints(folder: Path) -> None:
    """The traces as a release before the fingerprint wrote them."""
    for path in folder.glob("*.metrics.jsonl"):
        text = path.read_text()
        for line in text.splitlines():
            for point in (p for rm in json.loads(line)["resourceMetrics"] for sm in rm["scopeMetrics"]
                          for m in sm["metrics"] if m["name"] == "ssot.legacy.uses" for p in m["sum"]["dataPoints"]):
                assert any(a["key"] == "ssot.site.fingerprint" for a in point["attributes"])
        path.write_text(text.replace('{"key":"ssot.site.fingerprint"', '{"key":"x.unused"'))


def test_older_traces_without_fingerprints_are_read_and_never_placed_on_another_statement(
        app: Path, tmp_path: Path, telemetry_output: Path) -> None:
    source = traced(tmp_path / "proj", telemetry_output)
    without_fingerprints(telemetry_output)
    plan = plan_of(telemetry_output, tmp_path / "proj")
    assert plan["unresolved"] == [] and len(entries(plan)) == 4  # the source as traced: all placed
    source.write_text("import os\n" + SOURCE)
    plan = plan_of(telemetry_output, tmp_path / "proj")
    for entry in entries(plan):
        for site in entry["sites"]:
            if entry["status"] in ("replace", "covered"):  # placed only on a line naming what was used
                assert (site["symbol"] or site["legacy"].rpartition(".")[2]) in entry["before"], entry
    assert sum(len(e["sites"]) for e in entries(plan)) == 4

# -- every traced site is in exactly one entry, whatever happened to the file ----------------------

POOL = {  # a line -> the sites a run of it records: (legacy, symbol)
    "import app.ws.unified_manager as legacy": [("app.ws.unified_manager", None)],
    "import app.ws.unified_manager": [("app.ws.unified_manager", None)],
    "from app.ws.unified_manager import helper": [("app.ws.unified_manager", "helper")],
    "from app.legacy.models import VALUE": [("app.legacy.models", "VALUE")],
    "x = legacy.helper()": [("app.ws.unified_manager", "helper")],
    "z = app.ws.unified_manager.helper": [("app.ws.unified_manager", "helper")],
    "y = 1": [],
}
CANONICAL = {"app/__init__.py": "", "app/ws/__init__.py": "", "app/core/__init__.py": "",
             "app/ws/websocket_manager.py": "def helper():\n    pass\n\n\nclass WebSocketManager:\n    pass\n",
             "app/core/models.py": "VALUE = 1\n"}
lines_st = st.lists(st.sampled_from(sorted(POOL)), min_size=1, max_size=10)
edit_st = st.lists(st.tuples(st.sampled_from(["insert", "delete", "duplicate", "swap"]),
                             st.integers(0, 20), st.integers(0, 20)), max_size=4)


def trace_report(lines: list[str], file: str) -> tuple[dict[str, Any], Counter[tuple[Any, ...]]]:
    """The report of a run of ``lines``: each site with its traced line's fingerprint."""
    paths: dict[str, dict[str, Any]] = {}
    traced: Counter[tuple[Any, ...]] = Counter()
    for number, text in enumerate(lines, 1):
        for uses, (legacy, symbol) in enumerate(POOL[text], number):
            site = {"file": file, "line": number, "symbol": symbol, "function": "m.<module>", "uses": uses,
                    "fingerprints": [fingerprint(text)]}
            paths.setdefault(legacy, {"legacy": legacy, "sites": []})["sites"].append(site)
            traced[(legacy, symbol, "m.<module>", number, uses)] += 1
    return {"legacy_paths": list(paths.values())}, traced


def edited(lines: list[str], edits: list[tuple[str, int, int]]) -> list[str]:
    out = list(lines)
    for kind, i, j in edits:
        if kind == "insert":
            out.insert(i % (len(out) + 1), "y = 1")
        elif out and kind == "delete":
            del out[i % len(out)]
        elif out and kind == "duplicate":
            out.insert(j % (len(out) + 1), out[i % len(out)])
        elif out:
            a, b = i % len(out), j % len(out)
            out[a], out[b] = out[b], out[a]
    return out


def plan_entries(lines: list[str], now: list[str] | None) -> tuple[list[dict[str, Any]], Counter[tuple[Any, ...]]]:
    from ssot_runtime.analysis.plan import plan_changes

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in CANONICAL.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        if now is not None:
            (root / "m.py").write_text("\n".join(now) + "\n")
        report, traced = trace_report(lines, "m.py")
        changes = plan_changes(report, parse_config(CONFIG), str(root))
    return [c.as_dict() for c in changes], traced


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st, edits=edit_st, gone=st.booleans())
def test_every_traced_site_is_in_exactly_one_entry(lines: list[str], edits: list[tuple[str, int, int]],
                                                  gone: bool) -> None:
    entries, traced = plan_entries(lines, None if gone else edited(lines, edits))
    listed = Counter((s["legacy"], s["symbol"], s["function"], s["line"], s["uses"]) for e in entries
                     for s in e["sites"])
    assert listed == traced
    for entry in entries:
        assert entry["status"] in ("replace", "covered", "changed", "missing", "refused")
        assert entry["uses"] == sum(s["uses"] for s in entry["sites"])
        if entry["status"] != "replace":
            assert len(entry["sites"]) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st.filter(lambda ls: len(set(ls)) == len(ls) and (
    "x = legacy.helper()" not in ls or "import app.ws.unified_manager as legacy" in ls)),
    at=st.lists(st.integers(0, 10), max_size=3))
def test_lines_added_anywhere_move_the_sites_with_their_statements(lines: list[str], at: list[int]) -> None:
    now = list(lines)
    for i in at:
        now.insert(i % (len(now) + 1), "# a comment added since the trace")
    entries, _ = plan_entries(lines, now)
    for entry in entries:
        assert entry["status"] != "changed", entry
        for site in entry["sites"]:  # the entry is where the site's statement is now
            assert now[entry["line"] - 1] == lines[site["line"] - 1] or entry["status"] == "replace"


def test_fix_only_seen_follows_moved_statements_and_names_the_ones_gone(app: Path, tmp_path: Path,
                                                                       telemetry_output: Path) -> None:
    source = traced(tmp_path / "proj", telemetry_output)
    source.write_text("import os\n" + SOURCE.replace("from app.legacy.models import VALUE", "VALUE = 1"))
    result = runner.invoke(cli, ["fix", str(tmp_path / "proj"), "--only-seen", str(telemetry_output),
                                 "--config", str(tmp_path / "proj" / "ssot-runtime.toml")])
    assert result.exit_code == 0, result.output
    gone = [line for line in result.stderr.splitlines() if line.startswith("not found: ")]
    assert gone == [f"not found: {source}:3: app.legacy.models.VALUE: changed since the trace: line 3 no longer "
                    "holds the traced statement, and no other line does"]
    assert "+from app.ws.websocket_manager import helper" in result.stdout  # the moved ones are rewritten

"""plan never guesses: a traced site is found again by its line's fingerprint, or listed as changed."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import ssot_runtime
from ssot_runtime.cli import app as cli

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
    with ssot_runtime.tracking({**CONFIG, "service_name": "api"}) as hook:
        exec(compile(SOURCE, str(source), "exec"), {"__name__": "user_app"})
        hook.flush()
    return source


def plan_of(traces: Path, root: Path) -> dict[str, Any]:
    result = runner.invoke(cli, ["plan", str(traces), "--root", str(root), "--format", "json"])
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

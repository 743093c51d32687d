"""`make bench --quick` as a smoke test: every row runs and is written; ratios are not asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_quick(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "OTEL_"))}
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert all(set(r) == {"name", "ratio", "target", "detail", "result", "python"} for r in rows)
    names = " ".join(r["name"] for r in rows)
    for expected in ("non-legacy import", "hot legacy.Foo read", "from legacy import Foo", "first import",
                     "4 threads", "flush of", "exit delay", "report over", "report --format html", "scan of",
                     "live module: canonical name read", "live module: legacy name read", "from live import OldFoo",
                     "report --source prometheus"):
        assert expected in names
    assert {r["python"] for r in rows} == {f"{sys.version_info[0]}.{sys.version_info[1]}"}
    assert "counts exact: True" in next(r["detail"] for r in rows if r["name"].startswith("4 threads"))
    assert not list(tmp_path.glob(".ssot-runtime/*"))

"""`make bench`: every row in one table, written to benchmarks/results/py3.X.json (the version's own file).

Each row is a ratio measured in one run (paired or alternating samples, medians), against its
baseline in the same process or in alternating subprocesses, with PASS/MISS against its target.

    python benchmarks/run.py            # minutes
    python benchmarks/run.py --quick    # seconds: a smoke test (make test runs it; ratios not asserted)
    python benchmarks/run.py --python .nox/tests-3-12/bin/python   # the rows on another interpreter
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hook_speed  # noqa: E402
import pipeline  # noqa: E402
import store_speed  # noqa: E402
from _common import ROWS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, help="where the rows go (default: results/py3.X.json)")
    parser.add_argument("--python", help="run the rows on this interpreter (ssot-runtime installed in it)")
    args = parser.parse_args()
    if args.python:
        command = [args.python, __file__, *(["--quick"] if args.quick else []),
                   *(["--json", str(args.json)] if args.json else [])]
        return subprocess.run(command, check=False).returncode
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    args.json = args.json or HERE / "results" / f"{'quick-' if args.quick else ''}py{version}.json"
    print(f"Python {platform.python_version()} ({sys.executable})\n")
    warnings.simplefilter("ignore")
    hook_speed.run_rows(args.quick)
    print()
    pipeline.main(args.quick)
    store_speed.main(args.quick)
    rows = [{k: r[k] for k in ("name", "ratio", "target", "detail")} | {"result": r["result"], "python": version}
            for r in ROWS]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    misses = [r["name"] for r in rows if r["result"] == "MISS"]
    print(f"\n{len(rows)} rows written to {args.json}; {len(misses)} missed their target"
          + (": " + "; ".join(misses) if misses else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

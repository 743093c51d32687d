"""`make bench`: every row in one table, written to benchmarks/results/latest.json.

Each row is a ratio measured in one run (paired or alternating samples, medians), against its
baseline in the same process or in alternating subprocesses, with PASS/MISS against its target.

    python benchmarks/run.py            # minutes
    python benchmarks/run.py --quick    # seconds: a smoke test (make test runs it; ratios not asserted)
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hook_speed  # noqa: E402
import pipeline  # noqa: E402
from _common import ROWS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    hook_speed.run_rows(args.quick)
    print()
    pipeline.main(args.quick)
    rows = [{k: r[k] for k in ("name", "ratio", "target", "detail")} | {"result": r["result"]} for r in ROWS]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    misses = [r["name"] for r in rows if r["result"] == "MISS"]
    print(f"\n{len(rows)} rows written to {args.json}; {len(misses)} missed their target"
          + (": " + "; ".join(misses) if misses else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

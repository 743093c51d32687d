"""`make bench-instructions`: the hook rows as instruction counts (valgrind's callgrind).

Timed ratios on a shared machine move by several percent from run to run; instruction counts
do not (the same total for the same binary, inputs and environment, whatever else runs). Each
operation runs in a child process under callgrind at two loop counts; the difference divided
by the difference of the counts is its cost in instructions, start-up and set-up cancelled out.

    python benchmarks/instructions.py                 # this interpreter
    python benchmarks/instructions.py --python PATH   # another one (ssot-runtime installed in it)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r'''
import importlib, sys, types
root, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
import ssot_runtime
if mode != "nonlegacy-none":
    ssot_runtime.install({"exporters": [], "redirects": {"bench_app.legacy": "bench_app.canonical"}})
import bench_app.canonical as canonical
im, mods = importlib.import_module, sys.modules
if mode.startswith(("hot", "from")):
    import bench_app.legacy as legacy
    legacy.Foo
if mode == "first-floor":
    import importlib.machinery
    class Alias:
        def find_spec(self, name, path=None, target=None):
            return importlib.machinery.ModuleSpec(name, self) if name == "bench_app.alias" else None
        def create_module(self, spec):
            return None
        def exec_module(self, module):
            module.__dict__.update(vars(canonical))
    sys.meta_path.insert(1, Alias())
def loop():
    if mode == "hot-legacy":
        for _ in range(n): legacy.Foo
    elif mode == "hot-canonical":
        for _ in range(n): canonical.Foo
    elif mode == "from-legacy":
        for _ in range(n): from bench_app.legacy import Foo
    elif mode == "from-canonical":
        for _ in range(n): from bench_app.canonical import Foo
    elif mode == "first-legacy":
        for _ in range(n): mods.pop("bench_app.legacy", None); im("bench_app.legacy")
    elif mode == "first-floor":
        for _ in range(n): mods.pop("bench_app.alias", None); im("bench_app.alias")
    elif mode == "first-base":
        for _ in range(n): mods.pop("bench_app.nothing", None); im("bench_app.canonical")
    elif mode.startswith("nonlegacy"):
        for _ in range(n): mods.pop("bench_app.plain", None); im("bench_app.plain")
loop()
'''

# (row, measured mode, baseline mode, loop counts): the ratio of their instructions per operation.
ROWS = [
    ("non-legacy import, hook vs none", "nonlegacy-hook", "nonlegacy-none", (200, 400)),
    ("hot legacy.Foo read (recorded) vs canonical.Foo", "hot-legacy", "hot-canonical", (20_000, 40_000)),
    ("from legacy import Foo vs from canonical import Foo", "from-legacy", "from-canonical", (5_000, 10_000)),
    ("first import of a legacy name vs cached import", "first-legacy", "first-base", (500, 1_000)),
    ("  (floor: a bare finder + loader, no recording)", "first-floor", "first-base", (500, 1_000)),
]


def instructions(python: str, root: Path, mode: str, n: int) -> int:
    out = root / f"callgrind.{mode}.{n}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "OTEL_"))}
    env["PYTHONHASHSEED"] = "0"  # the same dict layouts every run: the same counts
    result = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python,
                             str(root / "child.py"), str(root), mode, str(n)],
                            capture_output=True, text=True, timeout=900, env=env, check=False)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {mode} x {n}:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def per_op(python: str, root: Path, mode: str, counts: tuple[int, int]) -> float:
    low, high = counts
    return (instructions(python, root, mode, high) - instructions(python, root, mode, low)) / (high - low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--json", type=Path, help="where the rows go (default: results/instructions-py3.X.json)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    version = subprocess.run([args.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bench_app").mkdir()
        (root / "bench_app" / "__init__.py").write_text("")
        (root / "bench_app" / "canonical.py").write_text("class Foo:\n    pass\n")
        (root / "bench_app" / "plain.py").write_text("X = 1\n")
        (root / "child.py").write_text(CHILD)
        subprocess.run([args.python, "-m", "compileall", "-q", str(root / "bench_app")], check=True)
        print(f"Python {version} ({args.python}): instructions per operation, measured / baseline\n")
        for name, measured, baseline, counts in ROWS:
            ours, base = per_op(args.python, root, measured, counts), per_op(args.python, root, baseline, counts)
            ratio = ours / base
            rows.append({"name": name, "ratio": round(ratio, 3), "instructions": round(ours), "baseline": round(base),
                         "python": version})
            print(f"{name:<52} {ratio:8.3f}x  {ours:10.0f} vs {base:8.0f} instructions")
    path = args.json or HERE / "results" / f"instructions-py{version}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\n{len(rows)} rows written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

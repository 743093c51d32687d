"""Live modules (a module that stays, some of its names moved): the three reads, each a paired ratio.

    python benchmarks/live_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import ssot_runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import info, paired, row

BODY = "class Foo:\n    pass\n\nKEEP = 1\n" + "".join(f"V{i} = {i}\n" for i in range(50))


def loop_timer(source: str, namespace: dict[str, object], n: int) -> Callable[[], float]:
    exec(f"def _bench(_n):\n    for _ in range(_n):\n        {source}\n", namespace)
    fn = namespace["_bench"]

    def run() -> float:
        t0 = time.perf_counter()
        fn(n)  # type: ignore[operator]
        return time.perf_counter() - t0

    return run


def run_rows(quick: bool) -> None:
    n = 20_000 if quick else 200_000
    pairs = 5 if quick else 31
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bench_live").mkdir()
        (root / "bench_live" / "__init__.py").write_text("")
        for name in ("canonical", "live", "plain", "floor"):
            (root / "bench_live" / f"{name}.py").write_text(BODY)
        compileall.compile_dir(str(root), quiet=1)
        sys.path.insert(0, str(root))
        config = {"exporters": [], "redirects": {"bench_live.live:OldFoo": "bench_live.canonical:Foo"}}
        hook = ssot_runtime.install(config)
        ns: dict[str, object] = {}
        exec("import bench_live.live as live, bench_live.plain as plain, bench_live.canonical as canonical\n"
             "import bench_live.floor as floor\n"
             "floor.__class__ = type('Floor', (type(floor),), {'__slots__': ()})", ns)
        plain_read = loop_timer("plain.KEEP", ns, n)
        keep = paired(loop_timer("live.KEEP", ns, n), plain_read, pairs)
        row("live module: canonical name read vs plain read", keep, 2.5,
            f"a module with a legacy name, its other names; {n} reads a sample")
        floor = paired(loop_timer("floor.KEEP", ns, n), plain_read, pairs)
        info("  (floor: any ModuleType subclass, no property)", floor, "the interpreter's unspecialised read")
        old = paired(loop_timer("live.OldFoo", ns, n), loop_timer("canonical.Foo", ns, n), pairs)
        row("live module: legacy name read (recorded) vs plain", old, 40, f"live.OldFoo vs canonical.Foo; {n} reads")
        from_ = paired(loop_timer("from bench_live.live import OldFoo", ns, n // 4),
                       loop_timer("from bench_live.canonical import Foo", ns, n // 4), pairs)
        row("from live import OldFoo vs from canonical import Foo", from_, 2.5, f"{n // 4} imports a sample")
        untouched = paired(loop_timer("canonical.KEEP", ns, n), plain_read, pairs)
        info("  (a module without legacy names, hook installed)", untouched, "canonical.KEEP vs plain.KEEP")
        total = sum(r.count for r in hook.snapshot())
        hook.uninstall()
        print(f"{total} live-module uses recorded during the run")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    run_rows(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

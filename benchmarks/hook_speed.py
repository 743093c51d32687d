"""The redirect hook's four speed figures, each a ratio measured in one process.

Machines here are shared and noisy, so every figure is a median of paired samples: the measured
operation and its baseline run alternately, and each pair gives one ratio.

    python benchmarks/hook_speed.py            # full run
    python benchmarks/hook_speed.py --quick    # seconds, for a smoke test (ratios not asserted)
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import ssot_runtime

ROWS: list[dict[str, object]] = []


def paired(measure: Callable[[], float], baseline: Callable[[], float], pairs: int) -> float:
    """Median over ``pairs`` of measure/baseline, alternating which runs first."""
    ratios = []
    for i in range(pairs):
        if i % 2:
            b, m = baseline(), measure()
        else:
            m, b = measure(), baseline()
        ratios.append(m / b)
    return statistics.median(ratios)


def loop_timer(source: str, namespace: dict[str, object], n: int) -> Callable[[], float]:
    """A timer running ``source`` n times inside one function (locals, no timeit overhead)."""
    code = f"def _bench(_n):\n    for _ in range(_n):\n        {source}\n"
    exec(code, namespace)
    fn = namespace["_bench"]

    def run() -> float:
        t0 = time.perf_counter()
        fn(n)  # type: ignore[operator]
        return time.perf_counter() - t0

    return run


def make_tree(root: Path, modules: int) -> None:
    (root / "bench_app").mkdir()
    (root / "bench_app" / "__init__.py").write_text("")
    (root / "bench_app" / "canonical.py").write_text(
        "class Foo:\n    pass\n\ndef helper():\n    return 1\n" + "".join(f"V{i} = {i}\n" for i in range(50))
    )
    gen = root / "bench_gen"
    gen.mkdir()
    (gen / "__init__.py").write_text("")
    for i in range(modules):
        (gen / f"m{i}.py").write_text(f"X = {i}\ndef f():\n    return X\n")


def row(name: str, ratio: float, target: float, detail: str) -> None:
    ok = "PASS" if ratio <= target else "MISS"
    ROWS.append({"name": name, "ratio": round(ratio, 3), "target": target, "detail": detail, "result": ok})
    print(f"{name:<48} {ratio:8.3f}x  target <= {target:<6} {ok}  {detail}")


def bench_non_legacy(modules: int, config: dict[str, object]) -> None:
    """Importing fresh .py modules with the hook installed vs without, alternating batches."""
    batch = 50
    names = [f"bench_gen.m{i}" for i in range(modules)]
    importlib.import_module("bench_gen")
    batches = [names[i : i + batch] for i in range(0, len(names), batch)]
    hook = ssot_runtime.install(config)
    hook.uninstall()

    def timed(group: list[str], with_hook: bool) -> float:
        if with_hook:
            hook.install()
        t0 = time.perf_counter()
        for name in group:
            importlib.import_module(name)
        elapsed = time.perf_counter() - t0
        if with_hook:
            hook.uninstall()
        return elapsed

    ratios = []
    for i in range(0, len(batches) - 1, 2):
        first_hook = (i // 2) % 2 == 0
        a = timed(batches[i], first_hook)
        b = timed(batches[i + 1], not first_hook)
        ratios.append(a / b if first_hook else b / a)
    # The finder's own cost per non-legacy import, against a whole import of one module.
    finder = hook.finder
    t0 = time.perf_counter()
    for _ in range(100_000):
        finder.find_spec("bench_gen.not_legacy", None)
    per_call = (time.perf_counter() - t0) / 100_000
    whole = statistics.median(
        timed(batches[i], False) / len(batches[i]) for i in range(len(batches) - 4, len(batches))
    ) if False else None
    del whole
    row("non-legacy import, hook vs none", statistics.median(ratios), 1.01,
        f"{modules} fresh modules in batches of {batch}; finder.find_spec miss = {per_call * 1e9:.0f} ns")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    quick = args.quick
    n = 20_000 if quick else 200_000
    pairs = 5 if quick else 31
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root, 200 if quick else 2000)
        sys.path.insert(0, str(root))
        config = {"redirects": {"bench_app.legacy": "bench_app.canonical"}}
        print(f"Python {sys.version.split()[0]}; ratios are medians of {pairs} paired samples\n")
        bench_non_legacy(200 if quick else 2000, config)

        hook = ssot_runtime.install(config)
        ns: dict[str, object] = {}
        exec("import bench_app.canonical as canonical\nimport bench_app.legacy as legacy", ns)
        hot = paired(loop_timer("legacy.Foo", ns, n), loop_timer("canonical.Foo", ns, n), pairs)
        row("hot legacy.Foo read (recorded) vs canonical.Foo", hot, 40, f"{n} reads a sample")
        from_ = paired(loop_timer("from bench_app.legacy import Foo", ns, n // 4),
                       loop_timer("from bench_app.canonical import Foo", ns, n // 4), pairs)
        row("from legacy import Foo vs from canonical import Foo", from_, 2.5, f"{n // 4} imports a sample")
        first_n = n // 100
        env = {"sys": sys, "import_module": importlib.import_module}
        first = paired(
            loop_timer("sys.modules.pop('bench_app.legacy', None); import_module('bench_app.legacy')", env, first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import_module('bench_app.canonical')", env,
                       first_n),
            pairs,
        )
        row("first import of a legacy name vs cached import", first, 30,
            f"importlib.import_module both sides; {first_n} first imports a sample")
        stmt = paired(
            loop_timer("sys.modules.pop('bench_app.legacy', None); import bench_app.legacy", env, first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import bench_app.canonical", env, first_n),
            pairs,
        )
        print(f"{'  (same, import statements both sides)':<48} {stmt:8.3f}x  (information)")
        total = sum(r.count for r in hook.snapshot())
        hook.uninstall()
        print(f"\n{total} uses recorded during the run")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(ROWS, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

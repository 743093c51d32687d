"""The redirect hook's four speed figures, each a ratio measured in one process.

Machines here are shared and noisy, so every figure is a median of paired samples: the measured
operation and its baseline run alternately, and each pair gives one ratio.

    python benchmarks/hook_speed.py            # full run
    python benchmarks/hook_speed.py --quick    # seconds, for a smoke test (ratios not asserted)
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import importlib.machinery
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import ssot_runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROWS, info, loop_timer, paired, row


class _AliasFinder:
    """The least a meta_path redirect can do: a spec and a module holding the canonical's names."""

    def __init__(self, name: str, canonical: str) -> None:
        self.name, self.canonical = name, canonical

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname == self.name else None

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: object) -> None:
        module.__dict__.update(vars(importlib.import_module(self.canonical)))  # type: ignore[attr-defined]


def install_frame_floor(name: str, canonical: object) -> None:
    """A module whose ``__spec__`` and ``Foo`` are properties doing no more than reading the
    caller's frame position: what any recording of ``from x import Foo`` per site costs at least."""
    import types

    module = types.ModuleType(name)
    namespace = module.__dict__
    namespace["__spec__"] = canonical.__spec__  # type: ignore[attr-defined]
    foo = canonical.Foo  # type: ignore[attr-defined]
    getframe = sys._getframe

    class FrameFloor(types.ModuleType):
        @property  # type: ignore[misc]
        def __spec__(self) -> object:
            getframe(1).f_lasti  # noqa: B018
            return namespace["__spec__"]

        @property
        def Foo(self) -> object:
            getframe(1).f_lasti  # noqa: B018
            return foo

    module.__class__ = FrameFloor
    sys.modules[name] = module


def make_tree(root: Path, modules: int) -> None:
    (root / "bench_app").mkdir()
    (root / "bench_app" / "__init__.py").write_text("")
    (root / "bench_app" / "canonical.py").write_text(
        "class Foo:\n    pass\n\ndef helper():\n    return 1\n" + "".join(f"V{i} = {i}\n" for i in range(50))
    )
    shims = {
        "shim_forward.py": "import bench_app.canonical as _c\n\n\ndef __getattr__(name):\n"
                           "    return getattr(_c, name)\n",
        "shim_warn.py": "import warnings\nimport bench_app.canonical as _c\n\n\ndef __getattr__(name):\n"
                        "    warnings.warn(f'bench_app.shim_warn.{name} is deprecated', DeprecationWarning, 2)\n"
                        "    return getattr(_c, name)\n",
        "file_shim.py": "import warnings\nwarnings.warn('bench_app.file_shim is deprecated', DeprecationWarning, 2)\n"
                        "from bench_app.canonical import *  # noqa\n",
    }
    for name, text in shims.items():
        (root / "bench_app" / name).write_text(text)
    for package, body in (("bench_gen", MODULE), ("bench_tiny", "X = {i}\ndef f():\n    return X\n")):
        folder = root / package
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        for i in range(modules):
            (folder / f"m{i}.py").write_text(body.format(i=i))


# A generated module of a service: imports of loaded modules, a class, functions, constants.
MODULE = '''"""Module {i} of a generated service."""
import os
import sys

LIMITS = {{"retries": 3, "timeout": 2.5, "name": "m{i}"}}
__all__ = ["Handler{i}", "make{i}", "check{i}"]


class Handler{i}:
    """Handles requests of kind {i}."""

    def __init__(self, name, limit=LIMITS["retries"]):
        self.name = name
        self.limit = limit
        self.seen = []

    def handle(self, request):
        if len(self.seen) >= self.limit:
            raise RuntimeError(f"{{self.name}}: too many requests")
        self.seen.append(request)
        return {{"handled": request, "by": self.name}}

    def reset(self):
        self.seen.clear()

    def __repr__(self):
        return f"Handler{i}({{self.name!r}})"


def make{i}(name="default"):
    return Handler{i}(name)


def check{i}(value):
    if not isinstance(value, (int, float)):
        return False
    return 0 <= value <= LIMITS["timeout"] * {i}


def describe{i}():
    return os.path.join("m{i}", sys.platform)
'''



def bench_non_legacy(modules: int, config: dict[str, object], rounds: int, package: str = "bench_gen",
                     label: str = "non-legacy import, hook vs none", target: float | None = 1.01) -> None:
    """Importing .pyc modules with the finder in sys.meta_path vs without.

    The effect is well under 1%, so pairs are as fine as can be: two modules of the same
    shape, one imported with the finder and one without, the order alternating; each pair
    gives a ratio, and the figure is the median over every pair of every round.
    """
    names = [f"{package}.m{i}" for i in range(modules)]
    importlib.import_module(package)
    hook = ssot_runtime.install(config)
    finder = hook.finder
    hook.uninstall()
    meta_path = sys.meta_path
    clock = time.perf_counter

    def one(name: str, with_hook: bool) -> float:
        if with_hook:
            meta_path.insert(0, finder)
        t0 = clock()
        importlib.import_module(name)
        elapsed = clock() - t0
        if with_hook:
            meta_path.remove(finder)
        return elapsed

    ratios, extra = [], []
    for round_ in range(rounds):
        for name in names:
            sys.modules.pop(name, None)
        for i in range(0, len(names) - 1, 2):
            hook_first = (i // 2 + round_) % 2 == 0
            a = one(names[i], hook_first)
            b = one(names[i + 1], not hook_first)
            on, off = (a, b) if hook_first else (b, a)
            ratios.append(on / off)
            extra.append(on - off)
    t0 = time.perf_counter()
    for _ in range(100_000):
        finder.find_spec(f"{package}.not_legacy", None)
    per_call = (time.perf_counter() - t0) / 100_000
    detail = (f"{modules} .pyc modules x {rounds} rounds, {len(ratios)} pairs; median extra "
              f"{statistics.median(extra) * 1e9:.0f} ns an import; finder miss alone {per_call * 1e9:.0f} ns")
    if target is None:
        info(label, statistics.median(ratios), detail)
    else:
        row(label, statistics.median(ratios), target, detail)


def peers(ns: dict[str, object], n: int, pairs: int, ours: float) -> None:
    """Row 2's peers, each against the same plain read in the same run."""
    import six
    import wrapt

    exec("import bench_app.shim_forward as shim_forward\nimport bench_app.shim_warn as shim_warn", ns)
    sys.modules["bench_app.alias_mod"] = sys.modules["bench_app.canonical"]
    exec("import bench_app.alias_mod as alias_mod", ns)
    ns["proxy"] = wrapt.ObjectProxy(sys.modules["bench_app.canonical"])
    six.add_move(six.MovedModule("bench_canonical", "bench_app.canonical", "bench_app.canonical"))
    ns["moves"] = six.moves
    base = loop_timer("canonical.Foo", ns, n)
    recorders = []
    for label, expr, records in (
        ("peer: pure alias (sys.modules entry)", "alias_mod.Foo", False),
        ("peer: PEP 562 shim that forwards", "shim_forward.Foo", False),
        ("peer: PEP 562 shim + warnings.warn per read", "shim_warn.Foo", True),
        ("peer: six.moves MovedModule", "moves.bench_canonical.Foo", False),
        ("peer: wrapt.ObjectProxy module wrapper", "proxy.Foo", False),
    ):
        ratio = paired(loop_timer(expr, ns, n), base, pairs)
        info(f"  ({label})", ratio, "records nothing" if not records else "warns on every read")
        if records:
            recorders.append(ratio)
    if recorders:
        row("hot read: ours beats every peer that records or warns", ours / min(recorders), 1.0,
            "ratio of our row to the cheapest recording or warning peer")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    run_rows(args.quick)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(ROWS, indent=2) + "\n")
    return 0


def run_rows(quick: bool) -> None:
    """Rows 1-4 and their peers."""
    n = 20_000 if quick else 200_000
    pairs = 5 if quick else 31
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root, 200 if quick else 2000)
        compileall.compile_dir(str(root), quiet=1)  # .pyc imports: the fastest, the harshest case
        sys.path.insert(0, str(root))
        # Telemetry off: these rows measure the hook; its export threads would share the GIL.
        config = {"exporters": [], "redirects": {"bench_app.legacy": "bench_app.canonical"}}
        print(f"Python {sys.version.split()[0]}; ratios are medians of {pairs} paired samples\n")
        bench_non_legacy(200 if quick else 2000, config, 1 if quick else 3)
        bench_non_legacy(200 if quick else 2000, config, 1 if quick else 3, "bench_tiny",
                         "  (same, 3-line modules: the worst case)", None)

        hook = ssot_runtime.install(config)
        ns: dict[str, object] = {}
        exec("import bench_app.canonical as canonical\nimport bench_app.legacy as legacy", ns)
        hot = paired(loop_timer("legacy.Foo", ns, n), loop_timer("canonical.Foo", ns, n), pairs)
        row("hot legacy.Foo read (recorded) vs canonical.Foo", hot, 12, f"{n} reads a sample")
        peers(ns, n, pairs, hot)
        from_ = paired(loop_timer("from bench_app.legacy import Foo", ns, n // 4),
                       loop_timer("from bench_app.canonical import Foo", ns, n // 4), pairs)
        row("from legacy import Foo vs from canonical import Foo", from_, 2.5, f"{n // 4} imports a sample")
        install_frame_floor("bench_app.frame_floor", sys.modules["bench_app.canonical"])
        from_floor = paired(loop_timer("from bench_app.frame_floor import Foo", ns, n // 4),
                            loop_timer("from bench_app.canonical import Foo", ns, n // 4), pairs)
        info("  (floor: __spec__ and Foo as properties that only read the caller's frame)", from_floor,
             "the least a per-site count needs: both reads are Python calls")
        first_n = n // 100
        env = {"sys": sys, "import_module": importlib.import_module}
        sys.meta_path.insert(1, _AliasFinder("bench_app.alias", "bench_app.canonical"))
        floor = paired(
            loop_timer("sys.modules.pop('bench_app.alias', None); import_module('bench_app.alias')", env, first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import_module('bench_app.canonical')", env,
                       first_n),
            pairs,
        )
        first = paired(
            loop_timer("sys.modules.pop('bench_app.legacy', None); import_module('bench_app.legacy')", env, first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import_module('bench_app.canonical')", env,
                       first_n),
            pairs,
        )
        # Issue 17: what is ours (the recording) may add 15% to the floor, what any finder plus
        # loader costs here, on every version.
        target = round(1.15 * floor, 1)
        row("first import of a legacy name vs cached import", first, target,
            f"importlib.import_module both sides; {first_n} first imports a sample; "
            f"{first / floor:.2f}x the floor")
        info("  (floor: a bare finder + loader, no recording)", floor, "same measure")
        shim = paired(
            loop_timer("sys.modules.pop('bench_app.file_shim', None); import_module('bench_app.file_shim')", env,
                       first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import_module('bench_app.canonical')", env,
                       first_n),
            pairs,
        )
        info("  (peer: a file shim, `import *` + warning)", shim, "first import of the .pyc shim")
        stmt = paired(
            loop_timer("sys.modules.pop('bench_app.legacy', None); import bench_app.legacy", env, first_n),
            loop_timer("sys.modules.pop('bench_app.nothing', None); import bench_app.canonical", env, first_n),
            pairs,
        )
        info("  (same, import statements both sides)", stmt, "import statements instead of import_module")
        total = sum(r.count for r in hook.snapshot())
        hook.uninstall()
        print(f"\n{total} uses recorded during the run\n")
    import live_speed

    live_speed.run_rows(quick)


if __name__ == "__main__":
    raise SystemExit(main())

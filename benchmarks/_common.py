"""Shared by the benchmark scripts: paired ratios and the result rows."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

ROWS: list[dict[str, object]] = []


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


def row(name: str, ratio: float, target: float, detail: str) -> None:
    ok = "PASS" if ratio <= target else "MISS"
    ROWS.append({"name": name, "ratio": round(ratio, 3), "target": target, "detail": detail, "result": ok})
    print(f"{name:<48} {ratio:8.3f}x  target <= {target:<6} {ok}  {detail}")


def info(name: str, ratio: float, detail: str) -> None:
    """A row without a target: shown beside the others, for comparison."""
    ROWS.append({"name": name, "ratio": round(ratio, 3), "target": None, "detail": detail, "result": "INFO"})
    print(f"{name:<48} {ratio:8.3f}x  (information) {detail}")

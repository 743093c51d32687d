"""``report --by hour|day|week``: the uses over time as text (the JSON is the series document itself).

The series comes from :mod:`ssot_runtime.traces.timeline`; here it is only laid out: the total
per bucket with the processes that ran in it, then one line per legacy path with its total, its
last bucket with a use and a bar per bucket.
"""

from __future__ import annotations

import io
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BARS = "▁▂▃▄▅▆▇█"
NO_USE = "·"
SPARK_MAX = 60  # buckets shown per path in the text table (the most recent ones)


def label(bucket: str, by: str) -> str:
    """``2026-11-03`` for a day or a week (its Monday), ``2026-11-03T05:00Z`` for an hour."""
    return bucket[:16] + "Z" if by == "hour" else bucket[:10]


def spark(values: list[int]) -> str:
    """One character per bucket: ``·`` for no use, else a bar scaled to the row's highest value."""
    high = max(values, default=0)
    if not high:
        return NO_USE * len(values)
    return "".join(NO_USE if not v else BARS[min(len(BARS) - 1, (v * len(BARS) - 1) // high)] for v in values)


def render_json(series: dict[str, Any]) -> str:
    return json.dumps(series, indent=2) + "\n"


def render_table(series: dict[str, Any], *, console: Any = None) -> str:
    """The series as two rich tables; plain text when not on a terminal."""
    from rich.console import Console
    from rich.table import Table

    from ..traces.coverage import plural

    buffer = io.StringIO()
    console = console or Console(file=buffer, width=140, force_terminal=False, color_system=None)
    by, buckets = series["by"], series["buckets"]
    if not buckets:
        console.print(f"Uses per {by}: no use and no process in the data")
        return buffer.getvalue()
    total = series["total"]
    console.print(f"Uses per {by}, {label(buckets[0], by)} to {label(buckets[-1], by)} "
                  f"({plural(len(buckets), by)}, UTC): {plural(sum(total['uses']), 'use')}")
    table = Table(title=f"All legacy paths, per {by}", title_justify="left")
    table.add_column("week of" if by == "week" else by)
    table.add_column("uses", justify="right")
    table.add_column("processes", justify="right")
    for bucket, uses, processes in zip(buckets, total["uses"], total["processes"], strict=True):
        table.add_row(label(bucket, by), str(uses), str(processes))
    console.print(table)
    shown = min(len(buckets), SPARK_MAX)
    span = f"last {plural(shown, by)}" if shown < len(buckets) else f"per {by}"
    paths = Table(title=f"Per legacy path ({span}, {NO_USE} = no use)", title_justify="left")
    for column in ("legacy path", "uses", f"last {by} with a use", span):
        paths.add_column(column, justify="right" if column == "uses" else "left")
    for path in series["legacy_paths"]:
        last = label(path["last_use"], by) if path["last_use"] else "-"
        paths.add_row(path["legacy"], str(path["total"]), last, spark(path["uses"][-shown:]))
    console.print(paths)
    if series["spanning"]:
        console.print(f"{plural(series['spanning'], 'use')} came in points whose time window crosses a {by} "
                      f"boundary: each is counted in the {by} its window ends in")
    return buffer.getvalue()

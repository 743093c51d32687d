"""The burn-down page's charts, as inline SVG: a line chart per path and for the total, sparklines.

One ``<circle class="pt">`` per bucket (its value in a tooltip), a dashed line at a deadline;
nothing drawn by a script, nothing fetched.
"""

from __future__ import annotations

import datetime as dt
import html

from ..traces.coverage import plural

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

_E = html.escape
DAY_NS = 86_400 * 10**9


def _parse_iso(text: str) -> int:
    moment = dt.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp()) * 10**9


def chart(labels: list[str], values: list[int], *, title: str, width: int = 760, height: int = 220,
          processes: list[int] | None = None, css: str = "chart", deadline_on: dt.date | None = None) -> str:
    """A line chart as inline SVG: one circle per bucket, its value in a tooltip; a dashed line at
    the bucket of ``deadline_on`` (a rule's ``remove_after``) when it falls within the buckets."""
    left, right, top, bottom = 56, 16, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    high = max(values, default=0) or 1
    n = len(values)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / high

    parts = [f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" aria-label="{_E(title)}">',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>',
             f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
             f'<text class="tick" x="{left - 6}" y="{top + 4}" text-anchor="end">{high}</text>',
             f'<text class="tick" x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    if processes is not None and any(processes):
        most = max(processes)
        bar = min(24.0, max(1.0, plot_w / max(n, 1) * 0.6))
        for i, count in enumerate(processes):
            h = plot_h * 0.25 * count / most
            parts.append(f'<rect class="proc" x="{x(i) - bar / 2:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}"/>')
    if n:
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polygon class="area" points="{x(0):.1f},{top + plot_h} {coords} '
                     f'{x(n - 1):.1f},{top + plot_h}"/>')
        parts.append(f'<polyline class="line" points="{coords}"/>')
        for i, v in enumerate(values):
            extra = f", {plural(processes[i], 'process')}" if processes is not None else ""
            parts.append(f'<circle class="pt{" zero" if not v else ""}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" '
                         f'data-bucket="{_E(labels[i])}" data-uses="{v}"><title>{_E(labels[i][:16])}: '
                         f'{plural(v, "use")}{extra}</title></circle>')
        ticks = sorted({0, n - 1, *range(0, n, max(1, n // 6))})
        for i in ticks:
            if i == n - 1 or x(n - 1) - x(i) >= 130:  # room for the last label, drawn leftwards
                anchor = "end" if i == n - 1 and n > 1 else "start" if i == 0 and n > 1 else "middle"
                parts.append(f'<text class="tick" x="{x(i):.1f}" y="{height - 12}" text-anchor="{anchor}">'
                             f'{_E(_short(labels[i]))}</text>')
    if deadline_on is not None and n:
        day = deadline_on.isoformat()
        index = sum(1 for label in labels if label[:10] <= day) - 1  # the bucket the day falls in
        if index >= 0 and (index < n - 1 or _within_last(labels, day)):
            parts.append(f'<line class="deadline-mark" x1="{x(index):.1f}" y1="{top}" x2="{x(index):.1f}" '
                         f'y2="{top + plot_h}"><title>remove after {day}</title></line>'
                         f'<text class="tick deadline-label" x="{x(index) + 4:.1f}" y="{top + 10}">remove after '
                         f'{day}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _within_last(labels: list[str], day: str) -> bool:
    """Whether ``day`` falls in the last bucket: before the next one would start."""
    start = _parse_iso(labels[-1])
    step = start - _parse_iso(labels[-2]) if len(labels) > 1 else DAY_NS
    return start <= _parse_iso(day + "T00:00:00") < start + step


def _short(label: str) -> str:
    return label[5:16].replace("T", " ") if label[11:16] != "00:00" else label[:10]


def spark(values: list[int], *, width: int = 120, height: int = 24) -> str:
    """A small line of the series for the overview table (no axes, no points)."""
    high = max(values, default=0) or 1
    n = len(values)
    step = width / (n - 1) if n > 1 else 0
    coords = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / high:.1f}" for i, v in enumerate(values))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'><polyline points="{coords}"/>'
            + (f'<circle cx="{width / 2}" cy="{height / 2}" r="2.5"/>' if n == 1 else "") + "</svg>")

"""Text charts drawn with box characters: axes with labelled ticks, a zero line, intervals.

Pure Python (no terminal library): each function returns the chart's lines, the same in a
screen, a test or a terminal. ``diverging_bars`` draws a signed figure per row around a zero
line (score gaps: harsh to the left, lenient to the right, the tolerance band marked);
``line_chart`` draws points in order with their intervals (trends, drift, gaps per interaction).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

POINT, LINK, WHISKER, ZERO, TARGET, BAND = "●", "·", "│", "─", "┄", "┆"


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is >= ``x`` (``x`` > 0): a round axis end."""
    if x <= 0 or math.isnan(x):
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= x - 1e-12:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def downsample(values: Sequence[float], k: int) -> list[float]:
    """At most ``k`` values: the means of ``k`` consecutive, near-equal runs (a long series
    drawn one column per value would not fit)."""
    n = len(values)
    if n <= k or k <= 0:
        return list(values)
    edges = [round(j * n / k) for j in range(k + 1)]
    return [sum(values[a:b]) / (b - a) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _fmt_signed(v: float) -> str:
    return "0" if v == 0 else f"{v:+g}"


def diverging_bars(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 40,
    tolerance: float | None = None,
    label_width: int = 15,
    left: str = "harsh",
    right: str = "lenient",
    value_format: Callable[[float], str] = lambda v: f"{v:+.1f}",
) -> list[str]:
    """One bar per (label, value) from a zero line (NaN: no bar, "–"), on a symmetric axis
    rounded up to a nice number; ±``tolerance`` is marked ┆ on every row and on the axis."""
    values = [abs(v) for _l, v in items if not math.isnan(v)]
    top = nice_ceiling(max([*values, (tolerance or 0) * 2, 1e-9]))
    half = max(3, (width - 1) // 2)
    span = 2 * half + 1

    def column(x: float) -> int:
        return max(0, min(span - 1, round((x + top) / (2 * top) * (span - 1))))

    zero = column(0.0)
    band = {column(-tolerance), column(tolerance)} if tolerance else set()
    pad = " " * label_width
    lines = [pad + f"◀ {left}".ljust(half) + "0" + f"{right} ▶".rjust(half)]
    for label, value in items:
        row = [" "] * span
        for b in band:
            row[b] = BAND
        row[zero] = "│"
        if math.isnan(value):
            text = "–"
        else:
            end = column(value)
            lo, hi = (end, zero - 1) if end < zero else (zero + 1, end)
            for k in range(lo, hi + 1):
                row[k] = "█"
            text = value_format(value)
        lines.append(label[: label_width - 1].ljust(label_width) + "".join(row) + " " + text)
    axis = ["─"] * span
    ticks = {column(-top): _fmt_signed(-top), zero: "0", column(top): _fmt_signed(top)}
    if tolerance:
        ticks[column(-tolerance)] = _fmt_signed(-tolerance)
        ticks[column(tolerance)] = _fmt_signed(tolerance)
    for k in ticks:
        axis[k] = "┼" if k == zero else "┴"
    lines.append(pad + "".join(axis))
    lines.append(pad + _tick_labels(ticks, span))
    return lines


def _tick_labels(ticks: dict[int, str], span: int) -> str:
    """Labels centred under their columns, left out where they would run into the previous."""
    out = [" "] * span
    last = -1
    for k in sorted(ticks):
        text = ticks[k][:span]
        if not text:
            continue
        start = max(0, min(k - len(text) // 2, span - len(text)))
        if start <= last:
            continue
        out[start:start + len(text)] = list(text)
        last = start + len(text)
    return "".join(out).rstrip()


def line_chart(
    points: Sequence[tuple[float, float, float]],
    *,
    width: int = 60,
    height: int = 8,
    y_range: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
    x_labels: Sequence[str] | None = None,
    target: float | None = None,
) -> list[str]:
    """Points (value, interval low, interval high; NaN where there is none) left to right,
    joined by dots, each interval a vertical whisker, on a labelled y axis (top, bottom, zero
    and middle ticks) and an x axis with a tick per point (a dense series, more points than
    half the columns, is drawn as a line of small dots with ticks only at its labels). A zero
    line crosses the plot when the range spans 0; ``target`` is drawn ┄."""
    n = len(points)
    finite = [v for p in points for v in p if not math.isnan(v)]
    if y_range is not None:
        y_min, y_max = y_range
    elif finite:
        y_min, y_max = min(finite), max(finite)
        if y_min < 0 < y_max or (y_min < 0 and y_max <= 0):
            top = nice_ceiling(max(abs(y_min), abs(y_max)))
            y_min, y_max = -top, top
        else:
            y_min, y_max = 0.0, nice_ceiling(y_max)
    else:
        y_min, y_max = 0.0, 1.0
    if y_max <= y_min:
        y_max = y_min + 1.0
    height = max(3, height)

    def row_of(y: float) -> int:
        r = round((y_max - y) / (y_max - y_min) * (height - 1))
        return max(0, min(height - 1, r))

    ticks = {0: y_max, height - 1: y_min, (height - 1) // 2: (y_max + y_min) / 2}
    if y_min < 0 < y_max:
        ticks[row_of(0.0)] = 0.0
    labels = {r: y_format(v) for r, v in ticks.items()}
    label_width = max(len(t) for t in labels.values())
    plot = max(n, width - label_width - 1)
    grid = [[" "] * plot for _ in range(height)]
    if y_min < 0 < y_max:
        grid[row_of(0.0)] = [ZERO] * plot
    if target is not None and y_min <= target <= y_max:
        grid[row_of(target)] = [TARGET] * plot
    xs = [plot // 2] if n == 1 else [round(k * (plot - 1) / (n - 1)) for k in range(n)]
    dense = n > plot // 2
    marker = "•" if dense else POINT
    defined = [(x, p) for x, p in zip(xs, points, strict=True) if not math.isnan(p[0])]
    for (x0, p0), (x1, p1) in zip(defined, defined[1:], strict=False):
        for x in range(x0 + 1, x1):
            y = p0[0] + (p1[0] - p0[0]) * (x - x0) / (x1 - x0)
            r = row_of(y)
            if grid[r][x] in (" ", ZERO, TARGET):
                grid[r][x] = LINK
    for x, (value, low, high) in zip(xs, points, strict=True):
        if not (math.isnan(low) or math.isnan(high)):
            for r in range(row_of(high), row_of(low) + 1):
                grid[r][x] = WHISKER
        if not math.isnan(value):
            grid[row_of(value)][x] = marker
    lines = []
    for r in range(height):
        label = labels.get(r, "")
        lines.append(label.rjust(label_width) + ("┤" if r in labels else "│") + "".join(grid[r]))
    axis = ["─"] * plot
    labelled = [bool(t) for t in (x_labels or [])] + [False] * n
    for k, x in enumerate(xs):
        if not dense or labelled[k] or k in (0, n - 1):
            axis[x] = "┴"
    lines.append(" " * label_width + "└" + "".join(axis))
    if x_labels:
        names = {x: str(t) for x, t in zip(xs, x_labels, strict=False)}
        lines.append(" " * (label_width + 1) + _tick_labels(names, plot))
    return lines

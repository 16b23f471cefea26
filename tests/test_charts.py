"""The text charts: axes with labelled ticks, a zero line, bars and points where the numbers
put them, intervals as whiskers."""

from __future__ import annotations

import math

from qa_calibrate.charts import POINT, WHISKER, ZERO, diverging_bars, line_chart, nice_ceiling

NAN = math.nan


def test_nice_ceiling() -> None:
    assert [nice_ceiling(x) for x in (0.3, 1, 1.2, 2.2, 3, 7, 10, 11, 0)] == \
        [0.5, 1, 2, 2.5, 5, 10, 10, 20, 1.0]


def test_diverging_bars_grow_from_the_zero_line_on_a_labelled_axis() -> None:
    lines = diverging_bars([("Ann", -4.0), ("Bob", 8.0), ("Cy", NAN)], width=41, tolerance=5)
    head, ann, bob, cy, axis, ticks = lines
    zero = head.index("0")
    assert {ann[zero], bob[zero], cy[zero], axis[zero]} == {"│", "┼"}
    assert "harsh" in head[:zero] and "lenient" in head[zero:]
    # -4 of an axis to ±10 is 8 of 20 columns to the left; +8 is 16 to the right
    assert ann[zero - 8:zero] == "█" * 8 and ann[zero - 9] != "█" and ann.endswith("-4.0")
    assert bob[zero + 1:zero + 17] == "█" * 16 and bob.endswith("+8.0")
    assert "█" not in cy and cy.endswith("–")
    assert ann[zero - 10] == "┆" and cy[zero + 10] == "┆"  # the ±5 band, on every row
    for label in ("-10", "-5", "0", "+5", "+10"):
        assert label in ticks.split()
    assert ticks.index("0") == zero or ticks[zero] == "0"


def test_line_chart_puts_points_whiskers_zero_line_and_ticks_where_they_belong() -> None:
    points = [(-4.0, -6.0, -2.0), (2.0, NAN, NAN), (8.0, 6.0, 10.0)]
    lines = line_chart(points, width=31, height=11, x_labels=["a", "b", "c"])
    *rows, axis, labels = lines
    assert len(rows) == 11
    # the range spans zero: a symmetric axis to ±10, zero in the middle row, labelled
    assert rows[0].lstrip().startswith("10┤") and rows[-1].startswith("-10┤")
    assert rows[5].lstrip().startswith("0┤") and ZERO in rows[5]
    start = rows[0].index("┤") + 1
    grid = [r[start:] for r in rows]
    assert axis.strip().startswith("└") and axis.count("┴") == 3
    first, middle, last = [k - start for k, ch in enumerate(axis) if ch == "┴"]
    assert (first, last) == (0, len(grid[0]) - 1) and middle == round(last / 2)
    # -4 → row 7, 2 → row 4, 8 → row 1, each above its tick
    assert grid[7][first] == POINT and grid[4][middle] == POINT and grid[1][last] == POINT
    assert grid[6][first] == WHISKER and grid[8][first] == WHISKER  # -6..-2
    assert grid[0][last] == WHISKER and grid[2][last] == WHISKER
    assert labels.split() == ["a", "b", "c"]


def test_line_chart_on_a_fixed_range_with_a_target_and_a_missing_point() -> None:
    lines = line_chart([(0.5, NAN, NAN), (NAN, NAN, NAN), (1.0, NAN, NAN)], width=24,
                       height=5, y_range=(0.0, 1.0), y_format=lambda v: f"{v:.0%}",
                       target=0.75)
    rows = lines[:5]
    assert rows[0].startswith("100%┤") and rows[4].startswith("  0%┤")
    assert rows[2].startswith(" 50%┤") and POINT in rows[2]
    assert "┄" in rows[1]  # the target
    assert sum(r.count(POINT) for r in rows) == 2  # nothing drawn for the missing point

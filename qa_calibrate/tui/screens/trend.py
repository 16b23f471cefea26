"""Trends (leads and trainers): per rubric, the evaluators' agreement session by session; per
evaluator, their calibration score session by session; each point with its interval. Only
revealed and closed sessions count (the core leaves open ones out: the blind rule)."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar


def _short(session: str, width: int) -> str:
    return session if len(session) <= width else session[: max(1, width - 1)] + "…"


def trend_chart(trend: Any, *, width: int, pct: bool, target: float | None = None) -> Text:
    """One trend line: the points in session order with their intervals, on a 0–100% (or
    0–100 points) axis, the sessions named under their ticks."""
    from ...charts import line_chart

    points = [(p.value, p.ci_low, p.ci_high) for p in trend.points]
    width = min(width, 16 + 22 * max(2, len(points)))  # a few sessions are not stretched thin
    room = max(4, (width - 8) // max(1, len(points)) - 1)
    lines = line_chart(
        points, width=width, height=9, y_range=(0.0, 1.0) if pct else (0.0, 100.0),
        y_format=(lambda v: f"{v:.0%}") if pct else (lambda v: f"{v:g}"),
        x_labels=[_short(p.session, room) for p in trend.points], target=target)
    text = Text("\n".join(lines))
    text.highlight_regex("●", "bold")
    text.highlight_regex("┄+", "yellow")
    return text


def figure(point: Any, pct: bool) -> str:
    """``88% [80%–95%]`` or ``92.5 [88.0–97.0]``, or why it is undefined."""
    if not point.defined:
        return f"undefined ({point.undefined})" if point.undefined else "undefined"
    value = f"{point.value:.0%}" if pct else f"{point.value:.1f}"
    if math.isnan(point.ci_low):
        return value
    if pct:
        return f"{value} [{point.ci_low:.0%}–{point.ci_high:.0%}]"
    return f"{value} [{point.ci_low:.1f}–{point.ci_high:.1f}]"


class TrendScreen(Screen[None]):
    AUTO_FOCUS = "#calibration-table"  # ↑/↓ pick the evaluator whose line is drawn
    BINDINGS = [Binding("f5", "refresh", "Refresh"), *NAV_BINDINGS]

    def __init__(self) -> None:
        super().__init__()
        self.view: Any = None

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Trends over revealed and closed sessions (oldest first)", classes="title")
        yield LoadingIndicator(id="trend-loading")
        with VerticalScroll(id="trend-body"):
            yield Static(id="agreement-chart")
            yield Label("Calibration score by session (vs the reference, 0–100): pick an "
                        "evaluator", classes="muted")
            yield DataTable(id="calibration-table", cursor_type="row")
            yield Static(id="calibration-chart")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # fixed widths: a header drawn before the rows arrive is not drawn again narrower
        for label, width in (("evaluator", 18), ("sessions", 8), ("first", 20), ("latest", 20),
                             ("change", 7)):
            table.add_column(label, width=width)
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#trend-loading").display = True
        self.load()

    @work(exclusive=True, thread=True)
    def load(self) -> None:
        """Intervals are bootstrapped: off the UI thread."""
        from ...trend import trend_view

        app: Any = self.app
        try:
            view = trend_view(app.store, actor=app.user_name)
        except QAError as exc:
            app.from_thread(app.fail, exc)
            view = None
        app.from_thread(self._show, view)

    def _show(self, view: Any) -> None:
        self.view = view
        self.query_one("#trend-loading").display = False
        chart = self.query_one("#agreement-chart", Static)
        table = self.query_one(DataTable)
        table.clear()
        if view is None:
            chart.update("")
            self._calibration()
            return
        if not view.agreement:
            chart.update("No revealed or closed session yet: reveal one in the meeting screen.")
        else:
            width = max(40, self.size.width - 4)
            out = Text()
            for trend in view.agreement:
                out.append(f"{trend.subject}: agreement by session (mean percent agreement "
                           f"over criteria, {view.confidence:.0%} interval; ┄ the 90% "
                           "objective target)\n", style="bold")
                out.append_text(trend_chart(trend, width=width, pct=True, target=0.9))
                latest = trend.points[-1]
                out.append(f"\nlatest: {latest.session} {figure(latest, pct=True)}\n\n",
                           style="dim")
            chart.update(out)
        for trend in view.calibration:
            first, last = trend.points[0], trend.points[-1]
            change = (f"{last.value - first.value:+.1f}"
                      if len(trend.points) > 1 and first.defined and last.defined else "–")
            table.add_row(trend.subject, str(len(trend.points)), figure(first, pct=False),
                          figure(last, pct=False), change, key=trend.subject)
        self._calibration()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._calibration()

    def _calibration(self) -> None:
        chart = self.query_one("#calibration-chart", Static)
        table = self.query_one(DataTable)
        if self.view is None or not self.view.calibration or table.row_count == 0:
            chart.update("")
            return
        trend = self.view.calibration[table.cursor_row]
        out = Text(f"{trend.subject}: calibration score by session "
                   f"({self.view.confidence:.0%} interval)\n", style="bold")
        out.append_text(trend_chart(trend, width=max(40, self.size.width - 4), pct=False))
        chart.update(out)
        if self.focused is table:  # on a short terminal, bring the line into view
            self.call_after_refresh(chart.scroll_visible, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

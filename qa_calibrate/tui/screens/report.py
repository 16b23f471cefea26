"""Evaluator report: match with the reference, bias, and score gaps, as a table and two charts
(mean gap per evaluator around a zero line with the tolerance band; the selected evaluator's gap
per interaction on a labelled axis)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, LoadingIndicator, Static

from ...errors import QAError
from ..live import LiveScreen, keep_place
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar

if TYPE_CHECKING:
    from ...report import EvaluatorSummary

def gap_bars(rows: list[EvaluatorSummary], width: int = 41, tolerance: float = 5.0) -> Text:
    """Mean score gap per evaluator, harsh to the left of the zero line and lenient to the
    right, on an axis in points with the ±tolerance band marked; out of the band in red."""
    from ...charts import diverging_bars

    lines = diverging_bars([(r.evaluator, r.mean_gap) for r in rows], width=width,
                           tolerance=tolerance)
    text = Text(lines[0] + "\n", style="dim")
    for r, line in zip(rows, lines[1:-2], strict=True):
        gap = r.mean_gap
        style = "red" if not math.isnan(gap) and abs(gap) > tolerance else "green"
        body = Text(line)
        body.highlight_regex("█+", style)
        text.append_text(body)
        text.append("\n")
    text.append("\n".join(lines[-2:]), style="dim")
    text.append(f"\n{'':15}mean score gap vs the reference, points (┆ the ±{tolerance:g} band)",
                style="dim")
    return text


def gap_chart(who: str, gaps: list[float], width: int) -> Text:
    """One evaluator's score gap on each interaction of their latest session, in order, around
    the zero line, on an axis in points."""
    from ...charts import line_chart

    if not gaps:
        return Text(f"{who}: no score gaps in the latest session", style="dim")
    nan = math.nan
    lines = line_chart([(g, nan, nan) for g in gaps], width=max(20, width), height=7,
                       y_format=lambda v: f"{v:+g}" if v else "0",
                       x_labels=[str(n) if n in (1, len(gaps)) or n % 5 == 0 else ""
                                 for n in range(1, len(gaps) + 1)])
    text = Text("\n".join(lines))
    text.highlight_regex("●", "bold")
    text.append(f"\n{who}: score gap (points, + lenient) per interaction of the latest "
                "session", style="dim")
    return text


class ReportScreen(LiveScreen):
    BINDINGS = [Binding("f5", "refresh", "Refresh"), *NAV_BINDINGS]

    def __init__(self, session_ref: Any = None) -> None:
        super().__init__()
        self.session_ref = session_ref
        self.rows: list[EvaluatorSummary] = []

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Evaluators across revealed and closed sessions", classes="title",
                    id="report-title")
        yield LoadingIndicator(id="report-loading")
        with VerticalScroll(id="report-body"):  # the charts stay reachable on a short terminal
            yield DataTable(id="evaluator-table", cursor_type="row")
            yield Static(id="chart")
            yield Static(id="criterion-bias", classes="panel")
            yield Static(id="gap-chart")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("evaluator", "sessions", "match", "calibration", "mean gap",
                          "mean |gap|", "ordinal bias", "band")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#report-loading").display = True
        self.load()

    def reload_live(self) -> None:
        """The store changed: recompute in the background; the selected evaluator stays."""
        self.load()

    @work(exclusive=True, thread=True)
    def load(self) -> None:
        from ...report import ReportSettings, evaluators_report, session_report

        app: Any = self.app
        try:
            rows = evaluators_report(app.store, ReportSettings(n_resamples=0),
                                     actor=app.user_name)
            gaps: dict[str, list[float]] = {}
            for row in rows:
                if row.last_session:
                    rep = session_report(app.store, row.last_session,
                                         ReportSettings(n_resamples=0), viewer=app.user_name)
                    for e in rep.evaluators:
                        gaps.setdefault(e.evaluator, [g.gap for g in e.gaps
                                                      if g.gap is not None])
        except QAError as exc:
            app.from_thread(app.fail, exc)
            rows, gaps = [], {}
        app.from_thread(self._show, rows, gaps)

    def _show(self, rows: list[EvaluatorSummary], gaps: dict[str, list[float]]) -> None:
        self.query_one("#report-loading").display = False
        if self.rows and (rows, gaps) == (self.rows, getattr(self, "gaps", {})):
            return  # nothing changed: the table stays as it is
        self.rows, self.gaps = rows, gaps
        table = self.query_one(DataTable)
        with keep_place(table):
            self._fill(table, rows)
        self._spark()

    def _fill(self, table: DataTable[Any], rows: list[EvaluatorSummary]) -> None:
        table.clear()

        def n(v: float, f: str) -> str:
            return "–" if v is None or math.isnan(v) else format(v, f)

        for r in rows:
            table.add_row(r.evaluator, str(r.sessions), n(r.match_rate, ".0%"),
                          n(r.calibration_score, ".1f"), n(r.mean_gap, "+.1f"),
                          n(r.mean_abs_gap, ".1f"), n(r.ordinal_bias, "+.2f"),
                          Text("out", style="bold red") if r.out_of_band
                          else Text("ok", "green"),
                          key=r.evaluator)
        if not rows:
            self.query_one("#chart", Static).update(
                "No revealed or closed session yet: reveal one in the meeting screen.")
        else:
            width = max(41, min(81, self.size.width - 30))
            self.query_one("#chart", Static).update(gap_bars(rows, width=width))
        self._spark()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._spark()

    def _spark(self) -> None:
        table = self.query_one(DataTable)
        chart = self.query_one("#gap-chart", Static)
        bias = self.query_one("#criterion-bias", Static)
        if not self.rows or table.row_count == 0:
            chart.update("")
            bias.update("")
            return
        row = self.rows[table.cursor_row]
        who = row.evaluator
        parts = [f"{escape(b.criterion)} {b.bias * 100:+.0f}% ({b.mismatches} of "
                 f"{b.answers} differ)" for b in row.criterion_bias[:6]
                 if b.bias or b.mismatches]
        bias.update(f"[b]{escape(who)}[/b], bias per criterion (share of its scale, + lenient): "
                    + ("; ".join(parts) if parts else "none"))
        chart.update(gap_chart(who, getattr(self, "gaps", {}).get(who, []),
                               self.size.width - 4))

    def action_back(self) -> None:
        self.app.pop_screen()

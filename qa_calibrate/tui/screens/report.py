"""Evaluator report: match with the reference, bias, and score gaps, as a table and a chart."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, Sparkline, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar


def gap_bars(rows: list[dict[str, Any]], width: int = 24, tolerance: float = 5.0) -> Text:
    """A diverging bar per evaluator: harsh to the left, lenient to the right."""
    text = Text()
    gaps = [abs(r["mean_gap"]) for r in rows if not math.isnan(r["mean_gap"])]
    top = max([tolerance * 2, *gaps]) if gaps else tolerance * 2
    half = width // 2
    for r in rows:
        gap = r["mean_gap"]
        text.append(f"{r['evaluator'][:14]:<15}")
        if math.isnan(gap):
            text.append(" " * half + "│" + " " * half + "  –\n")
            continue
        n = min(half, round(abs(gap) / top * half))
        style = "red" if abs(gap) > tolerance else "green"
        left = " " * (half - n) + ("█" * n if gap < 0 else "")
        right = ("█" * n if gap > 0 else "") + " " * (half - (n if gap > 0 else 0))
        text.append(left.rjust(half), style=style)
        text.append("│")
        text.append(right, style=style)
        text.append(f" {gap:+.1f}\n")
    text.append(f"{'':<15}{'harsh':<{half}}│{'lenient':>{half}}", style="dim")
    return text


class ReportScreen(Screen[None]):
    BINDINGS = [Binding("f5", "refresh", "Refresh"), *NAV_BINDINGS]

    def __init__(self, session_ref: Any = None) -> None:
        super().__init__()
        self.session_ref = session_ref
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Evaluators across revealed and closed sessions", classes="title",
                    id="report-title")
        yield LoadingIndicator(id="report-loading")
        yield DataTable(id="evaluator-table", cursor_type="row")
        yield Static(id="chart")
        yield Static(id="criterion-bias", classes="panel")
        yield Label("score gap per interaction (selected evaluator, latest session)",
                    classes="muted", id="spark-label")
        yield Sparkline([], id="gap-spark")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("evaluator", "sessions", "match", "calibration", "mean gap",
                          "mean |gap|", "ordinal bias", "band")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#report-loading").display = True
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
                if row.get("last_session"):
                    rep = session_report(app.store, row["last_session"],
                                         ReportSettings(n_resamples=0), viewer=app.user_name)
                    for e in rep["evaluators"]:
                        gaps.setdefault(e["evaluator"], [g["gap"] for g in e["gaps"]
                                                         if g["gap"] is not None])
        except QAError as exc:
            self.app.call_from_thread(app.fail, exc)
            rows, gaps = [], {}
        self.app.call_from_thread(self._show, rows, gaps)

    def _show(self, rows: list[dict[str, Any]], gaps: dict[str, list[float]]) -> None:
        self.rows, self.gaps = rows, gaps
        self.query_one("#report-loading").display = False
        table = self.query_one(DataTable)
        table.clear()

        def n(v: float, f: str) -> str:
            return "–" if v is None or math.isnan(v) else format(v, f)

        for r in rows:
            table.add_row(r["evaluator"], str(r["sessions"]), n(r["match_rate"], ".0%"),
                          n(r["calibration_score"], ".1f"), n(r["mean_gap"], "+.1f"),
                          n(r["mean_abs_gap"], ".1f"), n(r["ordinal_bias"], "+.2f"),
                          Text("out", style="bold red") if r["out_of_band"]
                          else Text("ok", "green"),
                          key=r["evaluator"])
        if not rows:
            self.query_one("#chart", Static).update(
                "No revealed or closed session yet: reveal one in the meeting screen.")
        else:
            self.query_one("#chart", Static).update(gap_bars(rows))
        self._spark()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._spark()

    def _spark(self) -> None:
        table = self.query_one(DataTable)
        spark = self.query_one("#gap-spark", Sparkline)
        bias = self.query_one("#criterion-bias", Static)
        if not self.rows or table.row_count == 0:
            spark.data = []
            bias.update("")
            return
        row = self.rows[table.cursor_row]
        who = row["evaluator"]
        parts = [f"{b['criterion']} {b['bias'] * 100:+.0f}% ({b['mismatches']} of "
                 f"{b['answers']} differ)" for b in row.get("criterion_bias", [])[:6]
                 if b["bias"] or b["mismatches"]]
        bias.update(f"[b]{who}[/b], bias per criterion (share of its scale, + lenient): "
                    + ("; ".join(parts) if parts else "none"))
        spark.data = getattr(self, "gaps", {}).get(who, [])
        self.query_one("#spark-label", Label).update(
            f"score gap per interaction: {who} (latest session; {len(spark.data)} points)")

    def action_back(self) -> None:
        self.app.pop_screen()

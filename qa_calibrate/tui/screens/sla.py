"""Quality SLAs: sites × periods, each figure coloured by met / missed / too close / too few."""

from __future__ import annotations

import math
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar

STYLE = {"met": "bold green", "missed": "bold red", "too close to tell": "yellow",
         "too few": "dim"}
FIGURES = (("quality", "quality", "{:.1f}"), ("calibrated_quality", "calibrated", "{:.1f}"),
           ("critical_fail_rate", "critical fail", "{:.0%}"), ("csat", "CSAT", "{:.2f}"),
           ("median_handle_time", "median AHT", "{:.0f}s"))


def cell(figure: dict[str, Any] | None, fmt: str) -> Text:
    """A figure as coloured text: its value, and its status when it has a target."""
    if not figure or figure.get("value") is None or math.isnan(figure["value"]):
        return Text("–", style="dim")
    status = figure.get("status")
    text = fmt.format(figure["value"]) + (f" {status}" if status else "")
    return Text(text, style=STYLE.get(status or "", ""))


def detail(row: dict[str, Any]) -> str:
    """The selected site and period in words: each figure with its interval and target."""
    lines = [f"[b]{escape(str(row['site']))}[/b], {row['period']}: {row['evaluations']} routine "
             f"evaluations, {row['contacts_with_csat']} contacts with CSAT"]
    for key, name, fmt in FIGURES:
        fig = row.get(key)
        if not fig or fig.get("value") is None or math.isnan(fig["value"]):
            continue
        value = fmt.format(fig["value"])
        low, high = fig.get("ci_low"), fig.get("ci_high")
        interval = f" [{fmt.format(low)}–{fmt.format(high)}]" \
            if low is not None and not math.isnan(low) else ""
        target = f", target {fig['target']:g}" if fig.get("target") is not None else ""
        status = f": {fig['status']}" if fig.get("status") else ""
        offset = f" (offset {fig['offset']:+.1f} taken off)" if "offset" in fig else ""
        lines.append(f"{name}: {value}{interval}{target}{status}{offset}")
    rho = row["qa_csat_correlation"]
    if not math.isnan(rho["value"]):
        lines.append(f"QA score vs CSAT: Spearman {rho['value']:+.2f} "
                     f"[{rho['ci_low']:+.2f}, {rho['ci_high']:+.2f}] over {rho['n']} contacts")
    else:
        lines.append(f"QA score vs CSAT: not defined over {rho['n']} contacts")
    return "\n".join(lines)


class SlaScreen(Screen[None]):
    BINDINGS = [Binding("p", "period", "Month/quarter"), Binding("f5", "refresh", "Refresh"),
                *NAV_BINDINGS]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.period = "month"

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Quality SLAs per site and period (green met · red missed · yellow too "
                    "close to tell · grey too few)", classes="title")
        yield LoadingIndicator(id="sla-loading")
        yield DataTable(id="sla", cursor_type="row")
        yield Static(id="sla-detail", classes="panel")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("site", "period", "evaluations",
                                              *(name for _k, name, _f in FIGURES))
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#sla-loading").display = True
        self.load()

    def action_period(self) -> None:
        self.period = "quarter" if self.period == "month" else "month"
        self.action_refresh()

    @work(exclusive=True, thread=True)
    def load(self) -> None:
        from ...sla import SlaSettings, sla_report

        app: Any = self.app
        try:
            rows = sla_report(app.store, actor=app.user_name,
                              settings=SlaSettings(period=self.period))
        except QAError as exc:
            app.from_thread(app.fail, exc)
            rows = []
        app.from_thread(self.show, rows)

    def show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.query_one("#sla-loading").display = False
        table = self.query_one(DataTable)
        table.clear()
        for n, r in enumerate(rows):
            table.add_row(r["site"], r["period"], str(r["evaluations"]),
                          *(cell(r.get(k), f) for k, _name, f in FIGURES), key=str(n))
        self._detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        table = self.query_one(DataTable)
        panel = self.query_one("#sla-detail", Static)
        if not self.rows or table.row_count == 0:
            panel.update("No routine evaluations or contacts to judge yet.")
            return
        panel.update(detail(self.rows[table.cursor_row]))

    def action_back(self) -> None:
        self.app.pop_screen()

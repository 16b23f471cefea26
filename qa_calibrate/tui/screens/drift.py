"""Drift: evaluator × criterion flags, the EWMA of each flag, and its evidence."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, Sparkline, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar


def flag_grid(flags: list[Any]) -> str:
    """Evaluators × criteria with an arrow where a flag stands (▲ harsh, ▼ lenient)."""
    if not flags:
        return "No drift flags: every evaluator is in line with their peers."
    people = sorted({f.evaluator for f in flags})
    crits = sorted({f.criterion for f in flags})
    width = max(len(c) for c in crits) + 2
    lines = [" " * 16 + "".join(c[: width - 1].ljust(width) for c in crits)]
    for p in people:
        cells = []
        for c in crits:
            mine = [f for f in flags if f.evaluator == p and f.criterion == c]
            mark = ("▼ lenient" if mine[0].direction == "lenient" else "▲ harsh") if mine else "·"
            cells.append(mark[: width - 1].ljust(width))
        lines.append(p[:15].ljust(16) + "".join(cells))
    return "\n".join(lines)


class DriftScreen(Screen[None]):
    BINDINGS = [Binding("f5", "refresh", "Refresh"), *NAV_BINDINGS]

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[Any] = []

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Drift flags (risk-adjusted CUSUM vs peers and calibration reference)",
                    classes="title")
        yield LoadingIndicator(id="drift-loading")
        yield Static(id="flag-grid")
        yield DataTable(id="flags", cursor_type="row")
        yield Label("EWMA of (outcome − expected), selected flag", classes="muted")
        yield Sparkline([], id="flag-spark")
        yield Static(id="flag-evidence", classes="panel")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("evaluator", "criterion", "direction", "size",
                                              "since", "evidence", "source")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#drift-loading").display = True
        self.load()

    @work(exclusive=True, thread=True)
    def load(self) -> None:
        from ...drift import detect_drift

        app: Any = self.app
        try:
            flags = detect_drift(app.store, actor=app.user_name)
        except QAError as exc:
            self.app.call_from_thread(app.fail, exc)
            flags = []
        self.app.call_from_thread(self._show, flags)

    def _show(self, flags: list[Any]) -> None:
        self.flags = flags
        self.query_one("#drift-loading").display = False
        self.query_one("#flag-grid", Static).update(flag_grid(flags))
        table = self.query_one(DataTable)
        table.clear()
        for n, f in enumerate(flags):
            table.add_row(f.evaluator, f.criterion, f.direction, f"{f.size:+.0f} pts",
                          f.onset_date, str(f.evidence_count), f.source, key=str(n))
        self._evidence()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._evidence()

    def _evidence(self) -> None:
        table = self.query_one(DataTable)
        spark = self.query_one(Sparkline)
        panel = self.query_one("#flag-evidence", Static)
        if not self.flags or table.row_count == 0:
            spark.data = []
            panel.update("")
            return
        f = self.flags[table.cursor_row]
        spark.data = f.trend
        panel.update(
            f"[b]{f.evaluator}[/b] is {f.direction} on [b]{f.criterion}[/b] ({f.rubric}) since "
            f"about {f.onset_date}; first signal {f.first_date}.\n"
            f"fail rate {f.evaluator_fail_rate:.0%} vs {f.reference_fail_rate:.0%} "
            f"({'peers' if f.source == 'routine' else 'reference'}), {f.evidence_count} answers, "
            f"observed {f.observed} vs expected {f.expected:.1f} (z = {f.z:.1f})\n"
            f"examples: {', '.join(f.examples) or '—'}"
        )

    def action_back(self) -> None:
        self.app.pop_screen()

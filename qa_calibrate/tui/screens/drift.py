"""Drift: the standing flags (kept from the day they were raised until a lead clears them),
evaluator × criterion, the EWMA of each flag's chart, and its evidence."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar


def flag_grid(flags: list[Any]) -> str:
    """Evaluators × criteria with an arrow where a flag stands (▲ harsh, ▼ lenient)."""
    if not flags:
        return "No drift flags stand: every evaluator is in line with their peers."
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


def ewma_chart(flag: Any, width: int) -> Text:
    """The flag's EWMA of (outcome − expected), answer by answer (averaged into the width when
    longer), around the zero line of "as expected", from its first answer to its latest."""
    from ...charts import downsample, line_chart

    if not flag.trend:
        return Text("no trend for this flag", style="dim")
    nan = float("nan")
    series = downsample(flag.trend, max(10, width - 8))
    labels = [""] * len(series)
    labels[0], labels[-1] = "first answer", "latest"
    lines = line_chart([(v, nan, nan) for v in series], width=max(20, width), height=7,
                       y_format=lambda v: f"{v:+.2f}" if v else "0", x_labels=labels)
    text = Text("\n".join(lines))
    text.highlight_regex("●", "bold")
    text.append(f"\nEWMA of (outcome − expected) over {len(flag.trend)} answers: 0 is as "
                f"expected, above 0 more often {flag.direction} than expected (signal from "
                f"{flag.first_date})", style="dim")
    return text


COLUMNS = (("flag", 4), ("evaluator", 20), ("criterion", 24), ("direction", 9),
           ("size", 8), ("onset", 10), ("raised", 10), ("evidence", 8), ("source", 9))


class DriftScreen(Screen[None]):
    BINDINGS = [Binding("f5", "refresh", "Refresh"), Binding("c", "clear", "Clear flag"),
                *NAV_BINDINGS]
    POLICY = {"clear": "drift.clear"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.app.may_on(self, action))  # type: ignore[attr-defined]

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[Any] = []

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Standing drift flags (risk-adjusted CUSUM vs peers and calibration "
                    "reference), kept until a lead clears them", classes="title")
        yield LoadingIndicator(id="drift-loading")
        with VerticalScroll(id="drift-body"):  # the chart stays reachable on a short terminal
            yield Static(id="flag-grid")
            yield DataTable(id="flags", cursor_type="row")
            yield Static(id="flag-chart")
            yield Static(id="flag-evidence", classes="panel")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # fixed widths: the table looks the same however soon after loading it is drawn
        for label, width in COLUMNS:
            table.add_column(label, width=width)
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
            app.from_thread(app.fail, exc)
            flags = []
        app.from_thread(self._show, flags)

    def _show(self, flags: list[Any]) -> None:
        self.flags = flags
        self.query_one("#drift-loading").display = False
        self.query_one("#flag-grid", Static).update(flag_grid(flags))
        table = self.query_one(DataTable)
        table.clear()
        for n, f in enumerate(flags):
            table.add_row("—" if f.id is None else f"#{f.id}", f.evaluator, f.criterion,
                          f.direction, f"{f.size:+.0f} pts", f.onset_date, f.first_date,
                          str(f.evidence_count), f.source, key=str(n))
        self._evidence()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._evidence()

    def _evidence(self) -> None:
        table = self.query_one(DataTable)
        chart = self.query_one("#flag-chart", Static)
        panel = self.query_one("#flag-evidence", Static)
        if not self.flags or table.row_count == 0:
            chart.update("")
            panel.update("")
            return
        f = self.flags[table.cursor_row]
        kept = f"flag #{f.id}, standing since {f.first_date}" if f.id is not None else \
            "not kept"
        chart.update(ewma_chart(f, self.size.width - 4))
        panel.update(
            f"[b]{escape(f.evaluator)}[/b] is {f.direction} on [b]{escape(f.criterion)}[/b] "
            f"({escape(f.rubric)}) since "
            f"about {f.onset_date}; signalled {f.first_date} ({kept}).\n"
            f"fail rate {f.evaluator_fail_rate:.0%} vs {f.reference_fail_rate:.0%} "
            f"({'peers' if f.source == 'routine' else 'reference'}), {f.evidence_count} answers, "
            f"observed {f.observed} vs expected {f.expected:.1f} (z = {f.z:.1f})\n"
            f"examples: {escape(', '.join(f.examples)) or '—'}"
        )

    def action_clear(self) -> None:
        """Clear the highlighted flag, with a note (leads)."""
        from .modals import PromptScreen

        table = self.query_one(DataTable)
        if not self.flags or table.row_count == 0:
            self.notify("No flag to clear.")
            return
        f = self.flags[table.cursor_row]
        if f.id is None:
            return

        def got_note(note: str | None) -> None:
            if note is not None:
                self.clear(f.id, note)

        self.app.push_screen(PromptScreen(
            f"Clear flag #{f.id}: {f.evaluator} {f.direction} on {f.criterion}",
            "Why (recalibrated, reviewed…)? A later signal raises a new flag."), got_note)

    def clear(self, flag_id: int, note: str) -> None:
        """Clear flag ``flag_id`` through the core, then show the standing flags again."""
        from ...drift import clear_flag

        app: Any = self.app
        try:
            done = clear_flag(app.store, flag_id, note=note, actor=app.user_name)
        except QAError as exc:
            app.fail(exc)
            return
        self.notify(f"Cleared flag #{done.id} ({done.evaluator}, {done.criterion}).")
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()

"""The calibration meeting (lead): criteria × evaluators for one interaction, widest split first,
per-criterion agreement with CIs, consensus with a note, reveal and close."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, LoadingIndicator, Static

from ...errors import QAError
from ..widgets.footer import KeysFooter
from ..widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from ...report import CriterionAgreement, MeetingRow, MeetingView, SessionReport


def short(name: str) -> str:
    """A column header that fits 80 columns: the first name, cut to 7 letters."""
    return name.split()[0][:7] if name.strip() else name


def cell_text(criterion: Any, value: float | None, na: bool) -> str:
    """A matrix cell: Y/N, the scale value, or N/A — narrow enough for 80 columns."""
    if na:
        return "N/A"
    if value is None:
        return "·"
    if criterion.scale == "binary":
        return "Y" if value >= 1 else "N"
    return f"{value:g}"


def _status_line(c: CriterionAgreement) -> str:
    """The criterion against its target: flagged, passes, or can't tell yet (and what would
    settle it), from the interval of its raw agreement."""
    if c.status == "flagged":
        return f"[red]flagged[/red]: below the {c.target:.0%} target"
    if c.status == "passes":
        return f"[green]passes[/green] the {c.target:.0%} target"
    if not c.percent_agreement.defined:
        return "[dim]can't tell: no agreement figure[/dim]"
    settle = (f"; ~{c.interactions_to_settle} interactions would settle it"
              if c.interactions_to_settle else "")
    return f"[yellow]can't tell yet[/yellow] vs {c.target:.0%}{settle}"


class MeetingScreen(Screen[None]):
    BINDINGS = [
        Binding("right_square_bracket", "next", "Next", key_display="]"),
        Binding("left_square_bracket", "previous", "Prev", key_display="["),
        Binding("e", "consensus", "Consensus"),
        Binding("enter", "cell", "Comment", show=False),
        Binding("f", "fill", "Fill unanimous"),
        Binding("p", "panel", "Session report"),
        Binding("R", "reveal", "Reveal", key_display="R"),
        Binding("C", "close_session", "Close", key_display="C"),
        Binding("escape", "back", "Back"),
    ]
    PALETTE = [
        ("reveal", "Reveal the session", "Lock scoring and show everyone's answers"),
        ("close_session", "Close the session", "Read-only once consensus is complete"),
        ("consensus", "Set consensus", "Agreed answer and note for the highlighted criterion"),
        ("fill", "Fill unanimous consensus", "Cells where every evaluator agreed"),
        ("panel", "Session report", "Per-evaluator calibration figures"),
    ]

    POLICY = {"reveal": "session.reveal", "close_session": "session.close",
              "consensus": "session.consensus", "fill": "session.consensus"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.app.may_on(self, action))  # type: ignore[attr-defined]

    def __init__(self, session_ref: Any, position: int = 0) -> None:
        super().__init__()
        self.session_ref = session_ref
        self.position = position
        self.view: MeetingView | None = None
        self.report: SessionReport | None = None
        self.show_panel = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="meeting-head", classes="title")
        with Horizontal(id="meeting-body"):
            yield DataTable(id="matrix", cursor_type="cell", classes="panel")
            with Vertical(id="meeting-side", classes="panel"):
                yield Static(id="criterion-stats")
                yield LoadingIndicator(id="stats-loading")
                yield Static(id="cell-detail")
                yield Static(id="session-panel")
        yield KeysFooter()

    def on_resize(self, event: Any) -> None:
        """Below 150 columns the figures go under the matrix instead of beside it."""
        self.query_one("#meeting-body").set_class(event.size.width < 150, "narrow")

    def on_mount(self) -> None:
        self.query_one("#meeting-body").set_class(self.app.size.width < 150, "narrow")
        self.query_one("#session-panel").display = False
        if not self.load(self.position):
            return  # refused (the blind rule): the screen has closed itself
        self.query_one("#matrix").focus()
        self.compute_report()

    # ---------------------------------------------------------------- data
    def load(self, position: int) -> bool:
        """Show the matrix of one sampled interaction; False if the core refused it."""
        from ...report import meeting_view

        app: Any = self.app
        try:
            self.view = meeting_view(app.store, self.session_ref, viewer=app.user_name,
                                     position=position)
        except QAError as exc:
            app.fail(exc)
            self.app.pop_screen()
            return False
        view = self.view
        self.position = view.position
        it = view.interaction
        self.query_one("#meeting-head", Static).update(
            f"{view.session} · [b]{view.state}[/b] · interaction "
            f"{self.position + 1}/{view.total} {it.ref} · agent {it.agent or '–'}"
        )
        self._fill_matrix()
        self._update_side()
        return True

    def _fill_matrix(self) -> None:
        table = self.query_one("#matrix", DataTable)
        row, col = table.cursor_coordinate
        table.clear(columns=True)
        if self.view is None:
            return
        names = self.view.evaluators
        bench = self.view.benchmark_index
        headers = ["criterion", "agree"] + [
            ("★" + short(n)) if i == bench else short(n) for i, n in enumerate(names)
        ] + ["agreed"]
        table.add_columns(*headers)
        for r in self.view.rows:
            crit = r.criterion
            label = Text(("‼ " if crit.critical else "") + crit.key)
            agree = "–" if math.isnan(r.agreement) else f"{r.agreement:.0%}"
            cells: list[Any] = [label, agree]
            for cell in r.cells:
                if not cell.answered:
                    cells.append(Text("·", style="dim"))
                    continue
                text = Text(cell_text(crit, cell.answer, cell.na))
                if cell.agrees is True:
                    text.stylize("green")
                elif cell.agrees is False:
                    text.stylize("bold red")
                if cell.comment:
                    text.append(" ✎", style="dim")
                cells.append(text)
            cons = r.consensus
            cells.append(Text(cell_text(crit, cons.answer, cons.na), style="bold")
                         if cons else Text("—", style="dim"))
            table.add_row(*cells, key=crit.key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1),
                              column=min(col, len(headers) - 1))

    def _current_row(self) -> MeetingRow | None:
        table = self.query_one("#matrix", DataTable)
        if self.view is None or table.row_count == 0:
            return None
        return self.view.rows[table.cursor_coordinate.row]

    def on_data_table_cell_highlighted(self, _event: DataTable.CellHighlighted) -> None:
        self._update_side()

    def _update_side(self) -> None:
        r = self._current_row()
        stats = self.query_one("#criterion-stats", Static)
        detail = self.query_one("#cell-detail", Static)
        if r is None:
            stats.update("")
            detail.update("")
            return
        crit = r.criterion
        lines = [f"[b]{crit.key}[/b] ({crit.scale}{', critical' if crit.critical else ''})",
                 crit.question]
        fig = self.report.criterion(crit.key) if self.report is not None else None
        if fig is not None:
            lines += [
                f"agreement  {fig.percent_agreement.text(pct=True)}",
                _status_line(fig),
                f"Gwet AC1   {fig.gwet_ac1.text()}",
                f"Kripp. α   {fig.krippendorff_alpha.text()}",
            ]
        stats.update("\n".join(lines))
        col = self.query_one("#matrix", DataTable).cursor_coordinate.column
        info = ""
        names = self.view.evaluators if self.view is not None else ()
        if 2 <= col < 2 + len(names):
            cell = r.cells[col - 2]
            info = f"[b]{names[col - 2]}[/b]: " + (cell.comment or "[dim]no comment[/dim]")
        elif col == 2 + len(names) and r.consensus:
            info = f"[b]consensus note[/b]: {r.consensus.note or '—'}"
        detail.update(info)

    @work(exclusive=True, thread=True, group="report")
    def compute_report(self) -> None:
        """Agreement figures with bootstrap CIs are computed off the UI thread."""
        from ...report import session_report

        app: Any = self.app
        try:
            report = session_report(app.store, self.session_ref, viewer=app.user_name)
        except QAError as exc:
            self.app.call_from_thread(app.fail, exc)
            report = None
        self.app.call_from_thread(self._report_ready, report)

    def _report_ready(self, report: SessionReport | None) -> None:
        self.report = report
        self.query_one("#stats-loading").display = False
        self._update_side()
        self._update_panel()

    def _update_panel(self) -> None:
        panel = self.query_one("#session-panel", Static)
        if self.report is None:
            panel.update("")
            return
        rep = self.report
        lines = [f"[b]Evaluators vs {rep.reference}[/b]",
                 f"{'who':<14}{'match':>6}{'cal.':>6}{'gap':>7}{'|gap|':>7}"]

        def n(v: float, f: str) -> str:
            return "–" if v is None or math.isnan(v) else format(v, f)

        for e in rep.evaluators:
            mark = " [red]out[/red]" if e.out_of_band else ""
            lines.append(f"{e.evaluator[:13]:<14}{n(e.match_rate, '.0%'):>6}"
                         f"{n(e.calibration_score, '.0f'):>6}{n(e.mean_gap, '+.1f'):>7}"
                         f"{n(e.mean_abs_gap, '.1f'):>7}{mark}")
        lines.append(f"score ICC(2,1): {rep.overall_score_icc.text()}")
        if rep.flagged_criteria:
            lines.append("[red]flagged:[/red] " + ", ".join(rep.flagged_criteria))
        panel.update("\n".join(lines))

    # ---------------------------------------------------------------- actions
    def action_next(self) -> None:
        if self.view is not None and self.position < self.view.total - 1:
            self.load(self.position + 1)

    def action_previous(self) -> None:
        if self.position > 0:
            self.load(self.position - 1)

    def action_cell(self) -> None:
        self._update_side()
        detail = self.query_one("#cell-detail", Static)
        self.notify(str(detail.render()) or "No comment.", title="Comment")

    def action_panel(self) -> None:
        self.show_panel = not self.show_panel
        self.query_one("#session-panel").display = self.show_panel

    def _refresh_after_change(self) -> None:
        self.load(self.position)
        self.query_one("#stats-loading").display = True
        self.compute_report()

    def action_consensus(self) -> None:
        from .modals import PromptScreen

        r = self._current_row()
        if r is None:
            return
        crit = r.criterion
        current = r.consensus

        def got_value(value: str | None) -> None:
            if not value:
                return

            def got_note(note: str | None) -> None:
                self._set_consensus(crit.key, value.strip(), note)

            self.app.push_screen(
                PromptScreen(f"Why {crit.key} = {value}?", "A note, so it is not argued again",
                             (current.note if current else None) or ""), got_note)

        self.app.push_screen(
            PromptScreen(f"Consensus for {crit.key}", crit.choices_text()
                         .replace("1 Yes", "yes").replace("2 No", "no").replace("n N/A", "n/a"),
                         crit.answer_text(current.answer, current.na).split(" ")[0]
                         if current else ""),
            got_value,
        )

    def _set_consensus(self, key: str, value: str, note: str | None) -> None:
        from ...sessions import set_consensus

        app: Any = self.app
        if self.view is None:
            return
        try:
            set_consensus(app.store, self.session_ref,
                          interaction=f"#{self.view.interaction.id}", criterion=key,
                          value=value, note=note or None, actor=app.user_name)
        except QAError as exc:
            app.fail(exc)
            return
        self.notify(f"Consensus recorded for {key}.")
        self._refresh_after_change()

    def action_fill(self) -> None:
        from ...sessions import fill_consensus

        app: Any = self.app
        try:
            n = fill_consensus(app.store, self.session_ref, method="unanimous",
                               actor=app.user_name)
        except QAError as exc:
            app.fail(exc)
            return
        self.notify(f"{n} unanimous cells recorded as consensus.")
        self._refresh_after_change()

    def _confirm(self, question: str, then: Any) -> None:
        from .modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question), lambda ok: then() if ok == "yes" else None)

    def action_reveal(self) -> None:
        from ...sessions import reveal

        def go() -> None:
            app: Any = self.app
            try:
                reveal(app.store, self.session_ref, actor=app.user_name)
            except QAError as exc:
                app.fail(exc)
                return
            self.notify("Revealed: scoring is locked, answers are visible.")
            self._refresh_after_change()

        self._confirm("Reveal the session? Scoring locks.", go)

    def action_close_session(self) -> None:
        from ...sessions import close

        def go() -> None:
            app: Any = self.app
            try:
                close(app.store, self.session_ref, actor=app.user_name)
            except QAError as exc:
                app.fail(exc)
                return
            self.notify("Session closed.")
            self._refresh_after_change()

        self._confirm("Close the session? It becomes read-only.", go)

    def action_back(self) -> None:
        self.app.pop_screen()

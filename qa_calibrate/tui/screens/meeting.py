"""The calibration meeting (lead): criteria × evaluators for one interaction, widest split first,
per-criterion agreement with CIs, consensus with a note, reveal and close; beside the matrix the
interaction's transcript, with the turns the selected criterion's comments are tied to
highlighted (on a narrow terminal ``t`` switches between the matrix and the transcript)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, LoadingIndicator, Static

from ...errors import Conflict, QAError
from ..live import LiveScreen, keep_place
from ..widgets.footer import KeysFooter
from ..widgets.title_bar import TitleBar
from ..widgets.transcript import TranscriptView

if TYPE_CHECKING:
    from ...report import CriterionAgreement, MeetingRow, MeetingView, SessionReport

NARROW = 150  # below this width the figures go under the matrix, and the transcript is a toggle


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


class MeetingScreen(LiveScreen):
    BINDINGS = [
        Binding("right_square_bracket", "next", "Next", key_display="]"),
        Binding("left_square_bracket", "previous", "Prev", key_display="["),
        Binding("e", "consensus", "Consensus"),
        Binding("enter", "cell", "Comment", show=False),
        Binding("f", "fill", "Fill unanimous"),
        Binding("p", "panel", "Session report"),
        Binding("t", "transcript", "Transcript"),
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
        ("transcript", "Show or hide the transcript",
         "The contact under discussion, with the turns the comments are tied to"),
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
        self.show_transcript: bool | None = None  # None: beside the matrix when wide enough
        self._transcript_of: int | None = None  # the interaction the pane shows

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="meeting-head", classes="title")
        with Horizontal(id="meeting-body"):
            yield DataTable(id="matrix", cursor_type="cell", classes="panel")
            with Vertical(id="meeting-side", classes="panel"):
                yield Static(id="criterion-stats")
                yield LoadingIndicator(id="stats-loading")
                yield Static(id="cell-detail")
                yield TranscriptView(id="meeting-transcript", classes="panel")
                yield Static(id="session-panel")
        yield KeysFooter()

    def on_resize(self, event: Any) -> None:
        """Below 150 columns the figures go under the matrix instead of beside it."""
        self.query_one("#meeting-body").set_class(event.size.width < NARROW, "narrow")
        self._layout_transcript()

    @property
    def narrow(self) -> bool:
        return self.app.size.width < NARROW

    def _layout_transcript(self) -> None:
        """Wide: the transcript beside the matrix unless hidden with ``t``. Narrow: ``t`` shows
        it in the matrix's place (the criterion's comments stay above it)."""
        shown = (not self.narrow) if self.show_transcript is None else self.show_transcript
        self.query_one("#meeting-transcript").display = shown
        self.query_one("#matrix").display = not (shown and self.narrow)
        # in the matrix's place the figures give way: the comments and the turns are the point
        self.query_one("#meeting-body").set_class(shown and self.narrow, "transcript-mode")

    def on_mount(self) -> None:
        self.query_one("#meeting-body").set_class(self.narrow, "narrow")
        self.query_one("#session-panel").display = False
        self._layout_transcript()
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
            view = meeting_view(app.store, self.session_ref, viewer=app.user_name,
                                position=position)
        except QAError as exc:
            app.fail(exc)
            self.app.pop_screen()
            return False
        self._show_view(view)
        return True

    def reload_live(self) -> None:
        """The store changed: reload this interaction's matrix if it changed (the cursor stays
        on the same criterion and column), and the figures in the background."""
        from ...report import meeting_view

        app: Any = self.app
        try:
            view = meeting_view(app.store, self.session_ref, viewer=app.user_name,
                                position=self.position)
        except QAError:
            return  # e.g. the session went away: the next action says why
        if repr(view) != repr(self.view):  # repr: a NaN agreement equals itself
            self._show_view(view)
        self.compute_report()  # session-wide figures change with any interaction's answers

    def _show_view(self, view: MeetingView) -> None:
        self.view = view
        self.position = view.position
        it = view.interaction
        self.query_one("#meeting-head", Static).update(
            f"{view.session} · [b]{view.state}[/b] · interaction "
            f"{self.position + 1}/{view.total} {it.ref} · agent {it.agent or '–'}"
        )
        self._fill_matrix()
        self._show_transcript()
        self._update_side()

    def _show_transcript(self) -> None:
        """The interaction's turns, as the core let this viewer read them."""
        from ...scoring import TurnView

        pane = self.query_one("#meeting-transcript", TranscriptView)
        if self.view is None:
            return
        it = self.view.interaction
        if self.view.transcript is None:
            pane.show([TurnView(seq=0, speaker="system", offset_seconds=None,
                                text=self.view.transcript_refused or "no transcript")])
            self._transcript_of = None
        elif self._transcript_of != it.id:
            pane.show(self.view.transcript)
            self._transcript_of = it.id
        pane.border_title = f"transcript {it.ref}"

    def _fill_matrix(self) -> None:
        table = self.query_one("#matrix", DataTable)
        with keep_place(table):
            self._refill(table)

    def _refill(self, table: DataTable[Any]) -> None:
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
        here = "–" if math.isnan(r.agreement) else f"{r.agreement:.0%}"
        lines.append(f"[b]this interaction[/b] (the agree column): {here} of evaluator pairs "
                     "agree")
        fig = self.report.criterion(crit.key) if self.report is not None else None
        if self.report is not None and fig is not None:
            lines += [
                f"[b]whole session[/b] ({self.report.session.interactions} interactions):",
                f"  agreement {fig.percent_agreement.text(pct=True)}",
                "  " + _status_line(fig),
                f"  Gwet AC1  {fig.gwet_ac1.text()}",
                f"  Kripp. α  {fig.krippendorff_alpha.text()}",
            ]
        stats.update("\n".join(lines))
        detail.update(self._comments(r))
        self._mark_turns(r)

    def _comments(self, r: MeetingRow) -> str:
        """Every evaluator's comment on the criterion (the highlighted column's marked ▸), with
        the turn it is tied to (↳ #seq), and the consensus note."""
        from rich.markup import escape

        col = self.query_one("#matrix", DataTable).cursor_coordinate.column
        names = self.view.evaluators if self.view is not None else ()
        lines = [f"[b]comments on {r.criterion.key}[/b]"]
        for n, (who, cell) in enumerate(zip(names, r.cells, strict=True)):
            here = "▸" if col == n + 2 else " "
            if cell.comment:
                turn = f" [b]↳ #{cell.turn}[/b]" if cell.turn is not None else ""
                lines.append(f"{here}[b]{escape(who)}[/b]{turn}: {escape(cell.comment)}")
            elif col == n + 2:
                lines.append(f"{here}[b]{escape(who)}[/b]: [dim]no comment[/dim]")
        if len(lines) == 1:
            lines.append("[dim]no comments[/dim]")
        if r.consensus:
            mark = "▸" if col == 2 + len(names) else " "
            lines.append(f"{mark}[b]consensus note[/b]: "
                         f"{escape(r.consensus.note or '—')}")
        return "\n".join(lines)

    def _mark_turns(self, r: MeetingRow) -> None:
        """Highlight the turns the criterion's comments are tied to, saying whose; the
        highlighted evaluator's turn comes into view."""
        tied: dict[int, list[str]] = {}
        col = self.query_one("#matrix", DataTable).cursor_coordinate.column
        names = self.view.evaluators if self.view is not None else ()
        for n, cell in enumerate(r.cells):
            if cell.comment and cell.turn is not None:
                tied.setdefault(cell.turn, []).append(short(names[n]))
        pane = self.query_one("#meeting-transcript", TranscriptView)
        if self.view is not None and self.view.transcript is not None:
            focus = r.cells[col - 2].turn if 2 <= col < 2 + len(r.cells) else None
            pane.mark({seq: ", ".join(who) for seq, who in tied.items()}, focus=focus)

    @work(exclusive=True, thread=True, group="report")
    def compute_report(self) -> None:
        """Agreement figures with bootstrap CIs are computed off the UI thread."""
        from ...report import session_report

        app: Any = self.app
        try:
            report = session_report(app.store, self.session_ref, viewer=app.user_name)
        except QAError as exc:
            app.from_thread(app.fail, exc)
            report = None
        app.from_thread(self._report_ready, report)

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
        lines = [f"[b]Whole session[/b], evaluators vs {rep.reference}",
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

    def action_transcript(self) -> None:
        shown = self.query_one("#meeting-transcript").display
        self.show_transcript = not shown
        self._layout_transcript()
        if self.show_transcript and self.narrow:
            self.query_one("#meeting-transcript").focus()
        elif not self.show_transcript:
            self.query_one("#matrix").focus()

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
                self._set_consensus(crit.key, value.strip(), note,
                                    current.version if current else 0)

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

    def _set_consensus(self, key: str, value: str, note: str | None, seen: int) -> None:
        """Record the consensus the lead typed, if the cell is still as they saw it (``seen``:
        its version, 0 for none); changed meanwhile, the lead is told and sees the new one."""
        from ...sessions import set_consensus

        app: Any = self.app
        if self.view is None:
            return
        try:
            set_consensus(app.store, self.session_ref,
                          interaction=f"#{self.view.interaction.id}", criterion=key,
                          value=value, note=note or None, actor=app.user_name,
                          expected_version=seen)
        except Conflict as exc:
            app.fail(exc)
            self._refresh_after_change()
            return
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

"""The calibration meeting (lead): criteria × evaluators for one interaction, widest split first,
per-criterion agreement with CIs, consensus with a note, reveal and close; beside the matrix the
interaction's transcript, with the turns the selected criterion's comments are tied to
highlighted (on a narrow terminal ``t`` switches between the matrix and the transcript)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, LoadingIndicator, Static

from ...errors import Conflict, QAError
from ..live import LiveScreen, keep_place
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar
from ..widgets.transcript import TranscriptView
from .modals import ChoiceScreen

if TYPE_CHECKING:
    from ...report import CriterionAgreement, MeetingRow, MeetingView, SessionReport

NARROW = 150  # below this width the figures go under the matrix, and the transcript is a toggle


def short(name: str, width: int = 7) -> str:
    """A column header that fits 80 columns: the first name, cut to ``width`` letters."""
    return name.split()[0][:width] if name.strip() else name


def ellipsis(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in "…" when it was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def progress_text(progress: Any) -> str:
    """Submitted / expected and who still has work, for the reveal dialog."""
    lines = [f"{progress.submitted} of {progress.expected} evaluations submitted."]
    left = progress.with_work_left
    if left:
        lines.append("Still to submit:")
        lines += [f"  {p.name}{' (benchmark)' if p.benchmark else ''}: {p.left} of {p.total}"
                  + (f", {p.drafts} in draft" if p.drafts else "") for p in left]
        lines.append("Their unsubmitted work is left out of the comparison.")
    else:
        lines.append("Everyone has submitted.")
    return "\n".join(lines)


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


# How each interval was made (report.Figure.method), as the side panel names it.
METHOD_NAMES = {"wilson-effective-n": "Wilson, effective n", "bayesian-dirichlet": "Dirichlet",
                "bootstrap": "bootstrap"}


def _method(fig: Any) -> str:
    """The interval's method after a figure, dim: '' when it has no interval."""
    name = METHOD_NAMES.get(fig.method or "", fig.method)
    return f" [dim]{escape(name)}[/dim]" if name else ""


# The matrix's columns: criterion, agreement, the agreed answer (kept in sight with the criterion
# while the evaluators' columns scroll sideways), then one per evaluator, the benchmark first.
AGREED_COLUMN = 2
FIRST_EVALUATOR_COLUMN = 3


class MeetingScreen(LiveScreen):
    # In footer order: what must fit at 80 columns first (Reveal, Close, Back and Help).
    BINDINGS = [
        Binding("e", "consensus", "Consensus"),
        Binding("R", "reveal", "Reveal", key_display="R"),
        Binding("C", "close_session", "Close", key_display="C"),
        Binding("right_square_bracket", "next", "Next", key_display="]"),
        Binding("p", "panel", "Report", tooltip="The session report: per-evaluator figures"),
        *NAV_BINDINGS,
        Binding("left_square_bracket", "previous", "Prev", key_display="["),
        Binding("f", "fill", "Fill unanimous"),
        Binding("t", "transcript", "Transcript"),
        Binding("enter", "cell", "Comment", show=False),
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
        # Consensus typed while the session is still open (the core records consensus only after
        # reveal): kept in this screen, shown as drafts, recorded when the lead reveals.
        self.drafts: dict[tuple[int, str], tuple[str, str | None]] = {}
        self.order: list[int] = []  # the evaluators' indexes in column order
        self.compact = False

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Static(id="meeting-head", classes="title")
        with Horizontal(id="meeting-body"):
            # the criterion column and the header stay put while the matrix scrolls
            yield DataTable(id="matrix", cursor_type="cell", classes="panel",
                            fixed_columns=FIRST_EVALUATOR_COLUMN)
            with VerticalScroll(id="meeting-side", classes="panel"):
                yield Static(id="criterion-stats")
                yield LoadingIndicator(id="stats-loading")
                yield Static(id="cell-detail")
                yield TranscriptView(id="meeting-transcript", classes="panel")
                yield Static(id="session-panel")
        yield keys_footer(self.app)

    def on_resize(self, event: Any) -> None:
        """Below 150 columns the figures go under the matrix instead of beside it (and the
        transcript is a toggle, ``t``); below 100 the matrix's names and criteria are cut
        shorter, so that 80 columns show every column of a six-person session."""
        self.query_one("#meeting-body").set_class(event.size.width < NARROW, "narrow")
        self._layout_transcript()
        if (event.size.width < 100) != self.compact:
            self.compact = event.size.width < 100
            if self.view is not None:
                self._fill_matrix()
        if self.show_panel:  # laid out anew: keep the session report in view
            self.call_after_refresh(self.query_one("#session-panel").scroll_visible,
                                    animate=False)

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
        self.compact = self.app.size.width < 100
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
            f"{escape(view.session)} · [b]{view.state}[/b] · interaction "
            f"{self.position + 1}/{view.total} {escape(it.ref)} · agent {escape(it.agent or '–')}"
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
        name_width, key_width = (5, 14) if self.compact else (7, 40)
        self.order = [i for i in range(len(names)) if i == bench]
        self.order += [i for i in range(len(names)) if i != bench]
        headers = ["criterion", "agree", "agreed"] + [
            ("★" + short(names[i], name_width)) if i == bench else short(names[i], name_width)
            for i in self.order
        ]
        table.add_columns(*headers)
        for r in self.view.rows:
            crit = r.criterion
            label = Text(ellipsis(("‼ " if crit.critical else "") + crit.key, key_width))
            agree = "–" if math.isnan(r.agreement) else f"{r.agreement:.0%}"
            cons = r.consensus
            draft = self.drafts.get((self.view.interaction.id, crit.key))
            if cons:
                agreed = Text(cell_text(crit, cons.answer, cons.na), style="bold")
            elif draft:
                agreed = Text(f"{draft[0]}?", style="italic")  # a draft, before reveal
            else:
                agreed = Text("—", style="dim")
            cells: list[Any] = [label, agree, agreed]
            for cell in (r.cells[i] for i in self.order):
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
            table.add_row(*cells, key=crit.key)

    def _current_row(self) -> MeetingRow | None:
        table = self.query_one("#matrix", DataTable)
        if self.view is None or table.row_count == 0:
            return None
        return self.view.rows[table.cursor_coordinate.row]

    def on_data_table_cell_highlighted(self, _event: DataTable.CellHighlighted) -> None:
        self._update_side()

    def on_data_table_cell_selected(self, _event: DataTable.CellSelected) -> None:
        # enter on the focused matrix is the table's own "select": the screen's enter binding
        # (the comment) never sees it, so the selection shows the comment
        self.action_cell()

    def _update_side(self) -> None:
        r = self._current_row()
        stats = self.query_one("#criterion-stats", Static)
        detail = self.query_one("#cell-detail", Static)
        if r is None:
            stats.update("")
            detail.update("")
            return
        crit = r.criterion
        lines = [f"[b]{escape(crit.key)}[/b] ({crit.scale}"
                 f"{', critical' if crit.critical else ''})", escape(crit.question)]
        here = "–" if math.isnan(r.agreement) else f"{r.agreement:.0%}"
        lines.append(f"[b]this interaction[/b] (the agree column): {here} of evaluator pairs "
                     "agree")
        fig = self.report.criterion(crit.key) if self.report is not None else None
        if self.report is not None and fig is not None:
            lines += [
                f"[b]whole session[/b] ({self.report.session.interactions} interactions):",
                f"  agreement {fig.percent_agreement.text(pct=True)}"
                f"{_method(fig.percent_agreement)}",
                "  " + _status_line(fig),
                f"  Gwet AC1  {fig.gwet_ac1.text()}{_method(fig.gwet_ac1)}",
                f"  Kripp. α  {fig.krippendorff_alpha.text()}{_method(fig.krippendorff_alpha)}",
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
        lines = [f"[b]comments on {escape(r.criterion.key)}[/b]"]
        selected = self._evaluator_at(col)
        for n in self.order:  # in the matrix's column order
            who, cell = names[n], r.cells[n]
            here = "▸" if n == selected else " "
            if cell.comment:
                turn = f" [b]↳ #{cell.turn}[/b]" if cell.turn is not None else ""
                lines.append(f"{here}[b]{escape(who)}[/b]{turn}: {escape(cell.comment)}")
            elif n == selected:
                lines.append(f"{here}[b]{escape(who)}[/b]: [dim]no comment[/dim]")
        if len(lines) == 1:
            lines.append("[dim]no comments[/dim]")
        mark = "▸" if col == AGREED_COLUMN else " "
        if r.consensus:
            lines.append(f"{mark}[b]consensus note[/b]: "
                         f"{escape(r.consensus.note or '—')}")
        elif self.view is not None and (
                draft := self.drafts.get((self.view.interaction.id, r.criterion.key))):
            lines.append(f"{mark}[b]draft consensus[/b] {escape(draft[0])} (recorded when you "
                         f"reveal): {escape(draft[1] or '—')}")
        return "\n".join(lines)

    def _evaluator_at(self, col: int) -> int | None:
        """The evaluator (index in the view) whose column ``col`` is, if any."""
        k = col - FIRST_EVALUATOR_COLUMN
        return self.order[k] if 0 <= k < len(self.order) else None

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
            selected = self._evaluator_at(col)
            focus = r.cells[selected].turn if selected is not None else None
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
        lines = [f"[b]Whole session[/b], evaluators vs {escape(rep.reference)}",
                 f"{'who':<14}{'match':>6}{'cal.':>6}{'gap':>7}{'|gap|':>7}"]

        def n(v: float, f: str) -> str:
            return "–" if v is None or math.isnan(v) else format(v, f)

        for e in rep.evaluators:
            mark = " [red]out[/red]" if e.out_of_band else ""
            lines.append(f"{escape(f'{e.evaluator[:13]:<14}')}{n(e.match_rate, '.0%'):>6}"
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
        panel = self.query_one("#session-panel")
        panel.display = self.show_panel
        if self.show_panel:  # on a short terminal it is below the fold: bring it into view
            self.call_after_refresh(panel.scroll_visible, animate=False)

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
        if self.view is None:
            return
        cell = (self.view.interaction.id, crit.key)
        draft = self.drafts.get(cell)
        value_now = (crit.answer_text(current.answer, current.na).split(" ")[0]
                     if current else draft[0] if draft else "")
        note_now = (current.note if current else None) or (draft[1] if draft else "") or ""

        def got_value(value: str | None) -> None:
            if not value:
                return

            def got_note(note: str | None) -> None:
                if self.view is not None and self.view.state == "open":  # kept, not lost
                    self.drafts[cell] = (value.strip(), note or None)
                    self.notify(f"Draft consensus for {crit.key} kept: it is recorded when you "
                                "reveal the session.")
                    self._fill_matrix()
                    self._update_side()
                    return
                self._set_consensus(crit.key, value.strip(), note,
                                    current.version if current else 0)

            self.app.push_screen(
                PromptScreen(f"Why {crit.key} = {value}?", "A note, so it is not argued again",
                             note_now), got_note)

        self.app.push_screen(
            PromptScreen(f"Consensus for {crit.key}", crit.choices_text()
                         .replace("1 Yes", "yes").replace("2 No", "no").replace("n N/A", "n/a"),
                         value_now),
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
        self._fill("unanimous")

    def _fill(self, method: str) -> bool:
        from ...sessions import fill_consensus

        app: Any = self.app
        try:
            n = fill_consensus(app.store, self.session_ref, method=method, actor=app.user_name)
        except QAError as exc:
            app.fail(exc)
            return False
        source = "unanimous" if method == "unanimous" else "benchmark"
        self.notify(f"{n} cells recorded as consensus from the {source} answers.")
        self._refresh_after_change()
        return True

    def _confirm(self, question: str, then: Any, body: str = "") -> None:
        from .modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, body),
                             lambda ok: then() if ok == "yes" else None)

    def _progress(self) -> Any:
        """The core's count of submissions and consensus (None, and told why, if refused)."""
        from ...sessions import session_progress

        app: Any = self.app
        try:
            return session_progress(app.store, self.session_ref, actor=app.user_name)
        except QAError as exc:
            app.fail(exc)
            return None

    def action_reveal(self) -> None:
        """Say who has submitted and who still has work, then reveal on Yes."""
        from ...sessions import reveal

        def go() -> None:
            app: Any = self.app
            try:
                reveal(app.store, self.session_ref, actor=app.user_name)
            except QAError as exc:
                app.fail(exc)
                return
            self.notify("Revealed: scoring is locked, answers are visible.")
            self._record_drafts()
            self._refresh_after_change()

        if not self.app.may_on(self, "reveal"):  # type: ignore[attr-defined]
            go()  # not offered to this role; called anyway, the core refuses and says why
            return
        progress = self._progress()
        if progress is None:
            return
        body = progress_text(progress)
        if self.drafts:
            body += f"\n{len(self.drafts)} draft consensus will be recorded."
        self._confirm(f"Reveal {progress.session}? Scoring locks.", go, body)

    def _record_drafts(self) -> None:
        from ...sessions import set_consensus

        app: Any = self.app
        recorded = 0
        for (interaction_id, key), (value, note) in list(self.drafts.items()):
            try:
                set_consensus(app.store, self.session_ref, interaction=f"#{interaction_id}",
                              criterion=key, value=value, note=note, actor=app.user_name)
            except QAError as exc:  # a draft the core refuses stays a draft, and says why
                app.fail(exc)
                continue
            del self.drafts[(interaction_id, key)]
            recorded += 1
        if recorded:
            self.notify(f"{recorded} draft consensus recorded.")

    def action_close_session(self) -> None:
        """Close on Yes when consensus is complete; otherwise say what is missing and offer to
        fill it from unanimous answers or the benchmark's."""
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

        if not self.app.may_on(self, "close_session"):  # type: ignore[attr-defined]
            go()  # not offered to this role; called anyway, the core refuses and says why
            return
        progress = self._progress()
        if progress is None:
            return
        if progress.state != "revealed" or not progress.consensus_missing:
            self._confirm(f"Close {progress.session}? It becomes read-only.", go)
            return
        options = []
        if progress.fill_unanimous:
            options.append(("unanimous", f"Fill {progress.fill_unanimous} cells from unanimous "
                                         "answers"))
        if progress.fill_benchmark:
            options.append(("benchmark", f"Fill {progress.fill_benchmark} cells from the "
                                         "benchmark's answers"))
        options.append(("cancel", "Cancel: record the rest by hand (e)"))
        body = (f"Consensus is recorded on {progress.consensus_done} of "
                f"{progress.consensus_cells} cells; {progress.consensus_missing} are missing, "
                "and the session closes only when every cell has one.")

        def chosen(method: str | None) -> None:
            if method in ("unanimous", "benchmark") and self._fill(method):
                self.action_close_session()  # again: close, or say what is still missing

        self.app.push_screen(ChoiceScreen("Consensus is incomplete", options, body), chosen)

    def action_back(self) -> None:
        """Back; drafts of consensus live only on this screen, so leaving with some asks first."""
        if self.drafts:
            self._confirm(f"Leave the meeting? {len(self.drafts)} draft consensus (typed before "
                          "reveal) would be lost.", self.app.pop_screen)
            return
        self.app.pop_screen()

"""The calibration meeting (lead): criteria × evaluators for one interaction, widest split first,
per-criterion agreement with CIs, consensus with a note, reveal and close."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, LoadingIndicator, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar
from .modals import ChoiceScreen
from .scoring import answer_text


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


def fmt_fig(fig: dict[str, Any], pct: bool = False) -> str:
    from ...report import Figure

    return Figure.of(fig).text(pct=pct)


# The matrix's columns: criterion, agreement, the agreed answer (kept in sight with the criterion
# while the evaluators' columns scroll sideways), then one per evaluator, the benchmark first.
AGREED_COLUMN = 2
FIRST_EVALUATOR_COLUMN = 3


class MeetingScreen(Screen[None]):
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
        Binding("enter", "cell", "Comment", show=False),
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
        self.view: dict[str, Any] = {}
        self.report: dict[str, Any] | None = None
        self.show_panel = False
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
                yield Static(id="session-panel")
        yield keys_footer(self.app)

    def on_resize(self, event: Any) -> None:
        """Below 150 columns the figures go under the matrix instead of beside it; below 100
        the matrix's names and criteria are cut shorter, so that 80 columns show every
        column of a six-person session."""
        self.query_one("#meeting-body").set_class(event.size.width < 150, "narrow")
        if (event.size.width < 100) != self.compact:
            self.compact = event.size.width < 100
            if self.view:
                self._fill_matrix()
        if self.show_panel:  # laid out anew: keep the session report in view
            self.call_after_refresh(self.query_one("#session-panel").scroll_visible,
                                    animate=False)

    def on_mount(self) -> None:
        self.query_one("#meeting-body").set_class(self.app.size.width < 150, "narrow")
        self.compact = self.app.size.width < 100
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
        self.position = self.view["position"]
        it = self.view["interaction"]
        self.query_one("#meeting-head", Static).update(
            f"{self.view['session']} · [b]{self.view['state']}[/b] · interaction "
            f"{self.position + 1}/{self.view['total']} {it['ref']} · agent {it['agent'] or '–'}"
        )
        self._fill_matrix()
        self._update_side()
        return True

    def _fill_matrix(self) -> None:
        table = self.query_one("#matrix", DataTable)
        row, col = table.cursor_coordinate
        table.clear(columns=True)
        names = self.view["evaluators"]
        bench = self.view["benchmark_index"]
        name_width, key_width = (5, 14) if self.compact else (7, 40)
        self.order = [i for i in range(len(names)) if i == bench]
        self.order += [i for i in range(len(names)) if i != bench]
        headers = ["criterion", "agree", "agreed"] + [
            ("★" + short(names[i], name_width)) if i == bench else short(names[i], name_width)
            for i in self.order
        ]
        table.add_columns(*headers)
        for r in self.view["rows"]:
            crit = r["criterion"]
            label = Text(ellipsis(("‼ " if crit.critical else "") + crit.key, key_width))
            agree = "–" if math.isnan(r["agreement"]) else f"{r['agreement']:.0%}"
            cons = r["consensus"]
            draft = self.drafts.get((self.view["interaction"]["id"], crit.key))
            if cons:
                agreed = Text(cell_text(crit, cons["answer"], cons["na"]), style="bold")
            elif draft:
                agreed = Text(f"{draft[0]}?", style="italic")  # a draft, before reveal
            else:
                agreed = Text("—", style="dim")
            cells: list[Any] = [label, agree, agreed]
            for cell in (r["cells"][i] for i in self.order):
                if cell["answer"] is None and not cell["na"]:
                    cells.append(Text("·", style="dim"))
                    continue
                text = Text(cell_text(crit, cell["answer"], cell["na"]))
                if cell["agrees"] is True:
                    text.stylize("green")
                elif cell["agrees"] is False:
                    text.stylize("bold red")
                if cell["comment"]:
                    text.append(" ✎", style="dim")
                cells.append(text)
            table.add_row(*cells, key=crit.key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1),
                              column=min(col, len(headers) - 1))

    def _current_row(self) -> dict[str, Any] | None:
        table = self.query_one("#matrix", DataTable)
        if not self.view or table.row_count == 0:
            return None
        return self.view["rows"][table.cursor_coordinate.row]

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
        crit = r["criterion"]
        lines = [f"[b]{crit.key}[/b] ({crit.scale}{', critical' if crit.critical else ''})",
                 crit.question]
        if self.report is not None:
            fig = next((c for c in self.report["criteria"] if c["criterion"] == crit.key), None)
            if fig is not None:
                lines += [
                    f"agreement  {fmt_fig(fig['percent_agreement'], pct=True)}"
                    + ("  [red]below target[/red]" if fig["flagged"] else ""),
                    f"Gwet AC1   {fmt_fig(fig['gwet_ac1'])}",
                    f"Kripp. α   {fmt_fig(fig['krippendorff_alpha'])}",
                ]
        stats.update("\n".join(lines))
        col = self.query_one("#matrix", DataTable).cursor_coordinate.column
        info = ""
        first = FIRST_EVALUATOR_COLUMN
        if first <= col < first + len(self.view["evaluators"]):
            cell = r["cells"][self.order[col - first]]
            who = self.view["evaluators"][self.order[col - first]]
            info = f"[b]{who}[/b]: " + (cell["comment"] or "[dim]no comment[/dim]")
        elif col == AGREED_COLUMN and r["consensus"]:
            info = f"[b]consensus note[/b]: {r['consensus'].get('note') or '—'}"
        elif draft := self.drafts.get((self.view["interaction"]["id"], crit.key)):
            info = (f"[b]draft consensus[/b] {draft[0]} (recorded when you reveal): "
                    f"{draft[1] or '—'}")
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

    def _report_ready(self, report: dict[str, Any] | None) -> None:
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
        lines = [f"[b]Evaluators vs {rep['reference']}[/b]",
                 f"{'who':<14}{'match':>6}{'cal.':>6}{'gap':>7}{'|gap|':>7}"]
        for e in rep["evaluators"]:
            def n(v: float, f: str) -> str:
                return "–" if v is None or math.isnan(v) else format(v, f)
            mark = " [red]out[/red]" if e["out_of_band"] else ""
            lines.append(f"{e['evaluator'][:13]:<14}{n(e['match_rate'], '.0%'):>6}"
                         f"{n(e['calibration_score'], '.0f'):>6}{n(e['mean_gap'], '+.1f'):>7}"
                         f"{n(e['mean_abs_gap'], '.1f'):>7}{mark}")
        icc = rep["overall_score_icc"]
        lines.append(f"score ICC(2,1): {fmt_fig(icc)}")
        if rep["flagged_criteria"]:
            lines.append("[red]flagged:[/red] " + ", ".join(rep["flagged_criteria"]))
        panel.update("\n".join(lines))

    # ---------------------------------------------------------------- actions
    def action_next(self) -> None:
        if self.view and self.position < self.view["total"] - 1:
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
        crit = r["criterion"]
        current = r["consensus"]
        cell = (self.view["interaction"]["id"], crit.key)
        draft = self.drafts.get(cell)
        value_now = (answer_text(crit, {"value": current["answer"], "na": current["na"]})
                     .split(" ")[0] if current else draft[0] if draft else "")
        note_now = (current or {}).get("note") or (draft[1] if draft else "") or ""

        def got_value(value: str | None) -> None:
            if not value:
                return

            def got_note(note: str | None) -> None:
                if self.view["state"] == "open":  # kept until reveal, not lost
                    self.drafts[cell] = (value.strip(), note or None)
                    self.notify(f"Draft consensus for {crit.key} kept: it is recorded when you "
                                "reveal the session.")
                    self._fill_matrix()
                    self._update_side()
                    return
                self._set_consensus(crit.key, value.strip(), note)

            self.app.push_screen(
                PromptScreen(f"Why {crit.key} = {value}?", "A note, so it is not argued again",
                             note_now), got_note)

        self.app.push_screen(
            PromptScreen(f"Consensus for {crit.key}", crit.choices_text()
                         .replace("1 Yes", "yes").replace("2 No", "no").replace("n N/A", "n/a"),
                         value_now),
            got_value,
        )

    def _set_consensus(self, key: str, value: str, note: str | None) -> None:
        from ...sessions import set_consensus

        app: Any = self.app
        try:
            set_consensus(app.store, self.session_ref,
                          interaction=f"#{self.view['interaction']['id']}", criterion=key,
                          value=value, note=note or None, actor=app.user_name)
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

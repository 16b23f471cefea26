"""Scoring: the transcript on the left, the rubric on the right, the live score below.

Every answer is saved as a draft at once (through the core, with the optimistic version), so a
killed terminal loses nothing. Only the evaluator's own answers are ever loaded here.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ...errors import Conflict, QAError
from ...scoring import CriterionView, ScoringItem
from ..widgets.criteria import CriteriaTable
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar
from ..widgets.transcript import TranscriptView

# Number keys answer; only "0" is shown in the footer, as "0-9" (the help screen lists them as
# one line too).
ANSWER_KEYS = [
    Binding(str(d), f"answer({d})", "Answer", show=d == 0, key_display="0-9" if d == 0 else None)
    for d in range(10)
]


# The keys that change the evaluation: not offered (footer, help, palette) on a read-only one.
SCORING_ACTIONS = frozenset({"answer", "na", "comment", "root_cause", "enter_value", "submit"})


class ScoringScreen(Screen[None]):
    # Focus the criteria at once (the default, the first focusable widget, is the transcript;
    # moving focus after mount restyles both panels and lays the screen out again).
    AUTO_FOCUS = "#criteria"
    BINDINGS = [
        *ANSWER_KEYS,
        Binding("n", "na", "N/A"),
        Binding("c", "comment", "Comment"),
        Binding("t", "root_cause", "Root cause", show=False),
        Binding("g", "guidance", "Guidance", show=False),
        Binding("enter", "enter_value", "Type value", show=False),
        Binding("slash", "search", "Search", key_display="/", show=False),
        Binding("j", "turn(1)", "Next turn", show=False),
        Binding("k", "turn(-1)", "Previous turn", show=False),
        Binding("l", "tie_turn", "Tie to turn", show=False),
        Binding("right_square_bracket", "next", "Next", key_display="]"),
        Binding("left_square_bracket", "previous", "Prev", key_display="[", show=False),
        Binding("S", "submit", "Submit", key_display="S"),
        *NAV_BINDINGS,
    ]
    PALETTE = [
        ("submit", "Submit this evaluation", "Check every criterion is answered, then submit"),
        ("next", "Next sample", "Go to the next interaction in the queue"),
        ("previous", "Previous sample", "Go to the previous interaction"),
        ("search", "Search transcript", "Find text in the transcript"),
        ("guidance", "Toggle guidance", "Show every behavioural anchor of the criterion"),
        ("tie_turn", "Tie the comment to the turn",
         "The selected transcript turn (j/k) is what this criterion's comment is about"),
    ]

    def __init__(self, session_ref: Any, position: int | None = None) -> None:
        super().__init__()
        self.session_ref = session_ref
        self.position = position
        self.item: ScoringItem | None = None
        self.show_all_guidance = False
        self._detail_text: str | None = None
        self._shown_interaction: int | None = None  # whose transcript the pane shows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Before the item is loaded the keys count as offered: most items are editable, and
        # the footer is built once instead of twice while the screen opens.
        return action not in SCORING_ACTIONS or not self.item or self.is_editable

    @property
    def is_editable(self) -> bool:
        """Whether this evaluation can still change (a draft, in an open session)."""
        return self.item is not None and self.item.editable

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Static(id="scoring-head", classes="title")
        with Horizontal(id="scoring-body"):
            yield TranscriptView(id="transcript", classes="panel")
            with Vertical(id="rubric-side"):
                yield CriteriaTable("", "criterion", "answer", id="criteria", classes="panel")
                with VerticalScroll(id="criterion-detail", classes="panel"):
                    yield Static(id="criterion-detail-text")
        yield Static(id="score-bar")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        self.load(self.position)  # None: the queue opens on its first sample still to do

    # ---------------------------------------------------------------- loading
    def load(self, position: int | None, keep_row: bool = False) -> None:
        from ...sessions import scoring_item

        app: Any = self.app
        try:
            self.item = scoring_item(app.store, self.session_ref, evaluator=app.user_name,
                                     position=position)
        except QAError as exc:
            app.fail(exc)
            self.app.pop_screen()
            return
        self._show_item(keep_row)

    def _show_item(self, keep_row: bool) -> None:
        """Draw ``self.item`` (from ``scoring_item``, or as ``save_answer`` returned it)."""
        if self.item is None:
            return
        self.position = self.item.position
        it = self.item.interaction
        head = (f"{self.item.session} · {self.position + 1}/{self.item.total} · "
                f"{it.ref} · {it.channel} · agent {it.agent or '–'} · {it.team or ''}"
                f" · {self.item.status}")
        self.query_one("#scoring-head", Static).update(escape(head))
        transcript = self.query_one(TranscriptView)
        if self._shown_interaction != it.id:  # a save keeps the reader's place
            self._shown_interaction = it.id
            transcript.show(self.item.transcript)
        self._fill_criteria(keep_row)
        self._update_detail()
        self._update_score_bar()
        self.refresh_bindings()  # a submitted evaluation offers no scoring keys

    def _fill_criteria(self, keep_row: bool) -> None:
        table = self.query_one("#criteria", CriteriaTable)
        row = table.cursor_row if keep_row else 0
        rows: list[list[Text | str]] = []
        item = self.item
        if item is None:
            return
        for c in item.criteria:
            mark = "‼" if c.critical else ""
            text = Text(item.answer_text(c))
            if item.fails(c):
                text.stylize("bold red")
            elif item.answer(c):
                text.stylize("green")
            rows.append([mark, c.key.replace("_", " "), text])
        if not keep_row:  # a fresh sample opens on its first unanswered criterion
            row = item.first_unanswered
        table.set_rows(rows, cursor_row=row)

    @property
    def criterion(self) -> CriterionView | None:
        table = self.query_one("#criteria", CriteriaTable)
        if self.item is None or table.row_count == 0:
            return None
        return self.item.criteria[table.cursor_row]

    def on_criteria_table_row_highlighted(self, _event: CriteriaTable.RowHighlighted) -> None:
        self._update_detail()

    def _update_detail(self) -> None:
        c = self.criterion
        if c is None or self.item is None:
            self._show_detail("")
            return
        ans = self.item.answer(c)
        tied = ans.turn if ans else None
        self.query_one(TranscriptView).mark({} if tied is None else {tied: "this comment"})
        # the answer keys before the question: they stay in sight when the panel is short
        lines = [f"[b]{escape(c.section)}[/b] · weight {c.weight:g}"
                 + (" · [red]critical: a fail sets the score to 0[/red]" if c.critical else "")
                 + (" · subjective" if c.subjective else "")]
        if self.is_editable:
            lines.append(f"[dim]answer:[/dim] {escape(c.choices_text())}")
        lines.append(escape(c.question))
        if self.show_all_guidance:
            lines += [f"  [b]{escape(k)}[/b]: {escape(v)}" for k, v in c.guidance.items()]
        elif ans and (anchor := c.guidance_for(ans.value, ans.na)):
            lines.append(f"  [dim]{escape(anchor[0])}:[/dim] {escape(anchor[1])}")
        if ans and ans.comment:
            lines.append(f"[dim]comment:[/dim] {escape(ans.comment)}")
        if ans and ans.root_cause:
            lines.append(f"[dim]root cause:[/dim] {escape(ans.root_cause)}")
        if tied is not None:
            lines.append(f"[dim]tied to turn:[/dim] #{tied} (l on it again unties)")
        elif ans and ans.comment:
            lines.append("[dim]j/k pick a transcript turn, l ties this comment to it[/dim]")
        self._show_detail("\n".join(lines))

    def _show_detail(self, text: str) -> None:
        # The table highlights its row after every fill, which asks for the same text again;
        # an unchanged panel is not updated (an update lays the screen out again).
        if text != self._detail_text:
            self._detail_text = text
            self.query_one("#criterion-detail-text", Static).update(text)

    def _update_score_bar(self) -> None:
        bar = self.query_one("#score-bar", Static)
        item = self.item
        if item is None:
            bar.update("")
            return
        answered, total = len(item.answers), len(item.criteria)
        failed = item.failed_critical
        bar.set_class(bool(failed), "auto-fail")
        score_text = "–" if item.score is None else f"{item.score:.1f}"
        text = f"Score {score_text}  ·  {answered}/{total} answered  ·  {item.status}"
        if failed:
            text = f"AUTO-FAIL ({', '.join(failed)}): score 0  ·  {answered}/{total} answered"
        if item.status == "submitted":
            text += ": read-only"
        elif item.state != "open":
            text += f"  ·  session {item.state}: read-only"
        bar.update(text)

    # ---------------------------------------------------------------- saving
    def _editable(self) -> bool:
        if self.item is None:
            return False
        if self.item.locked_reason:
            self.notify(self.item.locked_reason, severity="warning")
            return False
        return True

    def save(self, *, answers: dict[str, Any] | None = None,
             comments: dict[str, str] | None = None,
             root_causes: dict[str, str] | None = None,
             turns: dict[str, int | None] | None = None) -> bool:
        """Save through the core at once (a draft); the core returns the updated item."""
        from ...sessions import save_answer

        if not self._editable() or self.item is None:
            return False
        app: Any = self.app
        try:
            self.item = save_answer(
                app.store, self.session_ref, evaluator=app.user_name,
                interaction=f"#{self.item.interaction.id}", answers=answers or {},
                comments=comments, root_causes=root_causes, turns=turns,
                expected_version=self.item.version, position=self.position or 0)
        except Conflict as exc:
            app.fail(exc)
            self.load(self.position or 0, keep_row=True)
            return False
        except QAError as exc:
            app.fail(exc)
            return False
        self._show_item(keep_row=True)
        return True

    # ---------------------------------------------------------------- actions
    def action_answer(self, digit: int) -> None:
        c = self.criterion
        if c is None:
            return
        raw = c.answer_for_key(digit)
        if raw is None:
            self.notify(f"{digit} is not an answer here: {c.choices_text()}", severity="warning")
            return
        if self.save(answers={c.key: raw}):
            self._advance()

    def _advance(self) -> None:
        table = self.query_one("#criteria", CriteriaTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(table.cursor_row + 1)

    def action_na(self) -> None:
        c = self.criterion
        if c is None:
            return
        if not c.na_allowed:
            self.notify("N/A is not allowed on this criterion.", severity="warning")
            return
        if self.save(answers={c.key: "n/a"}):
            self._advance()

    def action_enter_value(self) -> None:
        from .modals import PromptScreen

        c = self.criterion
        if c is None or not self._editable():
            return

        def done(value: str | None) -> None:  # a typed answer moves on, as a key does
            if value is not None and value.strip() and self.save(answers={c.key: value.strip()}):
                self._advance()

        self.app.push_screen(PromptScreen(f"Answer: {c.key}", c.choices_text()), done)

    def action_comment(self) -> None:
        from .modals import PromptScreen

        c = self.criterion
        if c is None or self.item is None or not self._editable():
            return
        ans = self.item.answer(c)
        if not ans:
            self.notify("Answer the criterion first, then comment.", severity="warning")
            return

        def done(value: str | None) -> None:
            if value is not None:
                self.save(comments={c.key: value})

        self.app.push_screen(
            PromptScreen(f"Comment on {c.key}", c.question, ans.comment or ""), done
        )

    def action_root_cause(self) -> None:
        from .modals import ChoiceScreen

        c = self.criterion
        if c is None or self.item is None or not self._editable():
            return
        causes = c.root_causes
        if not causes:
            self.notify("This criterion has no root-cause tags.", severity="warning")
            return
        if not self.item.answer(c):
            self.notify("Answer the criterion first.", severity="warning")
            return

        def done(value: str | None) -> None:
            if value:
                self.save(root_causes={c.key: value})

        self.app.push_screen(ChoiceScreen(f"Root cause: {c.key}", [(k, k) for k in causes]), done)

    def action_turn(self, delta: int) -> None:
        """Select the next or previous transcript turn (the one ``l`` ties a comment to)."""
        self.query_one(TranscriptView).move(delta)

    def action_tie_turn(self) -> None:
        """Tie this criterion's comment to the selected turn (again on the same turn: untie)."""
        c = self.criterion
        if c is None or self.item is None or not self._editable():
            return
        ans = self.item.answer(c)
        if not ans:
            self.notify("Answer the criterion first, then tie its comment to a turn.",
                        severity="warning")
            return
        turn = self.query_one(TranscriptView).selected_turn
        if turn is None:
            self.notify("Select a turn first: j/k move through the transcript, / searches it.",
                        severity="warning")
            return
        untie = ans.turn == turn.seq
        if self.save(turns={c.key: None if untie else turn.seq}):
            self.notify(f"{c.key}: untied from turn #{turn.seq}." if untie
                        else f"{c.key}: comment tied to turn #{turn.seq}.")

    def action_guidance(self) -> None:
        self.show_all_guidance = not self.show_all_guidance
        self._update_detail()

    def action_search(self) -> None:
        from .modals import PromptScreen

        def done(value: str | None) -> None:
            if value:
                hits = self.query_one(TranscriptView).search(value)
                self.notify(f"{hits} turn(s) match {value!r}" if hits
                            else f"No match for {value!r}",
                            severity="information" if hits else "warning")

        self.app.push_screen(PromptScreen("Search the transcript"), done)

    def action_next(self) -> None:
        if self.item is not None and (self.position or 0) < self.item.total - 1:
            self.load((self.position or 0) + 1)
        else:
            self.notify("This is the last sample.")

    def action_previous(self) -> None:
        if (self.position or 0) > 0:
            self.load((self.position or 0) - 1)
        else:
            self.notify("This is the first sample.")

    def action_submit(self) -> None:
        """Ask once, then submit."""
        from .modals import ConfirmScreen

        item = self.item
        if item is None or not self._editable():
            return
        answered, total, score = len(item.answers), len(item.criteria), item.score
        question = (f"Submit {item.interaction.ref}: {answered}/{total} answered, "
                    f"score {'–' if score is None else f'{score:.1f}'}? It becomes read-only.")
        self.app.push_screen(ConfirmScreen(question),
                             lambda ok: self._submit() if ok == "yes" else None)

    def _submit(self) -> None:
        from ...sessions import submit_item

        app: Any = self.app
        item = self.item
        if item is None:
            return
        try:
            result = submit_item(app.store, self.session_ref, evaluator=app.user_name,
                                 interaction_id=item.interaction.id,
                                 expected_version=item.version)
        except QAError as exc:
            app.fail(exc)
            return
        self.notify(f"Submitted: score {result.score:.1f}" if result.score is not None
                    else "Submitted.")
        following = item.next_todo()
        if following is not None:
            self.load(following)
        else:
            self.load(self.position or 0)
            self.notify("Queue done: every sample of this session is submitted.")

    def action_back(self) -> None:
        self.app.pop_screen()

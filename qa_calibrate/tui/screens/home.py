"""Home: the user's scoring queue, recent sessions with headline agreement, entry points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from ...errors import QAError
from ..live import keep_place
from ..widgets.keys import keys_footer, title_bar

if TYPE_CHECKING:
    from ...sessions import SessionRow


def store_label(url: str) -> str:
    """The store's file name (SQLite) or host/database (server), without secrets."""
    from pathlib import Path

    from ...store import describe_url

    if url.startswith("sqlite"):
        return Path(url.split("///", 1)[-1]).name
    return describe_url(url).split("@")[-1]


class HomeScreen(Screen[None]):
    _sessions: Sequence[SessionRow] = ()
    # In footer order: the keys that must fit at 80 columns first (Help and Quit among them).
    BINDINGS = [
        Binding("s", "score", "Score"),
        Binding("m", "meeting", "Meeting"),
        Binding("r", "report", "Report"),
        Binding("d", "drift", "Drift"),
        Binding("c", "coaching", "Coaching"),
        Binding("l", "sla", "SLAs"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
        Binding("t", "trend", "Trends"),
        Binding("enter", "open_selected", "Open"),
        Binding("u", "switch_user", "Switch person"),
        Binding("f5", "refresh", "Refresh"),
    ]
    PALETTE = [
        ("score", "Score the selected session", "Open the scoring queue"),
        ("meeting", "Calibration meeting", "Open the meeting screen of the selected session"),
        ("report", "Evaluator report", "Match, bias and score gaps per evaluator"),
        ("drift", "Drift flags", "Evaluators drifting lenient or harsh"),
        ("trend", "Trends", "Agreement and calibration scores session by session"),
        ("coaching", "Coaching plan", "Assignments and the Excel export"),
        ("sla", "Quality SLAs", "Sites × periods against their targets"),
        ("switch_user", "Switch person", "Use the tool as someone else (demo)"),
    ]

    # The policy action behind each key: the key, its help line and its palette entry show only
    # to those the policy allows (the core checks every action on its own anyway).
    POLICY = {
        "score": "score",
        "meeting": "meeting",
        "report": "report.evaluators",
        "drift": "drift",
        "trend": "report.trend",
        "coaching": "coaching.list",
        "sla": "report.sla",
    }

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        app: Any = self.app
        if action == "switch_user":
            return bool(app.demo)
        return bool(app.may_on(self, action))

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Static(id="who")
        yield Label("Your queue", classes="title")
        yield DataTable(id="queue", cursor_type="row")
        yield Label("Calibration sessions", classes="title")
        yield DataTable(id="sessions", cursor_type="row")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        queue = self.query_one("#queue", DataTable)
        queue.add_columns("session", "to score", "drafts", "due")
        table = self.query_one("#sessions", DataTable)
        table.add_columns("session", "state", "rubric", "submitted", "agreement", "flagged",
                          "out of band")
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def store_changed(self, visible: bool) -> None:
        """The store changed elsewhere: refresh now if on show (else on resume, as always)."""
        if visible:
            self.action_refresh()

    # ---------------------------------------------------------------- data
    def action_refresh(self) -> None:
        app: Any = self.app
        who = app.user_name or "nobody"
        role = app.user_role or "not in the store"
        hint = "  ·  u: switch person" if app.demo else ""
        self.query_one("#who", Static).update(
            f"[b]{escape(who)}[/b] ({role})  ·  store {escape(store_label(app.store.url))}{hint}"
        )
        queue = self.query_one("#queue", DataTable)
        with keep_place(queue):
            self._fill_queue(queue)
        table = self.query_one("#sessions", DataTable)
        with keep_place(table):
            self._fill_sessions(table)
        self.load_headlines()

    def _fill_queue(self, queue: DataTable[Any]) -> None:
        from ...sessions import queue_for

        app: Any = self.app
        queue.clear()
        self._queue: list[int] = []
        if app.user_role:
            try:
                for row in queue_for(app.store, app.user_name):
                    self._queue.append(row.session_id)
                    queue.add_row(row.session, f"{row.to_score}/{row.total}",
                                  str(row.drafts), str(row.due_on or ""),
                                  key=str(row.session_id))
            except QAError as exc:
                app.fail(exc)

    def _fill_sessions(self, table: DataTable[Any]) -> None:
        from ...sessions import list_sessions

        app: Any = self.app
        table.clear()
        try:
            self._sessions = list_sessions(app.store, actor=app.user_name)
        except QAError:  # a name not in the store sees no sessions
            self._sessions = []
        for srow in self._sessions:
            table.add_row(srow.name, srow.state, srow.rubric or "",
                          f"{srow.submitted}/{srow.expected}", "…", "", "",
                          key=str(srow.id))

    @work(exclusive=True, thread=True, group="headlines")
    def load_headlines(self) -> None:
        from ...report import headline

        app: Any = self.app
        for row in list(self._sessions):
            if row.state == "open" and not app.is_lead:
                cells = ("blind", "", "")
            else:
                try:
                    h = headline(app.store, row.id, viewer=app.user_name)
                    agreement = "–" if math.isnan(h.agreement) else f"{h.agreement:.0%}"
                    cells = (agreement, str(h.flagged), str(h.out_of_band))
                except QAError:
                    cells = ("–", "", "")
            app.from_thread(self._set_headline, str(row.id), cells)
        self._warm_scoring()

    def _warm_scoring(self) -> None:
        """Ask the core once, in the headlines worker, for what the scoring screen asks when it
        opens (and drop the answer): SQLAlchemy compiles those statements on first use, a fifth
        of the time the screen takes to open in a fresh process, paid here while home shows."""
        from ...sessions import scoring_item

        app: Any = self.app
        queue = list(getattr(self, "_queue", []))
        if not queue:
            return
        try:
            scoring_item(app.store, queue[0], evaluator=app.user_name, position=None)
        except QAError:
            pass  # the screen will say why when it is opened

    def _set_headline(self, key: str, cells: tuple[str, str, str]) -> None:
        table = self.query_one("#sessions", DataTable)
        try:
            for column, value in zip(("agreement", "flagged", "out of band"), cells, strict=True):
                col_key = next(c.key for c in table.columns.values() if str(c.label) == column)
                table.update_cell(key, col_key, value)
        except Exception:  # the table was refreshed meanwhile: nothing to update
            pass

    # ---------------------------------------------------------------- actions
    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the queue opens scoring; a session opens the meeting for a lead."""
        event.stop()
        self.action_open_selected()

    def action_open_selected(self) -> None:
        focused = self.focused
        if focused is not None and focused.id == "queue":
            self.action_score()
        else:
            app: Any = self.app
            if app.is_lead:
                self.action_meeting()
            else:
                self.action_score()

    def action_score(self) -> None:
        ref = self._selected("#queue") if self.focused and self.focused.id == "queue" else None
        ref = ref or self._selected("#sessions") or self._selected("#queue")
        if ref is None:
            self.notify("Nothing to score.", severity="warning")
            return
        self.app.action_open_scoring(int(ref))  # type: ignore[attr-defined]

    def action_meeting(self) -> None:
        ref = self._selected("#sessions")
        if ref is None:
            self.notify("No session yet.", severity="warning")
            return
        self.app.action_open_meeting(int(ref))  # type: ignore[attr-defined]

    def action_report(self) -> None:
        self.app.action_open_report(None)  # type: ignore[attr-defined]

    def action_drift(self) -> None:
        self.app.action_open_drift()  # type: ignore[attr-defined]

    def action_trend(self) -> None:
        self.app.action_open_trend()  # type: ignore[attr-defined]

    def action_coaching(self) -> None:
        self.app.action_open_coaching()  # type: ignore[attr-defined]

    def action_sla(self) -> None:
        self.app.action_open_sla()  # type: ignore[attr-defined]

    def action_switch_user(self) -> None:
        from ...people import list_evaluators
        from .modals import ChoiceScreen

        app: Any = self.app
        if not app.demo:
            self.notify("Start with --as NAME to act as someone else.", severity="warning")
            return
        people = list_evaluators(app.store, actor=app.user_name)
        options = [(p.name, f"{p.name} ({p.role}, {p.site or '–'})") for p in people]

        def chosen(name: str | None) -> None:
            if name:
                app.set_user(name)
                self.refresh_bindings()
                self.action_refresh()
                self.notify(f"You are now {name}.")

        self.app.push_screen(ChoiceScreen("Use the tool as…", options), chosen)

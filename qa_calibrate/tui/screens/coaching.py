"""Coaching: the open plan, filters, new assignments from the findings, export to Excel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, LoadingIndicator, ProgressBar, Static

from ...errors import QAError
from ..widgets.keys import NAV_BINDINGS, keys_footer, title_bar

if TYPE_CHECKING:
    from ...coaching import AssignmentView


class CoachingScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "plan", "Plan from findings"),
        Binding("x", "export", "Export .xlsx"),
        *NAV_BINDINGS,  # before the filters: Back and Help fit at 80 columns
        Binding("t", "team_filter", "Team filter"),
        Binding("s", "status_filter", "Status filter"),
    ]
    PALETTE = [
        ("plan", "Plan coaching", "Create assignments from the QA findings"),
        ("export", "Export coaching workbook", "Write the trainers' Excel workbook"),
    ]

    POLICY = {"plan": "coaching.plan", "export": "coaching.export"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.app.may_on(self, action))  # type: ignore[attr-defined]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AssignmentView] = []
        self.team: str | None = None
        self.status: str | None = None

    def compose(self) -> ComposeResult:
        yield title_bar()
        yield Label("Coaching plan", classes="title", id="coaching-title")
        yield LoadingIndicator(id="coaching-loading")
        yield Label("", id="coaching-stage")
        yield ProgressBar(id="coaching-progress", show_eta=False)
        yield DataTable(id="assignments", cursor_type="row")
        yield Static(id="assignment-detail", classes="panel")
        yield keys_footer(self.app)

    def on_mount(self) -> None:
        self._busy(False)
        self.query_one(DataTable).add_columns("id", "kind", "assignee", "role", "team", "module",
                                              "priority", "due", "trainer", "status")
        self.reload()

    def reload(self) -> None:
        from ...coaching import list_assignments

        app: Any = self.app
        try:
            self.rows = list_assignments(app.store, team=self.team, status=self.status,
                                         actor=app.user_name)
        except QAError as exc:  # the core refuses a role that may not see the plan
            app.fail(exc)
            self.rows = []
        table = self.query_one(DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(str(r.id), r.kind, r.assignee, r.role, r.team or "", r.module_title,
                          r.priority, str(r.due_on), r.trainer or "", r.status, key=str(r.id))
        filters = [f"team {self.team}" if self.team else "", f"status {self.status}"
                   if self.status else ""]
        label = ", ".join(f for f in filters if f) or "all"
        self.query_one("#coaching-title", Label).update(
            f"Coaching plan: {len(self.rows)} assignments ({label})")
        self._detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        table = self.query_one(DataTable)
        panel = self.query_one("#assignment-detail", Static)
        if not self.rows or table.row_count == 0:
            panel.update("Nothing planned yet: press p to plan from the findings.")
            return
        r = self.rows[table.cursor_row]
        ex = ", ".join(r.evidence.examples) or "—"
        panel.update(f"[b]{escape(r.assignee)}[/b] → {escape(r.module_title or '')} "
                     f"({escape(r.module_id)})\n{escape(r.reason)}\nexamples: {escape(ex)}")

    def _busy(self, on: bool, what: str = "") -> None:
        """Show or hide the loading state: a spinner, the stage and a progress bar."""
        self.query_one("#coaching-loading").display = on
        self.query_one("#coaching-progress").display = on
        stage = self.query_one("#coaching-stage", Label)
        stage.display = on
        stage.update(what)
        if on:
            self.query_one("#coaching-progress", ProgressBar).update(total=None, progress=0)

    def _progress(self, stage: str, done: int, total: int) -> None:
        """Called from a worker thread: move the bar on the UI thread."""
        def move() -> None:
            self.query_one("#coaching-stage", Label).update(stage)
            self.query_one("#coaching-progress", ProgressBar).update(total=total, progress=done)

        app: Any = self.app
        app.from_thread(move)

    def action_plan(self) -> None:
        self._busy(True, "planning")
        self.make_plan()

    @work(exclusive=True, thread=True, group="coaching")
    def make_plan(self) -> None:
        from ...coaching import plan

        app: Any = self.app
        try:
            before = len(self.rows)
            plan(app.store, actor=app.user_name, progress=self._progress)
            app.from_thread(self._planned, before)
        except QAError as exc:
            app.from_thread(self._failed, exc)

    def _planned(self, before: int) -> None:
        self._busy(False)
        self.reload()
        self.notify(f"Plan updated: {len(self.rows)} assignments shown (was {before}).")

    def _failed(self, exc: Exception) -> None:
        self._busy(False)
        app: Any = self.app
        app.fail(exc)

    def action_export(self) -> None:
        from .modals import PromptScreen

        def chosen(path: str | None) -> None:
            if path:
                self._busy(True, "exporting")
                self.export_to(Path(path).expanduser())

        self.app.push_screen(PromptScreen("Export the coaching workbook to…", "",
                                          str(Path.cwd() / "coaching_plan.xlsx")), chosen)

    @work(exclusive=True, thread=True, group="coaching")
    def export_to(self, path: Path) -> None:
        """Write the workbook off the UI thread, moving the progress bar as rows are written."""
        from ...export_xlsx import export_plan

        app: Any = self.app
        try:
            n = export_plan(app.store, path, team=self.team, progress=self._progress,
                            actor=app.user_name)
        except (QAError, OSError) as exc:
            app.from_thread(self._failed, exc)
            return
        app.from_thread(self._exported, n, path)

    def _exported(self, n: int, path: Path) -> None:
        self._busy(False)
        self.notify(f"Exported {n} assignments to {path}")

    def action_team_filter(self) -> None:
        teams = sorted({r.team for r in self._all() if r.team})
        self.team = _cycle(self.team, teams)
        self.reload()

    def action_status_filter(self) -> None:
        from ...coaching import STATUSES

        self.status = _cycle(self.status, list(STATUSES))
        self.reload()

    def _all(self) -> list[AssignmentView]:
        from ...coaching import list_assignments

        app: Any = self.app
        try:
            return list_assignments(app.store, actor=app.user_name)
        except QAError:
            return []

    def action_back(self) -> None:
        self.app.pop_screen()


def _cycle(current: str | None, options: list[str]) -> str | None:
    """None → first → … → last → None."""
    if not options:
        return None
    if current is None:
        return options[0]
    i = options.index(current) if current in options else -1
    return options[i + 1] if i + 1 < len(options) else None

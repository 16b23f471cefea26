"""The help screen: every key binding of the screen underneath, and the global ones."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss_help", "Close")]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Keys — {self.under.__class__.__name__.replace('Screen', '')}",
                        classes="title")
            yield DataTable(id="help-table", show_cursor=False)
            yield Label("Ctrl+P opens the command palette with every action. Esc closes.",
                        classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action")
        seen = set()
        for source in (self.under, self.app):
            for binding in getattr(source, "BINDINGS", []):
                if not isinstance(binding, Binding):
                    binding = Binding(*binding)
                key = binding.key_display or binding.key
                if key in seen or not binding.description:
                    continue
                action = binding.action.split("(")[0]
                if source is self.under and self.under.check_action(action, ()) is False:
                    continue  # not for this user's role: hidden here as in the footer
                seen.add(key)
                table.add_row(key.replace("question_mark", "?"), binding.description)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

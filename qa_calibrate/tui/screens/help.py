"""The help screen: every key the screen underneath offers this user, generated from its bindings
(the focused list's, the screen's and the app's), one line per action."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

# What a focused widget's keys are called in the help, by the widget's class.
WIDGET_NAMES = {"DataTable": "In the table", "CriteriaTable": "In the criteria list",
                "TranscriptView": "In the transcript", "VerticalScroll": "In the panel"}


def _keys_text(keys: list[tuple[str, str]]) -> str:
    """(key, as displayed) pairs as one line's keys: a run of digit keys as "0-9", other keys
    as displayed, joined by ", "."""
    if len(keys) > 2 and all(k.isdigit() and len(k) == 1 for k, _shown in keys):
        digits = sorted(int(k) for k, _shown in keys)
        if digits == list(range(digits[0], digits[-1] + 1)):
            return f"{digits[0]}-{digits[-1]}"
    return ", ".join(dict.fromkeys(shown for _k, shown in keys))


def help_rows(screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(section, keys, description) for every key binding active on ``screen`` that has a
    description and that the screen's ``check_action`` does not hide; bindings of one action
    (``answer(0)`` … ``answer(9)``, or ``escape`` and ``q``) share one line."""
    app = screen.app
    lines: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for _key, active in screen.active_bindings.items():
        node, binding = active.node, active.binding
        if not binding.description or binding.system:
            continue
        if node is app or binding.action.startswith(("app.", "screen.")):  # Tab, Help, copy
            section = "Everywhere"
        elif node is screen:
            section = "This screen"
        else:
            section = WIDGET_NAMES.get(node.__class__.__name__, "In the focused panel")
        action = binding.action.split("(")[0].removeprefix("app.").removeprefix("screen.")
        description = "Command palette" if action == "command_palette" else binding.description
        lines.setdefault((section, action, description), []).append(
            (binding.key, app.get_key_display(binding)))
    order = ["This screen"]
    order += [s for s, _a, _d in lines if s not in ("This screen", "Everywhere")]
    order.append("Everywhere")
    rows: list[tuple[str, str, str]] = []
    for wanted in dict.fromkeys(order):
        rows += [(section, _keys_text(keys), description)
                 for (section, _action, description), keys in lines.items()
                 if section == wanted]
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss_help", "Close")]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under
        self.rows = help_rows(under)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Keys — {self.under.__class__.__name__.replace('Screen', '')}",
                        classes="title")
            yield DataTable(id="help-table", show_cursor=False, zebra_stripes=True)
            yield Label("↑/↓ or PgUp/PgDn scroll this list. Ctrl+P opens the command palette "
                        "with every action. Esc closes.", classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action")
        section = None
        for where, keys, description in self.rows:
            if where != section:
                section = where
                table.add_row(Text(where, style="bold"), "")
            table.add_row(keys, description)
        table.focus()

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(keys, description) of every key listed (section headings left out)."""
        return [(keys, description) for _section, keys, description in self.rows]

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

"""Small modal dialogs: a text prompt, a pick-one list, a yes/no confirmation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter returns it, Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, prompt: str = "", value: str = "", placeholder: str = ""
    ) -> None:
        super().__init__()
        self.title_text, self.prompt = title, prompt
        self.value, self.placeholder = value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, classes="title")
            if self.prompt:
                yield Label(self.prompt, classes="muted")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of several options; returns the option id or None. ``body``: what the choice
    is about, above the options (it scrolls when the terminal is short)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]], body: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.body = title, options, body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, classes="title")
            if self.body:
                with VerticalScroll(id="dialog-body"):
                    yield Static(self.body, markup=False)
            yield OptionList(*[Option(label, id=key) for key, label in self.options], id="choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ChoiceScreen):
    """Yes / No."""

    def __init__(self, question: str, body: str = "") -> None:
        super().__init__(question, [("yes", "Yes"), ("no", "No")], body)

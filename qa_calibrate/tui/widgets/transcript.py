"""A transcript: one block per turn, coloured by speaker, with search highlighting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from ...scoring import TurnView

SPEAKER_STYLE = {"agent": "bold cyan", "customer": "bold yellow", "system": "dim italic"}
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|[A-Z_]{3,})\]")


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "     "
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def turn_text(turn: TurnView, needle: str | None = None) -> Text:
    """One turn as rich text: time, speaker, words; redaction placeholders and hits stand out."""
    text = Text(f"{clock(turn.offset_seconds)} ", style="dim")
    text.append(f"{turn.speaker}: ", style=SPEAKER_STYLE.get(turn.speaker, ""))
    body = Text(turn.text)
    body.highlight_regex(PLACEHOLDER, "reverse magenta")
    if needle:
        body.highlight_regex(re.compile(re.escape(needle), re.IGNORECASE), "black on yellow")
    text.append_text(body)
    return text


class TranscriptView(VerticalScroll):
    """Shows turns (one rendered block, cheap to mount); ``search`` highlights matches and
    scrolls to the first."""

    can_focus = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.turns: Sequence[TurnView] = ()
        self.needle: str | None = None

    def compose(self) -> Any:
        yield Static(id="transcript-text")

    def _paint(self) -> None:
        text = Text()
        for n, turn in enumerate(self.turns):
            if n:
                text.append("\n")
            found = bool(self.needle) and (self.needle or "").lower() in turn.text.lower()
            text.append_text(turn_text(turn, self.needle if found else None))
        self.query_one("#transcript-text", Static).update(text)

    def show(self, turns: Sequence[TurnView]) -> None:
        self.turns, self.needle = turns, None
        self._paint()
        self.scroll_home(animate=False)

    def search(self, needle: str) -> int:
        """Highlight ``needle`` (case-insensitive); return how many turns contain it."""
        self.needle = needle
        self._paint()
        hits = [n for n, t in enumerate(self.turns) if needle.lower() in t.text.lower()]
        if hits:
            width = max(self.scrollable_content_region.width, 10)
            before = sum(len(turn_text(t).wrap(self.app.console, width))
                         for t in self.turns[: hits[0]])
            self.scroll_to(y=before, animate=False)
        return len(hits)

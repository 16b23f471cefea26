"""A transcript: one block per turn, coloured by speaker, with search highlighting, a selected
turn (to tie a comment to) and marked turns (those comments are tied to)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from ...scoring import TurnView

SPEAKER_STYLE = {"agent": "bold cyan", "customer": "bold yellow", "system": "dim italic"}
SELECTED_STYLE = "reverse"
MARKED_STYLE = "on #3b3b00"
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
    scrolls to the first; ``select`` picks a turn (shown reversed) and ``mark`` highlights
    turns with a note (who tied a comment to it)."""

    can_focus = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.turns: Sequence[TurnView] = ()
        self.needle: str | None = None
        self.selected: int | None = None  # an index into ``turns``
        self.marked: dict[int, str] = {}  # turn seq -> note

    def compose(self) -> Any:
        yield Static(id="transcript-text")

    def _paint(self) -> None:
        text = Text()
        for n, turn in enumerate(self.turns):
            if n:
                text.append("\n")
            found = bool(self.needle) and (self.needle or "").lower() in turn.text.lower()
            line = turn_text(turn, self.needle if found else None)
            note = self.marked.get(turn.seq)
            if note is not None:
                line.stylize(MARKED_STYLE)
                line.append(f"  ◀ {note}", style="bold")
            if n == self.selected:
                line = Text(f"#{turn.seq} ", style="bold").append_text(line)
                line.stylize(SELECTED_STYLE)
            text.append_text(line)
        self.query_one("#transcript-text", Static).update(text)

    def show(self, turns: Sequence[TurnView], *, marked: Mapping[int, str] | None = None
             ) -> None:
        self.turns, self.needle, self.selected = turns, None, None
        self.marked = dict(marked or {})
        self._paint()
        self.scroll_home(animate=False)

    @property
    def selected_turn(self) -> TurnView | None:
        if self.selected is None or not 0 <= self.selected < len(self.turns):
            return None
        return self.turns[self.selected]

    def select(self, index: int | None) -> None:
        """Select the ``index``-th turn (None: none) and bring it into view."""
        if index is not None:
            index = max(0, min(index, len(self.turns) - 1)) if self.turns else None
        self.selected = index
        self._paint()
        if index is not None:
            self.scroll_to_turn(index)

    def move(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) turn; the first one when none is selected."""
        if not self.turns:
            return
        self.select(0 if self.selected is None else self.selected + delta)

    def mark(self, marked: Mapping[int, str], *, focus: int | None = None) -> None:
        """Highlight these turns (seq -> note); turn ``focus`` (a seq), else the first marked,
        comes into view."""
        if dict(marked) == self.marked and focus is None:
            return
        self.marked = dict(marked)
        self._paint()
        wanted = [n for n, t in enumerate(self.turns)
                  if (t.seq == focus if focus is not None else t.seq in self.marked)]
        if wanted:
            self.scroll_to_turn(wanted[0])

    def scroll_to_turn(self, index: int) -> None:
        width = max(self.scrollable_content_region.width, 10)
        before = sum(len(turn_text(t).wrap(self.app.console, width))
                     for t in self.turns[:index])
        self.scroll_to(y=max(0, before - 1), animate=False)

    def search(self, needle: str) -> int:
        """Highlight ``needle`` (case-insensitive); return how many turns contain it."""
        self.needle = needle
        self._paint()
        hits = [n for n, t in enumerate(self.turns) if needle.lower() in t.text.lower()]
        if hits:
            self.select(hits[0])  # the first hit is the turn a comment can be tied to
        return len(hits)

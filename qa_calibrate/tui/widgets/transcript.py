"""A transcript: one block per turn, coloured by speaker, with search highlighting."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

SPEAKER_STYLE = {"agent": "bold cyan", "customer": "bold yellow", "system": "dim italic"}
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|[A-Z_]{3,})\]")


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "     "
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def turn_text(turn: dict[str, Any], needle: str | None = None) -> Text:
    """One turn as rich text: time, speaker, words; redaction placeholders and hits stand out."""
    text = Text(f"{clock(turn['offset_seconds'])} ", style="dim")
    text.append(f"{turn['speaker']}: ", style=SPEAKER_STYLE.get(turn["speaker"], ""))
    body = Text(turn["text"])
    body.highlight_regex(PLACEHOLDER, "reverse magenta")
    if needle:
        body.highlight_regex(re.compile(re.escape(needle), re.IGNORECASE), "black on yellow")
    text.append_text(body)
    return text


class TranscriptView(VerticalScroll):
    """Shows turns; ``search`` highlights matches and scrolls to the first."""

    can_focus = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.turns: list[dict[str, Any]] = []

    def show(self, turns: list[dict[str, Any]]) -> None:
        self.turns = turns
        self.remove_children()
        self.mount_all([Static(turn_text(t), classes=f"turn {t['speaker']}") for t in turns])
        self.scroll_home(animate=False)

    def search(self, needle: str) -> int:
        """Highlight ``needle`` (case-insensitive); return how many turns contain it."""
        hits = []
        for widget, turn in zip(self.query(Static), self.turns, strict=False):
            found = needle.lower() in turn["text"].lower()
            widget.update(turn_text(turn, needle if found else None))
            if found:
                hits.append(widget)
        if hits:
            self.scroll_to_widget(hits[0], animate=False, top=True)
        return len(hits)

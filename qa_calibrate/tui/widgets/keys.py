"""The top and bottom lines of every screen: Textual's own ``Header`` and ``Footer``.

The footer is compact (less space around each key) below ``COMPACT_BELOW`` columns, so the
keys each screen lists first still fit at 80 columns; keys that do not fit stay reachable by
scrolling the footer with the mouse wheel, and every key is listed by the help screen (``?``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

COMPACT_BELOW = 120


class FooterItem(NamedTuple):
    """One key the footer shows."""

    key: str
    key_display: str
    description: str
    enabled: bool
    tooltip: str


class KeysFooter(Footer):
    """``Footer``, compact when the terminal is narrow, rebuilt only when its keys change.

    ``Footer`` rebuilds its keys (one widget each), after the next refresh, on every bindings
    signal of the screen, and a screen opening sends several (mount, focus, resume): on the
    scoring screen that was most of the time to open it. Here each signal compares at once what
    the footer would show with what it shows, and the keys are rebuilt only when they differ.
    """

    # Footer's keys are built compact and restyled one by one when the footer is not, which
    # cost a style update per key while a screen opened. This footer stays compact; wide, its
    # "-roomy" class gives the keys the spacing Footer's non-compact style has.
    # Compact, the palette key (docked right) kept the margin every key has, and the last
    # column showed a letter of the key scrolled under it.
    DEFAULT_CSS = """
    KeysFooter.-compact FooterKey.-command-palette.-compact { margin-right: 0; }
    KeysFooter.-roomy {
        FooterKey { margin-right: 0; }
        FooterKey .footer-key--key { padding: 0 1; }
        FooterKey .footer-key--description { padding: 0 1 0 0; }
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[FooterItem, ...] | None = None

    @property
    def shown(self) -> tuple[FooterItem, ...]:
        """The keys the footer shows, in order (those past the right edge too: the footer
        scrolls sideways with the mouse wheel)."""
        return self._shown or ()

    def _keys(self, screen: Screen[Any]) -> tuple[FooterItem, ...]:
        seen: set[str] = set()
        keys = []
        for _node, binding, enabled, tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in seen:  # one key per action, as Footer
                seen.add(binding.action)
                keys.append(FooterItem(binding.key, self.app.get_key_display(binding),
                                       binding.description, enabled, tooltip))
        return tuple(keys)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not self.is_attached or screen is not self.screen or screen is not self.app.screen \
                or not self.app.app_focus:
            return  # not showing: resuming the screen sends another signal
        keys = self._keys(screen)
        if keys != self._shown:
            self._shown = keys
            super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= COMPACT_BELOW, "-roomy")


def keys_footer(app: App[Any]) -> KeysFooter:
    """The footer, compact from the start on a narrow terminal (no restyle once it shows)."""
    return KeysFooter(compact=True, classes="-roomy" if app.size.width >= COMPACT_BELOW else "")


def title_bar() -> Header:
    """The header line: the palette icon (click it for the command palette) and the title."""
    return Header(icon="⭘")


# The last keys of every screen but home: Back (Esc, and q, which quits only from home) and Help.
NAV_BINDINGS = [
    Binding("escape", "back", "Back"),
    Binding("q", "back", "Back", show=False),
    Binding("question_mark", "app.help", "Help", key_display="?"),
]

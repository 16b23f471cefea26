"""A Footer that rebuilds its keys only when the keys it shows change.

Textual's ``Footer`` starts empty and recomposes (removes and remounts every key, each key
restyled twice) on every bindings signal: on mount, on every focus change, on every push and pop
of any screen, including screens that are not showing. Opening the scoring screen sent five such
signals for the same keys, about 20 ms each. This one composes the keys at once, then recomposes
only when the screen is showing and the keys it would show (key, label, enabled, tooltip, group)
differ from those on display; each key starts with the footer's ``compact`` so mounting it does
not restyle it twice. What a user sees is the same.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(Footer._bindings_ready, True)  # the first compose shows the keys
        self._shown: tuple[Any, ...] | None = None
        self._check_pending = False

    def _keys(self) -> tuple[Any, ...]:
        """What ``Footer.compose`` would show now."""
        app = self.app
        palette = self.show_command_palette and app.ENABLE_COMMAND_PALETTE
        return (
            palette,
            tuple(
                (key, binding.key, app.get_key_display(binding), binding.description,
                 binding.action, binding.group, enabled, tooltip or binding.tooltip)
                for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
                if binding.show or (palette and key == app.COMMAND_PALETTE_BINDING)
            ),
        )

    def compose(self) -> Any:
        self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Give each key its final ``compact`` (and class) before it mounts, so mounting
                # does not restyle it for its own default and again for the footer's bind. The
                # palette key is not bound: it keeps FooterKey's default, compact.
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True  # signals arriving before the check share it
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        if self.screen is not self.app.screen:
            return  # not showing: resuming the screen sends another signal
        if self._keys() != self._shown:
            await self.recompose()

"""The top line of every screen: the palette icon and the title, drawn as one widget.

Textual's ``Header`` is four widgets (icon, title, clock space, the header itself) and sets its
title through four asynchronous watchers, each updating the title widget, so a new screen lays
out and draws its header several times; on the scoring screen that was about a quarter of the
time to open it. ``TitleBar`` draws the same line (the icon on the left, the title and sub-title
centred between the icon and the clock space, the same colours) in one ``render`` and redraws
when a title changes. Clicking the icon opens the command palette, as in ``Header``; it has no
clock and no tall mode (no screen here uses them).
"""

from __future__ import annotations

from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8  # Header's icon: width 8, padding 0 1
RIGHT_WIDTH = 10  # Header's clock space


class TitleBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        if self.app.ENABLE_COMMAND_PALETTE:
            self.tooltip = "Click ⭘ for the command palette"
        for owner in (self.app, self.screen):
            for name in ("title", "sub_title"):
                self.watch(owner, name, self._title_changed, init=False)

    def _title_changed(self) -> None:
        self.refresh()

    @property
    def title_content(self) -> Content:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> RenderResult:
        width = self.size.width
        middle = max(0, width - ICON_WIDTH - RIGHT_WIDTH)
        icon = Content(" " + ICON).truncate(ICON_WIDTH, pad=True)
        title = self.title_content.center(middle, ellipsis=True)
        return Content.assemble(icon, title).truncate(width, pad=True)

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")

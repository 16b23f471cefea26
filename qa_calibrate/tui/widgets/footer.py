"""The footer: the keys of the showing screen, drawn as one widget.

Textual's ``Footer`` is a container with one ``FooterKey`` widget per key (nine on the scoring
screen), each styled twice, laid out and rendered on its own. ``KeysFooter`` draws the same line
(same keys, labels, colours from the same theme variables, the command palette key on the right:
the snapshots are unchanged) in one widget, and redraws it only when the keys it would show
change. It keeps what a user can do with the keys: click one to press it (a disabled key rings
the bell), hover to highlight it and see its tooltip, scroll the mouse wheel over the footer to
see keys that do not fit. Binding groups are drawn as separate keys (no screen here uses them);
there is no compact style.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.css.styles import StylesBase
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class FooterItem:
    key: str  # what pressing it simulates
    key_display: str
    description: str
    enabled: bool
    tooltip: str
    palette: bool = False


class KeysFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keys-footer--item",
        "keys-footer--item-hover",
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--separator",
    }
    # The rules of Textual's Footer and FooterKey, for the parts of this one widget.
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-footer--item {
            background: $footer-item-background;
        }
        & > .keys-footer--item-hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--separator {
            color: $foreground 20%;
        }
        &.-over-key {
            pointer: pointer;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.show_command_palette = show_command_palette
        self._items: tuple[FooterItem, ...] = ()
        self._spans: list[tuple[int, int, FooterItem]] = []  # screen x range of each drawn key
        self._hover: FooterItem | None = None
        self._scroll_x = 0
        self._overflow = 0
        self._check_pending = False

    @property
    def shown(self) -> tuple[FooterItem, ...]:
        """The keys on display, left to right (the command palette key last)."""
        return self._items

    # ------------------------------------------------------------------ keys
    def _collect(self) -> tuple[FooterItem, ...]:
        """The keys ``Footer`` would show: bindings with ``show``, one per action, in order;
        then the command palette key."""
        app = self.app
        active = self.screen.active_bindings
        by_action: defaultdict[str, list[tuple[Any, bool, str]]] = defaultdict(list)
        for _node, binding, enabled, tooltip in active.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        items = [
            FooterItem(binding.key, app.get_key_display(binding), binding.description, enabled,
                       tooltip)
            for binding, enabled, tooltip in (group[0] for group in by_action.values())
        ]
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            palette = active.get(app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, _tooltip = palette
                items.append(FooterItem(binding.key, app.get_key_display(binding),
                                        binding.description, enabled,
                                        binding.tooltip or binding.description, palette=True))
        return tuple(items)

    def on_mount(self) -> None:
        self._items = self._collect()
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True  # signals arriving before the check share it
            self.call_after_refresh(self._refresh_if_changed)

    def _refresh_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached or self.screen is not self.app.screen:
            return  # not showing: resuming the screen sends another signal
        items = self._collect()
        if items != self._items:
            self._items = items
            if self._hover is not None and self._hover not in items:
                self._set_hover(None)
            self.refresh()

    # ------------------------------------------------------------------ drawing
    def _style(self, *parts: StylesBase) -> Style:
        """``DOMNode.rich_style`` of a node below this one whose styles are ``parts`` (as for
        a FooterKey in a Footer, and its key or description component)."""
        background = Color(0, 0, 0, 0)
        color = Color(255, 255, 255, 0)
        style = Style()
        opacity = 1.0
        chain = [node.styles for node in reversed(self.ancestors_with_self)]
        for styles in (*chain, *parts):
            has_rule = styles.has_rule
            opacity *= styles.opacity
            if has_rule("background"):
                tinted = styles.background.tint(styles.background_tint)
                text_background = background + tinted
                background += tinted.multiply_alpha(opacity)
            else:
                text_background = background
            if has_rule("color"):
                color = styles.color
            style += styles.text_style
            if has_rule("auto_color") and styles.auto_color:
                color = text_background.get_contrast_text(color.a)
        style += Style.from_color(
            (background + color).rich_color if (background.a or color.a) else None,
            background.rich_color if background.a else None,
        )
        return style

    def _item_segments(self, item: FooterItem) -> list[Segment]:
        component = self.get_component_styles
        item_styles = component(
            "keys-footer--item-hover" if item == self._hover else "keys-footer--item"
        )
        base = self._style(item_styles)
        if not item.enabled:
            base += Style(dim=True)
        key_style = base + self._style(item_styles, component("keys-footer--key"))
        desc_style = base + self._style(item_styles, component("keys-footer--description"))
        if not item.enabled:
            key_style += Style(dim=True)
            desc_style += Style(dim=True)
        # Each drawn key is a region of its own (as each FooterKey was): its text is not merged
        # with the same-coloured space around it.
        region = Style.from_meta({"footer-key": item.key})
        key_style += region
        desc_style += region
        if item.palette:  # FooterKey.-command-palette, compact: "▏^p palette "
            separator = self.get_component_styles("keys-footer--separator").color
            background = self.background_colors[1]
            edge = Style.from_color((background + separator).rich_color,
                                    (background + item_styles.background).rich_color)
            return [Segment("▏", edge), Segment(item.key_display, key_style),
                    Segment(f" {item.description}", desc_style), Segment(" ", base)]
        if not item.description:
            return [Segment(item.key_display, key_style)]
        return [Segment(f" {item.key_display} ", key_style),
                Segment(f"{item.description} ", desc_style)]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        keys: list[tuple[FooterItem, list[Segment]]] = []
        palette: list[tuple[FooterItem, list[Segment]]] = []
        for item in self._items:
            (palette if item.palette else keys).append((item, self._item_segments(item)))
        right = sum(Segment.get_line_length(segments) for _item, segments in palette)
        room = max(0, width - right)
        left = sum(Segment.get_line_length(segments) for _item, segments in keys)
        self._overflow = max(0, left - room)
        self._scroll_x = min(self._scroll_x, self._overflow)
        self._spans = []
        x = -self._scroll_x
        segments: list[Segment] = []
        for item, parts in keys:
            length = Segment.get_line_length(parts)
            self._spans.append((max(x, 0), min(x + length, room), item))
            segments.extend(parts)
            x += length
        line = Strip(segments).crop(self._scroll_x, self._scroll_x + room)
        line = line.extend_cell_length(room, self.rich_style)
        x = room
        for item, parts in palette:
            length = Segment.get_line_length(parts)
            self._spans.append((x, x + length, item))
            x += length
        if y:
            return Strip.blank(width, self.rich_style)
        strips = [line, *(Strip(parts) for _item, parts in palette)]
        return Strip.join(strips).crop(0, width)

    # ------------------------------------------------------------------ mouse
    def _item_at(self, x: int) -> FooterItem | None:
        return next((item for start, end, item in self._spans if start <= x < end), None)

    def _set_hover(self, item: FooterItem | None) -> None:
        if item != self._hover:
            self._hover = item
            self.set_class(item is not None, "-over-key")
            self.tooltip = (item.tooltip or None) if item is not None else None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._item_at(event.x))

    def on_leave(self, _event: events.Leave) -> None:
        self._set_hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def _scroll_keys(self, step: int, event: events.MouseEvent) -> None:
        offset = max(0, min(self._overflow, self._scroll_x + step))
        if offset != self._scroll_x:
            self._scroll_x = offset
            self.refresh()
            event.stop()
            event.prevent_default()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll_keys(2, event)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll_keys(-2, event)

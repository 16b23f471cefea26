"""The criteria list of the scoring screen: a small table with a fixed header and a row cursor.

It replaces a ``DataTable`` of three columns. The DataTable renders every cell through Rich
(padding, styling, measuring) and carries nine component styles; on the scoring screen its
first render and restyles were the largest part of opening the screen. This widget draws each
line directly from the same component styles and theme variables, so the picture is the one the
DataTable drew (same colours, padding and column widths, the cursor styled as the DataTable's
focused or blurred cursor, the hovered row as its hover row), and moves the same way: up/down,
page up/down, ctrl+home/ctrl+end for the first and last row, home/end and left/right to scroll
sideways, a click puts the cursor on a row, the mouse highlights the row it is over.

Cells that do not fit the width the table has are cut with an ellipsis ("3 Professio…"),
the last column first, instead of being cropped at the edge.

One difference: it has no Enter binding (the DataTable's Enter selected the row, which nothing
used), so Enter reaches the screen.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

CELL_PADDING = 1


def _as_spans(cell: Text | str) -> Text:
    """A one-line cell whose style is all in spans (Rich renders a Text's own style that way)."""
    if not isinstance(cell, Text):
        return Text(cell)
    if not cell.style:
        return cell
    return Text(cell.plain, spans=[Span(0, len(cell.plain), cell.style), *cell.spans])


class CriteriaTable(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "first_row", "Top", show=False),
        Binding("ctrl+end", "last_row", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "criteria-table--header",
        "criteria-table--cursor",
        "criteria-table--hover",
        "criteria-table--header-hover",
    }
    # DataTable's rules for the parts this table has.
    DEFAULT_CSS = """
    CriteriaTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .criteria-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .criteria-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .criteria-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .criteria-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .criteria-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .criteria-table--header-hover {
            background: $accent 30%;
        }
        & > .criteria-table--hover {
            background: $block-hover-background;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, repaint=False, always_update=True)

    class RowHighlighted(Message):
        """The cursor is on a (new) row."""

        def __init__(self, table: CriteriaTable, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

        @property
        def control(self) -> CriteriaTable:
            return self.table

    def __init__(self, *headers: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._headers = [Text(label) for label in headers]
        self._rows: list[list[Text]] = []
        self._widths = [label.cell_len for label in self._headers]
        self._hover_row: int | None = None  # -1: the header
        self._show_hover = False  # as the DataTable: after a mouse move, until a key moves
        self._meta_styles: dict[tuple[int, int, bool], Style] = {}
        self._styles: tuple[Style, ...] = ()  # set for each render by render_lines
        self._new_rows = False
        self._fit: tuple[int, list[int], list[list[Text]], list[Text]] | None = None

    # ------------------------------------------------------------------ content
    @property
    def row_count(self) -> int:
        return len(self._rows)

    def set_rows(self, rows: list[list[Text | str]], cursor_row: int = 0) -> None:
        """Show ``rows`` (cells as Text or plain strings) and put the cursor on ``cursor_row``."""
        self._rows = [[_as_spans(cell) for cell in row] for row in rows]
        self._widths = [
            max([label.cell_len, *(row[n].cell_len for row in self._rows if n < len(row))])
            for n, label in enumerate(self._headers)
        ]
        self._fit = None
        # as wide as the table cut to its narrowest: it scrolls sideways only if even that is wider
        narrowest = self._table_width([min(width, 4) for width in self._widths])
        self.virtual_size = Size(narrowest, len(self._rows) + 1)
        self.refresh()
        self._new_rows = True  # the cursor is scrolled into view once they are laid out
        self.move_cursor(cursor_row)

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self, row: int) -> None:
        self.refresh()
        if self._new_rows:
            self._new_rows = False
            self.call_after_refresh(self._scroll_cursor_into_view)
        else:
            self._scroll_cursor_into_view()
        if self._rows:
            self.post_message(self.RowHighlighted(self, row))

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        region = Region(int(self.scroll_x), self.cursor_row + 1, self.size.width, 1)
        self.scroll_to_region(region, animate=animate, spacing=Spacing(1, 0, 0, 0), force=True)

    # ------------------------------------------------------------------ drawing
    @staticmethod
    def _table_width(widths: list[int]) -> int:
        return sum(widths) + 2 * CELL_PADDING * len(widths)

    def _fitted(self, room: int) -> tuple[list[int], list[list[Text]], list[Text]]:
        """Column widths, rows and headers cut to ``room`` cells: the last column gives way
        first, down to 4 cells, then the one before it; a cut cell ends in "…"."""
        if self._fit is not None and self._fit[0] == room:
            return self._fit[1], self._fit[2], self._fit[3]
        widths = list(self._widths)
        over = self._table_width(widths) - room
        for column in reversed(range(len(widths))):
            if over <= 0:
                break
            give = min(over, max(0, widths[column] - 4))
            widths[column] -= give
            over -= give

        def cut(cell: Text, width: int) -> Text:
            if cell.cell_len <= width:
                return cell
            cell = cell.copy()
            cell.truncate(width, overflow="ellipsis")
            return cell

        rows = [[cut(cell, w) for cell, w in zip(row, widths, strict=False)]
                for row in self._rows]
        headers = [cut(cell, w) for cell, w in zip(self._headers, widths, strict=False)]
        self._fit = (room, widths, rows, headers)
        return widths, rows, headers

    def _meta(self, row: int, column: int, out_of_bounds: bool = False) -> Style:
        key = (row, column, out_of_bounds)
        style = self._meta_styles.get(key)
        if style is None:
            meta = {"row": row, "column": column}
            if out_of_bounds:
                meta["out_of_bounds"] = True
            style = self._meta_styles[key] = Style.from_meta(meta)
        return style

    def _line_segments(self, row: int) -> list[Segment]:
        """One line of the table as the DataTable draws it (``row`` -1 is the header): each cell
        padded by one space, styled as base (or header) + cell meta + cursor/hover, the cursor's
        colours over the cell's own, then the rest of the line in the row's style."""
        base, header_style, hover, header_hover, cursor = self._styles
        header = row == -1
        component = Style()
        if self._show_hover and row == self._hover_row:
            component += hover
            if header:
                component += header_hover
        if row == self.cursor_row and not header:
            component += cursor
        post = Style.from_color(component.color) + Style.from_color(bgcolor=component.bgcolor)
        row_style = header_style if header else base
        widths, rows, headers = self._fitted(self.scrollable_content_region.width)
        cells = headers if header else rows[row]
        segments: list[Segment] = []
        pad = " " * CELL_PADDING
        console = self.app.console
        for column, (cell, width) in enumerate(zip(cells, widths, strict=False)):
            pre = row_style + self._meta(row, column) + component
            plain = pre + post
            segments.append(Segment(pad, plain))
            if cell.spans:
                for segment in cell.render(console):
                    if segment.text and segment.text != "\n":
                        style = pre + segment.style if segment.style else pre
                        segments.append(Segment(segment.text, style + post))
            elif cell.plain:
                segments.append(Segment(cell.plain, plain))
            segments.append(Segment(" " * (width - cell.cell_len) + pad, plain))
        extend = row_style + component + self._meta(row, 0, out_of_bounds=True)
        used = self._table_width(widths)
        segments.append(Segment(" " * max(0, self.size.width - used), extend))
        return segments

    def render_lines(self, crop: Region) -> list[Strip]:
        component = self.get_component_rich_style
        self._styles = (
            self.rich_style,
            self.get_component_styles("criteria-table--header").rich_style,
            component("criteria-table--hover"),
            component("criteria-table--header-hover"),
            component("criteria-table--cursor"),
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base = self._styles[0]
        row = -1 if y == 0 else y - 1 + scroll_y
        if row >= len(self._rows):
            return Strip.blank(width, base)
        line = Strip(self._line_segments(row)).crop(scroll_x, scroll_x + width)
        return line.adjust_cell_length(width, base).simplify()

    # ------------------------------------------------------------------ keys
    def _keyboard(self) -> None:
        if self._show_hover:
            self._show_hover = False
            self.refresh()

    def action_cursor_up(self) -> None:
        self._keyboard()
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self._keyboard()
        self.cursor_row += 1

    def action_first_row(self) -> None:
        self._keyboard()
        self.cursor_row = 0

    def action_last_row(self) -> None:
        self._keyboard()
        self.cursor_row = len(self._rows) - 1

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self._keyboard()
        height = self._page()
        self.scroll_relative(y=height, animate=False, force=True)
        self.cursor_row += height

    def action_page_up(self) -> None:
        self._keyboard()
        height = self._page()
        self.scroll_relative(y=-height, animate=False)
        self.cursor_row -= height

    def action_scroll_home(self) -> None:
        self._keyboard()
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self._keyboard()
        self.scroll_x = self.max_scroll_x

    # ------------------------------------------------------------------ mouse
    def _set_hover(self, row: int | None) -> None:
        if row != self._hover_row or not self._show_hover:
            self._hover_row, self._show_hover = row, row is not None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        meta = event.style.meta
        self._set_hover(meta["row"] if "row" in meta else None)

    def on_leave(self, _event: events.Leave) -> None:
        self._set_hover(None)

    def on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "row" in meta:
            self._set_hover(meta["row"])
            if meta["row"] >= 0:
                self.cursor_row = meta["row"]
            event.stop()

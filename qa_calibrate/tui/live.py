"""Live screens: the store's change feed (``qa_calibrate.changes``) wakes the App, which asks the
screens on show to reload through the core; a table keeps its place while it is refilled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable

WAIT_SECONDS = 1.0  # how long one wait on the feed blocks (and so how fast the watcher stops)
RETRY_SECONDS = 2.0  # after the store could not be reached, try to listen again this much later


class StoreWatcher:
    """A thread that waits on the store's change feed and calls ``on_change`` (on the App's
    thread) after each change. The App starts it on mount and stops it on unmount."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qa-calibrate-changes",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from ..changes import watch

        missed = False
        while not self._stop.is_set():
            try:
                feed = watch(self.app.store)
            except Exception:  # the store cannot be reached now: try again shortly
                self._stop.wait(RETRY_SECONDS)
                missed = True
                continue
            try:
                if missed:  # changes made while the feed was down: reload once
                    missed = False
                    self._tell()
                while not self._stop.is_set():
                    if feed.wait(WAIT_SECONDS) and not self._stop.is_set():
                        self._tell()
            except RuntimeError:  # the App stopped meanwhile
                return
            except Exception:  # the connection dropped (server restart): listen again
                missed = True
            finally:
                feed.close()

    def _tell(self) -> None:
        self.app.call_from_thread(self.app.store_changed)


def visible_screens(stack: list[Screen[Any]]) -> list[Screen[Any]]:
    """The screens the user sees: the top one, and those under modal dialogs on top of it."""
    shown: list[Screen[Any]] = []
    for screen in reversed(stack):
        shown.append(screen)
        if not isinstance(screen, ModalScreen):
            break
    return shown


class LiveScreen(Screen[None]):
    """A screen that reloads when the store changes: at once if on show, else when it is
    shown again. Subclasses implement :meth:`reload_live` (reload keeping the user's place)."""

    stale = False

    def store_changed(self, visible: bool) -> None:
        if visible:
            self.stale = False
            self.reload_live()
        else:
            self.stale = True

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.reload_live()

    def reload_live(self) -> None:
        raise NotImplementedError


@contextmanager
def keep_place(table: DataTable[Any]) -> Iterator[None]:
    """Refill ``table`` inside this block; the cursor returns to the same row (by key, else by
    position), the same column and the same scroll offset."""
    row, column = table.cursor_coordinate
    key = None
    if table.row_count:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    scroll_x, scroll_y = table.scroll_x, table.scroll_y
    yield
    if not table.row_count:
        return
    if key is not None and key in table.rows:
        row = table.get_row_index(key)
    table.move_cursor(row=min(row, table.row_count - 1),
                      column=min(column, max(len(table.columns) - 1, 0)), scroll=False)

    def scroll_back() -> None:
        table.scroll_to(scroll_x, scroll_y, animate=False)

    table.call_after_refresh(scroll_back)

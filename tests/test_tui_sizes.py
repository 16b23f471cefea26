"""Every screen at 80×24 and 160×48: each key the screen offers is visible in the footer or
listed by the help screen (which scrolls to its last line), the keys that matter most are in
the footer itself, and what used to be cut off (the meeting's agreed and benchmark columns, the
scoring screen's answer keys, long answer labels) is on screen."""

from __future__ import annotations

from typing import Any

import pytest
from textual.geometry import Region
from tui_screens import SCREENS, SIZES, Shot, build_template, copy_store

from qa_calibrate.tui.screens.help import HelpScreen, help_rows
from qa_calibrate.tui.widgets.keys import KeysFooter

# The keys each screen must show in its footer even at 80 columns.
ESSENTIAL = {
    "home": {"Help", "Quit", "Score", "Meeting"},
    "scoring": {"Answer", "Submit", "Back", "Help"},
    "meeting": {"Consensus", "Reveal", "Close", "Back", "Help"},
    "meeting_revealed": {"Consensus", "Close", "Back", "Help"},
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return build_template(tmp_path_factory.mktemp("sizes") / "demo.db")


def visible_footer_keys(screen: Any) -> set[str]:
    """Descriptions of the footer keys wholly on screen (not past the edge or under the
    command palette key)."""
    footer = screen.query_one(KeysFooter)
    keys = list(footer.query("FooterKey"))
    palette = [k for k in keys if k.has_class("-command-palette")]
    right = palette[0].region.x if palette else footer.region.right
    return {k.description for k in keys if k not in palette and k.region.width
            and footer.region.contains_region(k.region) and k.region.right <= right}


def lines_of(widget: Any) -> list[str]:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return ["".join(segment.text for segment in strip) for strip in strips]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shot", SCREENS, ids=[s.name for s in SCREENS])
async def test_every_key_is_visible_or_in_the_help(template, tmp_path, shot: Shot, size: str):
    store = copy_store(template, tmp_path / "store.db")
    try:
        app = shot.app(store)
        async with app.run_test(size=SIZES[size]) as pilot:
            await shot.run(pilot)
            screen = app.screen
            # nothing below the fold: the screen itself does not scroll (its panels may)
            assert screen.max_scroll_y == 0 and screen.max_scroll_x == 0, shot.name
            offered = [item.description for item in screen.query_one(KeysFooter).shown]
            assert offered, shot.name
            visible = visible_footer_keys(screen)
            assert ESSENTIAL.get(shot.name, {"Back", "Help"}) <= visible, (visible, offered)
            rows = help_rows(screen)
            listed = {description for _section, _keys, description in rows}
            assert set(offered) - visible <= listed, (offered, visible, listed)
            for section in {s for s, _k, _d in rows}:  # one line per action: no repetition
                descriptions = [d for s, _k, d in rows if s == section]
                assert len(descriptions) == len(set(descriptions)), (section, descriptions)
            if size == "160x48":
                assert set(offered) <= visible  # wide enough for every key
            await _check_layout(shot.name, screen, size)
            app.action_help()
            await pilot.pause()
            helper = app.screen
            assert isinstance(helper, HelpScreen)
            assert {d for _k, d in helper.lines} >= set(offered)
            table = helper.query_one("#help-table")
            for _ in range(6):  # the list scrolls to its last line
                await pilot.press("pagedown")
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            assert table.scroll_y == table.max_scroll_y
            shown = lines_of(table)
            assert any(helper.lines[-1][1] in line for line in shown), (shown, helper.lines[-1])
            await pilot.press("q")  # closes the help, not the app
            await pilot.pause()
            assert app.screen is screen
    finally:
        store.close()


async def _check_layout(name: str, screen: Any, size: str) -> None:
    if name.startswith("meeting"):
        header = lines_of(screen.query_one("#matrix"))[1]  # under the border
        assert "agreed" in header and "★Dana" in header, header  # the benchmark comes first
    if name == "meeting":  # `p` was pressed: the session report is scrolled into view
        panel = screen.query_one("#session-panel")
        assert panel.display
        first_line, _region = screen.get_widget_at(panel.region.x + 1, panel.region.y)
        assert first_line is panel, (first_line, panel.region)
    if name == "scoring":
        table_lines = lines_of(screen.query_one("#criteria"))
        assert all(len(line) <= screen.query_one("#criteria").size.width for line in table_lines)
        detail = screen.query_one("#criterion-detail")
        text = str(screen.query_one("#criterion-detail-text").render())
        assert "answer:" in text.splitlines()[1]  # the keys line, before the question
        assert detail.size.height >= 3
        if size == "80x24":  # "5 Anticipates needs" does not fit the 80-column answer column
            assert any("…" in line for line in table_lines), table_lines


async def test_the_meeting_follows_a_resize(template, tmp_path):
    store = copy_store(template, tmp_path / "store.db")
    shot = next(s for s in SCREENS if s.name == "meeting")
    try:
        app = shot.app(store)
        async with app.run_test(size=SIZES["160x48"]) as pilot:
            await shot.run(pilot)
            screen = app.screen
            assert screen.query_one(KeysFooter).has_class("-roomy")
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            await pilot.pause()
            assert not screen.query_one(KeysFooter).has_class("-roomy")
            assert ESSENTIAL["meeting"] <= visible_footer_keys(screen)
            assert screen.compact and screen.query_one("#meeting-body").has_class("narrow")
            await _check_layout("meeting", screen, "80x24")
    finally:
        store.close()

"""Snapshots of every screen and dialog at 80×24 and 160×48 on the bundled sample data
(``--snapshot-update`` after an intended change, and look at the SVGs in tests/__snapshots__
before committing them). The screens are reached as in tests/tui_screens.py; the meeting's
transcript, the trends and a comment tied to a turn on stores planted for them."""

from __future__ import annotations

import pytest
from tui_screens import DIALOGS, SCREENS, SIZES, Shot, build_template, copy_store
from tui_screens import settle as _settle

from qa_calibrate.sessions import _find_session
from qa_calibrate.store import open_store
from qa_calibrate.tui.app import make_app

EVALUATOR = "Jomar Santos"
SESSION = "Oct 2026 chat calibration"

SHOTS = SCREENS + DIALOGS


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("snap") / "demo.db")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
def test_snapshot(snap_compare, template, tmp_path, shot: Shot, size: str):
    store = copy_store(template, tmp_path / "demo.db")
    try:
        assert snap_compare(shot.app(store), terminal_size=SIZES[size], run_before=shot.run)
    finally:
        store.close()


@pytest.fixture
def demo_store(template, tmp_path):
    store = copy_store(template, tmp_path / "demo.db")
    yield store
    store.close()


@pytest.fixture
def tied_store(tmp_path):
    from helpers import plant_meeting, seed_basics

    store = open_store(f"sqlite:///{tmp_path / 'tied.db'}")
    seed_basics(store)
    plant_meeting(store)
    yield store
    store.close()


@pytest.fixture
def trend_store(tmp_path):
    from helpers import plant_trend, seed_basics

    store = open_store(f"sqlite:///{tmp_path / 'trend.db'}")
    seed_basics(store)
    plant_trend(store)
    yield store
    store.close()


@pytest.mark.parametrize("size", SIZES)
def test_meeting_with_the_transcript(snap_compare, tied_store, size):
    """Wide: the transcript beside the matrix; narrow: ``t`` puts it in the matrix's place.
    On empathy with Cy's column highlighted: the turns Ann's and Cy's comments are tied to."""
    from helpers import LEAD as TIED_LEAD

    with tied_store.session() as s:
        sid = _find_session(s, "Tied chat").id
    app = make_app(tied_store, TIED_LEAD, start=("meeting", sid))

    async def run_before(pilot):
        await _settle(pilot, lambda app: getattr(app.screen, "report", None) is not None)
        screen = pilot.app.screen
        from qa_calibrate.tui.screens.meeting import FIRST_EVALUATOR_COLUMN

        row = next(n for n, r in enumerate(screen.view.rows)
                   if r.criterion.key == "empathy")
        cy = screen.order.index(screen.view.evaluators.index("Cy"))
        screen.query_one("#matrix").move_cursor(row=row, column=FIRST_EVALUATOR_COLUMN + cy)
        if SIZES[size][0] < 150:
            await pilot.press("t")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_trends(snap_compare, trend_store, size):
    from helpers import LEAD as TREND_LEAD

    app = make_app(trend_store, TREND_LEAD)

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("t")
        await _settle(pilot, lambda app: getattr(app.screen, "view", None) is not None)
        await pilot.press("down", "down")  # Cy's line
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


def test_scoring_with_a_tied_turn(snap_compare, demo_store):
    with demo_store.session() as s:
        sid = _find_session(s, SESSION).id
    app = make_app(demo_store, EVALUATOR, start=("score", sid))

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("2", "up", "c", *"no greeting", "enter", "j", "j", "l")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

"""Snapshots of the main screens on the bundled sample data (``--snapshot-update`` after an
intended change, and look at the SVGs in tests/__snapshots__ before committing them)."""

from __future__ import annotations

import shutil

import pytest

from qa_calibrate.demo import load_sample_data
from qa_calibrate.sessions import _find_session
from qa_calibrate.store import open_store
from qa_calibrate.tui.app import make_app

SIZE = (120, 40)
LEAD = "Dana Whitfield"
EVALUATOR = "Jomar Santos"
SESSION = "Oct 2026 chat calibration"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("snap") / "demo.db"
    store = open_store(f"sqlite:///{path}")
    load_sample_data(store, actor="demo")
    store.close()
    return path


@pytest.fixture
def demo_store(template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copy(template, path)
    store = open_store(f"sqlite:///{path}")
    yield store
    store.close()


async def _settle(pilot, until=lambda app: True):
    """Let mounting, workers and rendering finish (and ``until`` hold) before the picture."""
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        if until(pilot.app) and not pilot.app.workers:
            break
    await pilot.pause()


def test_home(snap_compare, demo_store):
    assert snap_compare(make_app(demo_store, LEAD), terminal_size=SIZE, run_before=_settle)


def test_scoring(snap_compare, demo_store):
    with demo_store.session() as s:
        sid = _find_session(s, SESSION).id
    app = make_app(demo_store, EVALUATOR, start=("score", sid))

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("1", "1")  # greeting yes, verify_identity yes

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_meeting(snap_compare, demo_store):
    with demo_store.session() as s:
        sid = _find_session(s, SESSION).id
    app = make_app(demo_store, LEAD, start=("meeting", sid))

    async def run_before(pilot):
        await _settle(pilot, lambda app: getattr(app.screen, "report", None) is not None)
        await pilot.press("p")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_evaluator_report(snap_compare, demo_store):
    from qa_calibrate.sessions import reveal

    reveal(demo_store, SESSION, actor=LEAD)
    app = make_app(demo_store, LEAD)

    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot, lambda app: bool(getattr(app.screen, "rows", None)))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# ----------------------------------------------------------------------------- issue 14
# The transcript in the meeting and the trend view, at 80×24 and 160×48, on small planted
# stores (tests/helpers.py) whose dates are fixed.

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


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
        row = next(n for n, r in enumerate(screen.view.rows)
                   if r.criterion.key == "empathy")
        screen.query_one("#matrix").move_cursor(row=row, column=2 + 2)  # Cy
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

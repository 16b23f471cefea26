"""Pilot tests at 80×24 and 160×48: tying a comment to a turn while scoring, the transcript in
the meeting (a split when wide, a toggle when narrow) with the tied turns highlighted, and the
trend screen from home — each asserting on the store or the core's views, not only the screen."""

from __future__ import annotations

import pytest
from helpers import EVALUATORS, LEAD, MEETING_TURNS, plant_meeting, plant_trend, seed_basics
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.home import HomeScreen
from qa_calibrate.tui.screens.meeting import FIRST_EVALUATOR_COLUMN, MeetingScreen
from qa_calibrate.tui.screens.scoring import ScoringScreen
from qa_calibrate.tui.screens.trend import TrendScreen
from qa_calibrate.tui.widgets.transcript import TranscriptView

SIZES = [(80, 24), (160, 48)]


async def _settle(app, pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def _turn_of(store, who: str, key: str) -> int | None:
    with store.read() as s:
        return s.exec(select(m.Answer.turn_seq)
                      .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
                      .join(m.Evaluator, m.Evaluator.id == m.Evaluation.evaluator_id)
                      .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)
                      .where(m.Evaluator.name == who, m.Criterion.key == key)).one()


@pytest.fixture
def open_session(sqlite_store):
    ids = seed_basics(sqlite_store)
    row = sessions.create_session(sqlite_store, name="Sept chat", rubric="mini", lead=LEAD,
                                  actor=LEAD, evaluators=EVALUATORS, interactions=ids[:2])
    return sqlite_store, row.id


@pytest.mark.parametrize("size", SIZES)
async def test_an_evaluator_ties_a_comment_to_a_turn_with_the_keyboard(open_session, size):
    store, sid = open_session
    app = make_app(store, "Ann", start=("score", sid))
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert screen.check_action("tie_turn", ()) is not False
        await pilot.press("l")  # nothing answered yet: told, nothing saved
        await _settle(app, pilot)
        await pilot.press("2", "up")  # greeting: no; back to it
        await pilot.press("c", *"cold", "enter")
        await pilot.press("l")  # no turn selected yet: told what to do
        await _settle(app, pilot)
        assert any("Select a turn first" in n.message for n in app._notifications)
        await pilot.press("j", "j")  # the second turn (seq 1)
        pane = screen.query_one(TranscriptView)
        assert pane.selected_turn.seq == 1
        await pilot.press("l")
        await _settle(app, pilot)
        assert _turn_of(store, "Ann", "greeting") == 1
        assert pane.marked == {1: "this comment"} and pane.selected == 1  # the place is kept
        assert "tied to turn" in str(screen.query_one("#criterion-detail-text").render())
        await pilot.press("l")  # the same turn again: untied
        await _settle(app, pilot)
        assert _turn_of(store, "Ann", "greeting") is None and pane.marked == {}
        await pilot.press("slash", *"help", "enter")  # a search selects the first hit
        await _settle(app, pilot)
        assert pane.selected_turn.seq == 1
        await pilot.press("l")
        await _settle(app, pilot)
        assert _turn_of(store, "Ann", "greeting") == 1


@pytest.fixture
def tied(sqlite_store):
    seed_basics(sqlite_store)
    plant_meeting(sqlite_store)
    with sqlite_store.read() as s:
        sid = s.exec(select(m.CalibrationSession.id)).one()
    return sqlite_store, sid


def _focus_criterion(screen, key: str, column: int | None = None) -> None:
    table = screen.query_one("#matrix")
    row = next(n for n, r in enumerate(screen.view.rows) if r.criterion.key == key)
    table.move_cursor(row=row, column=table.cursor_coordinate.column if column is None
                      else column)


@pytest.mark.parametrize("size", SIZES)
async def test_the_meeting_shows_the_transcript_with_the_tied_turns(tied, size):
    store, sid = tied
    app = make_app(store, "Bob", start=("meeting", sid))  # revealed: an evaluator may look
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MeetingScreen)
        pane = screen.query_one("#meeting-transcript", TranscriptView)
        matrix = screen.query_one("#matrix")
        wide = size[0] >= 150
        assert pane.display is wide and matrix.display  # narrow: the matrix first
        assert [t.text for t in pane.turns] == [t[2] for t in MEETING_TURNS]
        names = screen.view.evaluators
        _focus_criterion(screen, "empathy",
                         column=FIRST_EVALUATOR_COLUMN + screen.order.index(names.index("Cy")))
        await _settle(app, pilot)
        assert pane.marked == {4: "Ann", 5: "Cy"}  # Bob's comment is tied to no turn
        comments = str(screen.query_one("#cell-detail").render())
        assert "↳ #4" in comments and "↳ #5" in comments and "Offered a credit" in comments
        assert "▸Cy" in comments  # the highlighted column's evaluator
        if not wide:
            await pilot.press("t")  # the transcript in the matrix's place
            await _settle(app, pilot)
            assert pane.display and not matrix.display
            assert pane.region.height >= 6  # room to read it
        assert pane.region.width > 30
        await pilot.press("t")
        await _settle(app, pilot)
        assert not pane.display and matrix.display
        await pilot.press("t")
        await _settle(app, pilot)
        assert pane.display
        _focus_criterion(screen, "verify_identity")
        await _settle(app, pilot)
        assert pane.marked == {2: "Lena"}  # the lead's (benchmark's) comment
        side = str(screen.query_one("#criterion-stats").render())
        assert "this interaction" in side and "whole session" in side
        # each session-wide interval says how it was made (issue 16)
        assert "Wilson, effective n" in side, side
        await pilot.press("right_square_bracket")  # the next contact: its own transcript
        await _settle(app, pilot)
        assert screen.view.interaction.ref == "crm:C-001"
        assert [t.text for t in pane.turns] == ["Hello", "Hi, how can I help?"]


@pytest.fixture
def trended(sqlite_store):
    seed_basics(sqlite_store)
    plant_trend(sqlite_store)
    return sqlite_store


@pytest.mark.parametrize("size", SIZES)
async def test_the_trend_screen_from_home(trended, size):
    app = make_app(trended, LEAD)
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Trends" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("t")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TrendScreen)
        (agreement,) = screen.view.agreement
        assert [p.session for p in agreement.points] == ["Jul chat", "Aug chat", "Sep chat"]
        chart = str(screen.query_one("#agreement-chart").render())
        assert "100%" in chart and "0%" in chart and "Jul chat" in chart
        await pilot.press("down", "down")  # Cy
        await _settle(app, pilot)
        line = str(screen.query_one("#calibration-chart").render())
        assert line.startswith("Cy: calibration score by session")
        body = screen.query_one("#trend-body").region
        chart_region = screen.query_one("#calibration-chart").region
        assert chart_region.intersection(body).height > 0  # scrolled into view
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_an_evaluator_is_not_offered_the_trends_and_is_refused_anyway(trended):
    app = make_app(trended, "Ann")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        assert app.screen.check_action("trend", ()) is False
        assert "Trends" not in [c.title for c in app.get_system_commands(app.screen)]
        app.action_open_trend()  # as if reached anyway
        await _settle(app, pilot)
        assert app.screen.view is None
        assert any("cannot see agreement and calibration trends" in n.message
                   for n in app._notifications)

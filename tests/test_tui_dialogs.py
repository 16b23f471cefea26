"""The meeting's dialogs and the scoring keys, driven with Pilot on the bundled sample data:
reveal says who still has work, close offers to fill missing consensus, consensus typed before
reveal is kept as a draft and recorded on reveal, Submit asks once, a typed value moves on as
a digit key does, a read-only evaluation offers no scoring keys, q goes back."""

from __future__ import annotations

import pytest
from sqlmodel import select
from tui_screens import EVALUATOR, LEAD, SESSION, Shot, build_template, copy_store, settle

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.tui.screens.home import HomeScreen
from qa_calibrate.tui.screens.modals import ChoiceScreen, ConfirmScreen, PromptScreen
from qa_calibrate.tui.screens.scoring import ScoringScreen
from qa_calibrate.tui.widgets.keys import KeysFooter

SIZE = (100, 30)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("dialogs") / "demo.db")


@pytest.fixture
def store(template, tmp_path):
    store = copy_store(template, tmp_path / "demo.db")
    yield store
    store.close()


def _footer(app) -> set[str]:
    return {item.description for item in app.screen.query_one(KeysFooter).shown}


async def test_reveal_says_who_has_work_left_and_records_draft_consensus(store):
    app = Shot("meeting", LEAD, start="meeting").app(store)
    async with app.run_test(size=SIZE) as pilot:
        await Shot("meeting", LEAD, start="meeting", ends_on="MeetingScreen").run(pilot)
        meeting = app.screen
        key = meeting.view.rows[0].criterion.key  # the widest split first: empathy
        await pilot.press("e", "3", "enter")  # consensus typed while the session is open
        await pilot.press(*"warm but slow", "enter")
        await settle(pilot)
        assert app.screen is meeting and meeting.drafts
        assert "3?" in str(meeting.query_one("#matrix").get_cell_at((0, 2)))  # a draft
        with store.session() as s:
            assert not s.exec(select(m.Consensus)).all()  # the core has nothing yet
        await pilot.press("e")  # the prompt comes back with the draft in it
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen) and app.screen.value == "3"
        await pilot.press("escape")
        await settle(pilot)
        meeting.action_back()  # leaving would lose the draft: asked first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "1 draft consensus" in \
            app.screen.title_text
        app.screen.dismiss("no")
        await settle(pilot)
        assert app.screen is meeting
        await pilot.press("R")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "60 of 70 evaluations submitted" in dialog.body
        assert "Jomar Santos: 10 of 10" in dialog.body
        assert "1 draft consensus will be recorded" in dialog.body
        await pilot.press("enter")  # Yes
        await settle(pilot)
        assert app.screen is meeting and not meeting.drafts
    assert sessions.session_detail(store, SESSION, actor=LEAD).state == "revealed"
    with store.session() as s:
        rows = s.exec(select(m.Consensus, m.Criterion)
                      .join(m.Criterion, m.Criterion.id == m.Consensus.criterion_id)).all()
    assert [(c.key, row.value, row.note) for row, c in rows] == [(key, 3, "warm but slow")]


async def test_close_warns_about_missing_consensus_and_fills_it(store):
    sessions.reveal(store, SESSION, actor=LEAD)
    shot = Shot("close", LEAD, ("C",), start="meeting", ends_on="ChoiceScreen")
    app = shot.app(store)
    async with app.run_test(size=SIZE) as pilot:
        await shot.run(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert "recorded on 0 of 150 cells; 150 are missing" in dialog.body
        assert [key for key, _label in dialog.options] == ["unanimous", "benchmark", "cancel"]
        dialog.dismiss("unanimous")
        await settle(pilot)
        dialog = app.screen  # 33 cells are still split: asked again, without unanimous
        assert isinstance(dialog, ChoiceScreen) and not isinstance(dialog, ConfirmScreen)
        assert "recorded on 117 of 150 cells" in dialog.body
        assert [key for key, _label in dialog.options] == ["benchmark", "cancel"]
        dialog.dismiss("benchmark")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # complete: close?
        app.screen.dismiss("yes")
        await settle(pilot)
    assert sessions.session_detail(store, SESSION, actor=LEAD).state == "closed"


async def test_submit_asks_once_and_a_typed_value_moves_on(store):
    shot = Shot("scoring", EVALUATOR, start="score", ends_on="ScoringScreen")
    app = shot.app(store)
    async with app.run_test(size=SIZE) as pilot:
        await shot.run(pilot)
        scoring = app.screen
        table = scoring.query_one("#criteria")
        assert table.cursor_row == 0
        await pilot.press("enter", "y", "e", "s", "enter")  # typed, not a key: moves on too
        await settle(pilot)
        assert scoring.item.answers["greeting"].value == 1 and table.cursor_row == 1
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1/15 answered" in app.screen.title_text
        await pilot.press("down", "enter")  # No: nothing is submitted
        await settle(pilot)
        assert app.screen is scoring and scoring.item.status == "draft"
        assert scoring.is_editable and {"Answer", "Submit"} <= _footer(app)


async def test_a_read_only_evaluation_offers_no_scoring_keys(store):
    shot = Shot("scoring", LEAD, start="score", ends_on="ScoringScreen")  # Dana has submitted
    app = shot.app(store)
    async with app.run_test(size=SIZE) as pilot:
        await shot.run(pilot)
        scoring = app.screen
        assert scoring.item.status == "submitted" and not scoring.is_editable
        footer = _footer(app)
        assert not {"Answer", "N/A", "Comment", "Submit"} & footer
        assert {"Next", "Back", "Help"} <= footer
        titles = [c.title for c in app.get_system_commands(scoring)]
        assert "Submit this evaluation" not in titles and "Next sample" in titles
        assert "answer:" not in str(scoring.query_one("#criterion-detail-text").render())
        app.action_help()
        await settle(pilot)
        assert not {"Answer", "Submit", "Type value"} & {d for _k, d in app.screen.lines}
        await pilot.press("escape")
        await pilot.press("1")  # the key does nothing: no answer is changed
        await settle(pilot)
        assert scoring.item.status == "submitted"
        await pilot.press("q")  # back home, not out of the app
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.is_running
        await pilot.press("q")  # from home, q quits
        await settle(pilot)
        assert not app.is_running
    assert isinstance(scoring, ScoringScreen)

"""The TUI offers each role what the policy allows — footer, help and command palette alike,
each command once — and the core refuses the rest even when a screen is reached anyway."""

from __future__ import annotations

import pytest
from helpers import EVALUATORS, LEAD, seed_basics
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.access import allowed
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.coaching import CoachingScreen
from qa_calibrate.tui.screens.help import HelpScreen
from qa_calibrate.tui.widgets.keys import KeysFooter

SIZE = (120, 36)
ROLES = {LEAD: "lead", "Ann": "evaluator", "Tess Trainer": "trainer", "Zed": None}
# palette entry -> the policy action behind it
GLOBAL = {"Evaluator report": "report.evaluators", "Drift": "drift", "Coaching": "coaching.list",
          "Trends": "report.trend"}


@pytest.fixture
def cal(sqlite_store):
    ids = seed_basics(sqlite_store)
    sessions.create_session(sqlite_store, name="Sept chat", rubric="mini", lead=LEAD,
                            actor=LEAD, evaluators=EVALUATORS, interactions=ids[:3])
    return sqlite_store


def _titles(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


@pytest.mark.parametrize("who", list(ROLES))
async def test_palette_footer_and_help_follow_the_policy(cal, who):
    role = ROLES[who]
    app = make_app(cal, who)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = _titles(app)
        assert len(titles) == len({t.casefold() for t in titles}), titles  # each once
        for title, action in GLOBAL.items():
            assert (title in titles) == allowed(action, role), (who, title)
        footer = [k.description for k in app.screen.query_one(KeysFooter).shown]
        assert ("Coaching" in footer) == allowed("coaching.list", role)
        assert ("Drift" in footer) == allowed("drift", role)
        assert ("Trends" in footer) == allowed("report.trend", role)
        assert ("Score" in footer) == allowed("score", role)
        app.action_help()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        rows = [str(table.get_row_at(n)[1]) for n in range(table.row_count)]
        assert ("Coaching" in rows) == allowed("coaching.list", role)
        assert ("Meeting" in rows) == allowed("meeting", role)
        assert ("Trends" in rows) == allowed("report.trend", role)


@pytest.mark.parametrize("who", ["Ann", "Zed"])
async def test_coaching_reached_anyway_is_refused_by_the_core(cal, who):
    app = make_app(cal, who)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_open_coaching()  # as a palette entry would, were it offered
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoachingScreen)
        assert screen.rows == []  # the plan is not shown to them
        assert screen.check_action("plan", ()) is False  # no key, no palette entry
        assert "Plan coaching" not in _titles(app)
        screen.action_plan()  # and if it is called anyway, the core refuses
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("cannot make the coaching plan" in n.message for n in app._notifications)
    with cal.session() as s:
        assert s.exec(select(func.count()).select_from(m.Assignment)).one() == 0


async def test_a_trainer_plans_from_the_coaching_screen(cal):
    app = make_app(cal, "Tess Trainer")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_open_coaching()
        await pilot.pause()
        assert app.screen.check_action("plan", ()) is True
        assert "Plan coaching" in _titles(app)

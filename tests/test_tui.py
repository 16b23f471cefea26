"""Every screen driven with the keyboard through Pilot; assertions on the store, not only the
screen."""

from __future__ import annotations

import pytest
from helpers import EVALUATORS, FULL_PASS, LEAD, seed_basics, write_history_csv
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.errors import QAError
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.coaching import CoachingScreen
from qa_calibrate.tui.screens.drift import DriftScreen
from qa_calibrate.tui.screens.help import HelpScreen
from qa_calibrate.tui.screens.home import HomeScreen
from qa_calibrate.tui.screens.meeting import MeetingScreen
from qa_calibrate.tui.screens.modals import ChoiceScreen, ConfirmScreen
from qa_calibrate.tui.screens.report import ReportScreen
from qa_calibrate.tui.screens.scoring import ScoringScreen

SIZE = (120, 40)


@pytest.fixture
def cal(sqlite_store):
    ids = seed_basics(sqlite_store)
    row = sessions.create_session(sqlite_store, name="Sept chat", rubric="mini", lead=LEAD,
                                  actor=LEAD, evaluators=EVALUATORS, benchmark=LEAD,
                                  interactions=ids[:3])
    return sqlite_store, row.id, ids[:3]


def _answers(store, who, ext):
    with store.session() as s:
        q = (select(m.Criterion.key, m.Answer.value, m.Answer.na, m.Answer.comment,
                    m.Evaluation.status, m.Evaluation.score)
             .join(m.Answer, m.Answer.criterion_id == m.Criterion.id)
             .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
             .join(m.Evaluator, m.Evaluator.id == m.Evaluation.evaluator_id)
             .join(m.Interaction, m.Interaction.id == m.Evaluation.interaction_id)
             .where(m.Evaluator.name == who, m.Interaction.external_id == ext))
        return {r[0]: r[1:] for r in s.exec(q).all()}


async def test_score_a_whole_transcript_with_the_keyboard(cal):
    store, sid, ids = cal
    app = make_app(store, "Ann", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
        await pilot.press("1", "1", "4", "3", "n")
        await pilot.press("c")
        await pilot.press(*"kind", "enter")  # comment on the highlighted criterion
        bar = str(app.screen.query_one("#score-bar").render())
        assert "87.5" in bar
        await pilot.press("S")  # asks once
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "5/5 answered, score 87.5" in app.screen.title_text
        await pilot.press("enter")  # Yes
        await pilot.pause()
        # after submit the screen moves on to the next sample
        assert app.screen.item.position == 1
    stored = _answers(store, "Ann", ids[0])
    assert stored["greeting"][0] == 1 and stored["empathy"][0] == 4
    assert stored["accuracy"][0] == 3 and stored["hold_etiquette"][1] is True
    assert stored["hold_etiquette"][2] == "kind"
    assert {v[3] for v in stored.values()} == {"submitted"}
    assert stored["greeting"][4] == pytest.approx(87.5)


async def test_killed_midway_the_draft_is_intact(cal):
    store, sid, ids = cal
    app = make_app(store, "Bob", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "1")  # greeting no, verify yes
    # the app exited without submitting: the draft is in the store
    stored = _answers(store, "Bob", ids[0])
    assert stored["greeting"][0] == 0 and stored["verify_identity"][0] == 1
    assert {v[3] for v in stored.values()} == {"draft"}
    app = make_app(store, "Bob", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert set(screen.item.answers) == {"greeting", "verify_identity"}


async def test_auto_fail_shows_the_moment_a_critical_criterion_fails(cal):
    store, sid, _ids = cal
    app = make_app(store, "Cy", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("1", "2")  # greeting yes, verify_identity NO (critical)
        bar = app.screen.query_one("#score-bar")
        assert "AUTO-FAIL" in str(bar.render())
        assert bar.has_class("auto-fail")


async def test_evaluator_cannot_reach_others_answers_in_an_open_session(cal):
    store, sid, ids = cal
    sessions.score(store, sid, evaluator="Bob", interaction=ids[0], answers=FULL_PASS,
                   submit_now=True)
    app = make_app(store, "Ann")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_open_meeting(sid)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # refused, with a notification
        assert any("blind" in n.message for n in app._notifications)
        app.action_open_scoring(sid)
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
        assert app.screen.item.answers == {}  # Bob's answers are not loaded


async def test_lead_reveals_sets_consensus_and_closes(cal):
    store, sid, ids = cal
    for who in [*EVALUATORS, LEAD]:
        for ext in ids:
            answers = dict(FULL_PASS, empathy=2 if who == "Cy" else 4)
            sessions.score(store, sid, evaluator=who, interaction=ext, answers=answers,
                           submit_now=True)
    app = make_app(store, LEAD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MeetingScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the widest split is first: empathy (Cy says 2, the others 4)
        assert app.screen.view.rows[0].criterion.key == "empathy"
        await pilot.press("R")
        await pilot.press("enter")  # "Yes" is the first option
        await pilot.pause()
        assert sessions.session_detail(store, sid, actor=LEAD).state == "revealed"
        for _ in ids:  # empathy is split on every interaction: decide it on each
            assert app.screen.view.rows[0].criterion.key == "empathy"
            await pilot.press("e", "3", "enter")
            await pilot.press(*"split the difference", "enter")
            await pilot.pause()
            await pilot.press("right_square_bracket")
            await pilot.pause()
        await pilot.press("C")  # the unanimous cells have no consensus yet: the dialog says so
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceScreen) and not isinstance(dialog, ConfirmScreen)
        assert "recorded on 3 of 15 cells; 12 are missing" in dialog.body
        assert dialog.options[0] == ("unanimous", "Fill 12 cells from unanimous answers")
        assert sessions.session_detail(store, sid, actor=LEAD).state == "revealed"
        await pilot.press("enter")  # fill them; then, complete, it asks to close
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Close" in app.screen.title_text
        await pilot.press("enter")
        await pilot.pause()
    detail = sessions.session_detail(store, sid, actor=LEAD)
    assert detail.state == "closed"
    with store.session() as s:
        notes = s.exec(select(m.Consensus).join(m.Criterion).where(
            m.Criterion.key == "empathy", m.Consensus.note == "split the difference")).all()
        assert [c.value for c in notes] == [3, 3, 3]


async def test_report_drift_coaching_and_help_screens_open(cal):
    store, sid, ids = cal
    app = make_app(store, LEAD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert "No revealed or closed session" in str(app.screen.query_one("#chart").render())
        await pilot.press("escape", "d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DriftScreen)
        assert "No drift flags" in str(app.screen.query_one("#flag-grid").render())
        await pilot.press("escape", "c")
        await pilot.pause()
        assert isinstance(app.screen, CoachingScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CoachingScreen)


async def test_the_role_decides_what_home_offers(cal):
    store, _sid, _ids = cal
    app = make_app(store, "Tess Trainer")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert home.check_action("score", ()) is False
        assert home.check_action("meeting", ()) is False
        assert home.check_action("coaching", ()) is True
        assert home.check_action("switch_user", ()) is False  # only in the demo
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CoachingScreen)


def _footer_keys(screen) -> list[tuple[str, str]]:
    from qa_calibrate.tui.widgets.keys import KeysFooter

    return [(key.key_display, key.description) for key in screen.query_one(KeysFooter).shown]


async def test_the_footer_shows_the_keys_and_follows_them(cal):
    store, sid, _ids = cal
    app = make_app(store, LEAD, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        home = app.screen
        assert ("s", "Score") in _footer_keys(home) and ("m", "Meeting") in _footer_keys(home)
        home.action_switch_user()
        await pilot.pause()
        app.screen.dismiss("Tess Trainer")  # the person picker, answered
        await pilot.pause()
        assert app.screen is home and app.user_role == "trainer"
        keys = _footer_keys(home)
        assert ("s", "Score") not in keys and ("m", "Meeting") not in keys
        assert ("c", "Coaching") in keys
        app.set_user("Ann")
        app.action_open_scoring(sid)
        await pilot.pause()
        scoring = app.screen
        expected = [("0-9", "Answer"), ("n", "N/A"), ("c", "Comment"), ("]", "Next"),
                    ("S", "Submit"), ("esc", "Back"), ("?", "Help")]
        assert _footer_keys(scoring)[: len(expected)] == expected
        await pilot.press("slash")  # a modal over the screen, then back
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is scoring
        assert _footer_keys(scoring)[: len(expected)] == expected
        await pilot.press("q")  # q goes back (it quits only from home)
        await pilot.pause()
        assert app.screen is home and ("c", "Coaching") not in _footer_keys(home)
        assert app.is_running


async def test_footer_keys_can_be_clicked(cal):
    store, sid, _ids = cal
    app = make_app(store, "Ann", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        scoring = app.screen
        assert isinstance(scoring, ScoringScreen)
        keys = {key.description: key for key in scoring.query("FooterKey")}
        await pilot.click(keys["Answer"])  # "0" is no answer to greeting (yes/no): a warning
        await pilot.pause()
        assert "greeting" not in scoring.item.answers
        await pilot.press("1")
        assert scoring.item.answers["greeting"].value == 1
        await pilot.click(keys["Help"])
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_the_criteria_table_draws_what_a_datatable_draws():
    """CriteriaTable replaces a row-cursor DataTable on the scoring screen: same lines, strip for
    strip (text, colours, cell regions), blurred and focused, cursor on each row, mouse over a
    row and over the header."""
    from rich.text import Text
    from textual.app import App
    from textual.geometry import Region
    from textual.widgets import DataTable, Static

    from qa_calibrate.tui.widgets.criteria import CriteriaTable

    rows = [["", "greeting", Text("Yes", style="green")],
            ["‼", "verify identity", Text("No", style="bold red")],
            ["", "empathy", "·"]]

    class Pair(App[None]):
        CSS = "DataTable, CriteriaTable { height: 5; }"

        def compose(self):
            yield Static("focus parks here", id="park")
            yield DataTable(cursor_type="row")
            yield CriteriaTable("", "criterion", "answer")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("", "criterion", "answer")
            for row in rows:
                table.add_row(*row)
            self.query_one(CriteriaTable).set_rows(rows)

    def lines(widget):
        return widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))

    app = Pair()
    async with app.run_test(size=(60, 14)) as pilot:
        await pilot.pause()
        old, new = app.query_one(DataTable), app.query_one(CriteriaTable)
        assert old.size == new.size
        for focused in (False, True):
            for row in range(len(rows)):
                old.move_cursor(row=row)
                new.move_cursor(row)
                app.set_focus(old if focused else None)
                await pilot.pause()
                expected = lines(old)
                app.set_focus(new if focused else None)
                await pilot.pause()
                assert lines(new) == expected, (focused, row)
        app.set_focus(None)
        for y in (0, 2):  # the header, then the second row
            await pilot.hover(DataTable, offset=(4, y))
            await pilot.pause()
            expected = lines(old)
            await pilot.hover(CriteriaTable, offset=(4, y))
            await pilot.pause()
            assert lines(new) == expected, ("hover", y)


async def test_the_criteria_list_moves_with_keys_and_clicks(cal):
    from qa_calibrate.tui.screens.modals import PromptScreen
    from qa_calibrate.tui.widgets.criteria import CriteriaTable

    store, sid, _ids = cal
    app = make_app(store, "Ann", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(CriteriaTable)
        assert app.focused is table and table.cursor_row == 0
        keys = [c.key for c in screen.item.criteria]
        await pilot.press("down", "down")
        assert screen.criterion.key == keys[2]
        assert screen.criterion.question in str(screen.query_one("#criterion-detail-text").render())
        await pilot.press("up")
        assert table.cursor_row == 1
        await pilot.press("ctrl+end")
        assert table.cursor_row == len(keys) - 1
        await pilot.press("ctrl+home")
        assert table.cursor_row == 0
        await pilot.click(CriteriaTable, offset=(6, 1 + 3))  # border, header, then the 3rd row
        await pilot.pause()
        assert table.cursor_row == 2 and screen.criterion.key == keys[2]
        await pilot.press("enter")  # reaches the screen: type a value
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)


async def test_coaching_plan_and_export_run_in_workers_with_progress(cal, tmp_path, monkeypatch):
    """Plan and export run off the UI thread; the progress bar follows the core's stages."""
    import threading

    from textual.widgets import Input, ProgressBar

    from qa_calibrate import coaching, export_xlsx
    from qa_calibrate.evaluations import import_evaluations

    store, _sid, ids = cal
    history = tmp_path / "history.csv"  # two critical slips: two reviews to plan and export
    write_history_csv(history, [
        (ext, "Ann", key, "no" if key == "verify_identity" and n < 2 else value,
         f"2026-10-0{n + 1}T10:00:00+00:00")
        for n, ext in enumerate(ids) for key, value in FULL_PASS.items()])
    import_evaluations(store, [history], actor=LEAD)
    threads: dict[str, bool] = {}
    stages: list[tuple[str, int, int]] = []
    real_plan, real_export = coaching.plan, export_xlsx.export_plan

    def plan(*args, progress=None, **kw):
        threads["plan"] = threading.current_thread() is threading.main_thread()

        def spy(stage, done, total):
            stages.append((stage, done, total))
            progress(stage, done, total)

        return real_plan(*args, progress=spy, **kw)

    def export(*args, **kw):
        threads["export"] = threading.current_thread() is threading.main_thread()
        return real_export(*args, **kw)

    monkeypatch.setattr(coaching, "plan", plan)
    monkeypatch.setattr(export_xlsx, "export_plan", export)
    app = make_app(store, LEAD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoachingScreen)
        assert not screen.query_one("#coaching-progress").display
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert threads["plan"] is False
        assert [s for s, _d, _t in stages] == list(coaching.PLAN_STAGES)
        assert stages[-1][1] == stages[-1][2]
        assert not screen.query_one("#coaching-progress").display  # hidden again when done
        out = tmp_path / "tui_plan.xlsx"
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert threads["export"] is False
        assert out.exists()
        bar = screen.query_one("#coaching-progress", ProgressBar)
        assert bar.total == bar.progress == len(coaching.list_assignments(store, actor=LEAD)) == 2


async def test_a_consensus_changed_by_another_lead_meanwhile_is_not_overwritten(cal):
    """The meeting names the consensus version it showed: if another lead changed the cell
    while this one typed, the core refuses (changed elsewhere) and the screen shows theirs."""
    store, sid, ids = cal
    for who in EVALUATORS + [LEAD]:
        for ext in ids:
            sessions.score(store, sid, evaluator=who, interaction=ext, submit_now=True,
                           answers=dict(FULL_PASS, empathy=2 if who == "Cy" else 4))
    sessions.reveal(store, sid, actor=LEAD)
    sessions.set_consensus(store, sid, interaction=ids[0], criterion="empathy", value=4,
                           actor=LEAD)
    app = make_app(store, LEAD, start=("meeting", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MeetingScreen) and screen.view is not None
        row = screen.view.rows[0]
        assert row.criterion.key == "empathy" and row.consensus is not None
        assert row.consensus.version == 1
        await pilot.press("e")  # the lead starts typing on what they see: 4, version 1
        await pilot.pause()
        sessions.set_consensus(store, sid, interaction=ids[0], criterion="empathy", value=2,
                               note="theirs", actor=LEAD)  # another lead, meanwhile
        await pilot.press("backspace", "3", "enter")
        await pilot.press(*"mine", "enter")
        await pilot.pause()
        await pilot.pause()
        assert any("changed by someone else" in n.message for n in app._notifications)
        shown = screen.view.rows[0] if screen.view else None
        assert shown is not None and shown.consensus is not None
        assert (shown.consensus.answer, shown.consensus.note) == (2.0, "theirs")
    with store.session() as s:
        stored = s.exec(select(m.Consensus).join(m.Criterion)
                        .where(m.Criterion.key == "empathy",
                               m.Consensus.interaction_id == screen.view.interaction.id)).one()
        assert (stored.value, stored.note, stored.version) == (2.0, "theirs", 2)


async def test_drift_screen_shows_standing_flags_with_their_dates_and_a_lead_clears_one(cal):
    from datetime import date

    from textual.widgets import DataTable, Static

    store, _sid, _ids = cal
    with store.session() as s:
        ann = s.exec(select(m.Evaluator).where(m.Evaluator.name == "Ann")).one()
        s.add(m.DriftFlag(evaluator_id=ann.id, criterion="verify_identity", source="routine",
                          direction="lenient", onset_date=date(2026, 6, 2),
                          signal_date=date(2026, 7, 9), size=-24.0, evidence_count=40,
                          observed=39, expected=28.0, z=4.1, evaluator_fail_rate=0.03,
                          reference_fail_rate=0.27, raised_by=LEAD))
    app = make_app(store, LEAD)
    async with app.run_test(size=(160, 40)) as pilot:
        app.action_open_drift()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DriftScreen)
        row = [str(c) for c in screen.query_one(DataTable).get_row_at(0)]
        assert row[:3] == ["#1", "Ann", "verify_identity"]
        assert "2026-06-02" in row and "2026-07-09" in row  # onset and the day it was raised
        assert "standing since 2026-07-09" in str(screen.query_one("#flag-evidence",
                                                                   Static).render())
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"reviewed", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "No drift flags stand" in str(screen.query_one("#flag-grid", Static).render())
    with store.read() as s:
        flag = s.exec(select(m.DriftFlag)).one()
        assert (flag.cleared_by, flag.clear_note) == (LEAD, "reviewed")


async def test_markup_in_stored_text_is_shown_literally_on_the_screens(cal):
    """A comment, a root cause or a name holding Rich markup (``[/x]``, ``[b]``) is shown as
    typed on the scoring and meeting screens and in notifications, never read as markup (nor a
    crash: the meeting's comment notification raised a MarkupError on "[/x]")."""
    from textual.widgets import Static

    store, sid, ids = cal
    hostile = "[/x] [b]not bold[/b] [link=x]"
    for who in EVALUATORS + [LEAD]:
        for ext in ids:
            sessions.score(store, sid, evaluator=who, interaction=ext, submit_now=who != "Ann",
                           answers=dict(FULL_PASS, empathy=2 if who == "Cy" else 4),
                           comments={"empathy": hostile})
    app = make_app(store, "Ann", start=("score", sid))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        row = next(n for n, c in enumerate(screen.item.criteria) if c.key == "empathy")
        screen.query_one("#criteria").move_cursor(row=row)
        await pilot.pause()
        shown = str(screen.query_one("#criterion-detail-text", Static).render())
        assert hostile in shown
    sessions.score(store, sid, evaluator="Ann", interaction=ids[0], answers={},
                   submit_now=True)
    for ext in ids[1:]:
        sessions.score(store, sid, evaluator="Ann", interaction=ext, answers={},
                       submit_now=True)
    sessions.reveal(store, sid, actor=LEAD)
    app = make_app(store, LEAD, start=("meeting", sid))
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MeetingScreen) and screen.view is not None
        assert screen.view.rows[0].criterion.key == "empathy"
        assert hostile in str(screen.query_one("#cell-detail", Static).render())
        # the comment as a notification (enter on the matrix), and an error naming stored
        # text: plain text
        screen.query_one("#matrix").focus()
        await pilot.press("enter")
        app.fail(QAError("no evaluator named [b]Zed[/b]"))
        await pilot.pause()
        await pilot.pause(0.3)
        toasts = [str(t.render()) for t in app.screen.query("Toast")]
        assert any(hostile in t for t in toasts), toasts
        assert any("no evaluator named [b]Zed[/b]" in t for t in toasts), toasts

"""Live screens: the change feed on both backends, and a second OS process whose changes reach
the lead's meeting screen (run in-process with Pilot) without moving the cursor."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from helpers import FULL_PASS, LEAD, seed_basics
from textual.widgets import DataTable

from qa_calibrate import sessions
from qa_calibrate.changes import watch
from qa_calibrate.people import add_evaluator
from qa_calibrate.store import Store, open_store
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.meeting import AGREED_COLUMN, FIRST_EVALUATOR_COLUMN, MeetingScreen


def test_the_feed_wakes_on_a_commit_elsewhere_and_not_on_a_rollback(store: Store) -> None:
    seed_basics(store, n_interactions=1)
    feed = watch(store)
    other = open_store(store.url)  # another engine: as another process would
    try:
        assert not feed.wait(0.3)
        add_evaluator(other, "Dee", role="evaluator", actor=LEAD)
        started = time.monotonic()
        assert feed.wait(5)
        assert time.monotonic() - started < 2
        assert not feed.wait(0.3)  # one change, one wake-up
        with pytest.raises(RuntimeError), other.session() as s:
            from qa_calibrate.store import _audit

            _audit(s, actor=LEAD, entity="test", entity_id=1, action="nothing")
            s.flush()
            raise RuntimeError("rolled back")
        assert not feed.wait(0.6)  # a rolled-back change wakes nobody
        add_evaluator(other, "Eve", role="evaluator", actor=LEAD)
        add_evaluator(other, "Fay", role="evaluator", actor=LEAD)
        assert feed.wait(5)  # two changes before the wait: folded into one wake-up
    finally:
        feed.close()
        other.close()


def _cli(url: str, who: str, *args: str) -> None:
    """The CLI in a separate OS process, as another participant at another terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("QA_CALIBRATE_DB",
                                                             "QA_CALIBRATE_USER")}
    done = subprocess.run([sys.executable, "-m", "qa_calibrate", "--db", url, "--as", who,
                           *args], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr


async def _until(pilot: Any, test: Any, seconds: float = 8.0) -> float:
    """Wait (pumping the app) until ``test()`` holds; returns how long it took."""
    started = time.monotonic()
    while not test():
        assert time.monotonic() - started < seconds, "the change did not reach the screen"
        await pilot.pause(0.1)
    return time.monotonic() - started


def _cell(table: DataTable[Any], criterion: str, column: int) -> str:
    return str(table.get_cell_at((table.get_row_index(criterion), column)))


async def test_another_process_submission_and_consensus_reach_the_meeting_screen(
        db_url: str) -> None:
    store = open_store(db_url)
    try:
        ids = seed_basics(store, n_interactions=2)
        sessions.create_session(store, name="Live", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=["Ann", "Bob"], interactions=ids)
        sessions.score(store, "Live", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                       submit_now=True)
        app = make_app(store, LEAD)
        async with app.run_test(size=(160, 40)) as pilot:
            app.action_open_meeting("Live")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MeetingScreen)
            table = screen.query_one("#matrix", DataTable)
            names = screen.view.evaluators
            bob = FIRST_EVALUATOR_COLUMN + screen.order.index(names.index("Bob"))
            agreed = AGREED_COLUMN
            assert _cell(table, "empathy", bob) == "·"  # Bob has not scored yet
            # the lead's place: the empathy row, Bob's column
            table.move_cursor(row=table.get_row_index("empathy"), column=bob)
            await pilot.pause()
            place = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

            await asyncio.to_thread(
                _cli, db_url, "Bob", "score", "Live", "--interaction", ids[0], "--answer",
                "greeting=no,verify_identity=yes,empathy=2,accuracy=4,hold_etiquette=n/a",
                "--submit")
            # within seconds (8 allowed for a loaded machine; the feed itself wakes 0.5 s at most
            # after a commit on SQLite, milliseconds on PostgreSQL)
            await _until(pilot, lambda: _cell(table, "empathy", bob) == "2")
            assert table.cursor_coordinate.column == bob  # still Bob's column
            assert table.coordinate_to_cell_key(
                table.cursor_coordinate).row_key.value == place  # still the empathy row
            assert screen.position == 0  # still the first interaction of the sample

            # the lead's colleague records a consensus from another terminal (revealed first)
            sessions.reveal(store, "Live", actor=LEAD)  # here; the consensus comes from afar
            await asyncio.to_thread(
                _cli, db_url, LEAD, "session", "consensus", "Live", "--interaction", ids[0],
                "--criterion", "empathy", "--value", "3", "--note", "agreed live")
            await _until(pilot, lambda: _cell(table, "empathy", agreed).startswith("3"))
            assert screen.view.state == "revealed"
            assert table.coordinate_to_cell_key(
                table.cursor_coordinate).row_key.value == place
            assert table.cursor_coordinate.column == bob
            await _until(pilot, lambda: screen.report is not None)  # figures recomputed
    finally:
        store.close()


async def test_screens_under_others_reload_when_shown_again(sqlite_store: Store) -> None:
    """A change while the report is covered by another screen: it reloads on return."""
    from qa_calibrate.tui.screens.report import ReportScreen

    ids = seed_basics(sqlite_store, n_interactions=2)
    sessions.create_session(sqlite_store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids)
    for who in ("Ann", "Bob"):
        sessions.score(sqlite_store, "S", evaluator=who, interaction=ids[0],
                       answers=FULL_PASS, submit_now=True)
    sessions.reveal(sqlite_store, "S", actor=LEAD)
    app = make_app(sqlite_store, LEAD)
    async with app.run_test(size=(160, 40)) as pilot:
        app.action_open_report(None)
        await pilot.pause()
        report = app.screen
        assert isinstance(report, ReportScreen)
        await _until(pilot, lambda: bool(report.rows))
        table = report.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("Bob"))
        app.action_open_drift()  # a full screen over the report
        await pilot.pause()
        await asyncio.to_thread(
            _cli, sqlite_store.url, LEAD, "session", "consensus", "S", "--interaction", ids[0],
            "--criterion", "empathy", "--value", "2")
        await _until(pilot, lambda: report.stale)
        app.pop_screen()
        await _until(pilot, lambda: not report.stale and any(
            r.evaluator == "Bob" and r.match_rate < 1 for r in report.rows))
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "Bob"


async def test_a_refilled_table_keeps_its_row_column_and_scroll() -> None:
    """``keep_place``: the same row by key (even when rows move), column and scroll offset."""
    from textual.app import App, ComposeResult

    from qa_calibrate.tui.live import keep_place

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="cell")

    def fill(table: DataTable[Any], order: list[int]) -> None:
        table.clear(columns=True)
        table.add_columns(*[f"col{c}" for c in range(30)])
        for n in order:
            table.add_row(*[f"r{n}c{c}" for c in range(30)], key=f"row{n}")

    app = One()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(DataTable)
        fill(table, list(range(100)))
        await pilot.pause()
        table.move_cursor(row=60, column=12)
        await pilot.pause()
        scroll = (table.scroll_x, table.scroll_y)
        assert scroll[0] > 0 and scroll[1] > 0
        with keep_place(table):
            fill(table, list(range(100)))
        await pilot.pause()
        assert table.cursor_coordinate == (60, 12)
        assert (table.scroll_x, table.scroll_y) == scroll
        with keep_place(table):  # a new row above: the cursor follows its row
            fill(table, [999, *range(100)])
        await pilot.pause()
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "row60"
        assert table.cursor_coordinate.column == 12


async def test_the_meeting_listens_again_after_its_connection_drops(pg_schema_url: str) -> None:
    """PostgreSQL: the feed's connection is killed (a server restart, a proxy timeout); the
    screen listens again and a later submission from another process still reaches it."""
    from sqlalchemy import text

    from qa_calibrate.changes import FEED_NAME

    store = open_store(pg_schema_url)
    try:
        ids = seed_basics(store, n_interactions=1)
        sessions.create_session(store, name="Live", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=["Ann", "Bob"], interactions=ids)
        with store.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()

        def feeds() -> list[int]:
            with store.engine.connect() as conn:
                return list(conn.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :n"),
                    {"n": f"{FEED_NAME} {schema}"}).scalars())

        app = make_app(store, LEAD)
        async with app.run_test(size=(160, 40)) as pilot:
            app.action_open_meeting("Live")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MeetingScreen)
            table = screen.query_one("#matrix", DataTable)
            bob = FIRST_EVALUATOR_COLUMN + screen.order.index(
                screen.view.evaluators.index("Bob"))
            await _until(pilot, lambda: len(feeds()) == 1)
            first = feeds()[0]
            with store.engine.connect() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"),
                                    {"p": first}).scalar_one()
            await _until(pilot, lambda: feeds() not in ([], [first]), seconds=10)
            await asyncio.to_thread(
                _cli, pg_schema_url, "Bob", "score", "Live", "--interaction", ids[0],
                "--answer", "greeting=no,verify_identity=yes,empathy=2,accuracy=4,"
                "hold_etiquette=n/a", "--submit")
            await _until(pilot, lambda: _cell(table, "empathy", bob) == "2")
    finally:
        store.close()

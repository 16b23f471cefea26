"""Reads do not wait for writers: on SQLite (WAL) a read-only unit of work begins deferred, so a
report and a screen load finish while another process holds the write lock."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time

import pytest
import workers
from helpers import EVALUATORS, FULL_PASS, LEAD, seed_basics
from sqlalchemy.engine import make_url

from qa_calibrate import sessions
from qa_calibrate.report import ReportSettings, session_report
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.scoring import ScoringScreen

LIMIT = 0.2  # seconds


@pytest.fixture
def locked(sqlite_store, tmp_path):
    """A revealed session and an open one; then another process holds the write lock."""
    ids = seed_basics(sqlite_store)
    sessions.create_session(sqlite_store, name="Done", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, interactions=ids[:2])
    for who in EVALUATORS:
        for ext in ids[:2]:
            sessions.score(sqlite_store, "Done", evaluator=who, interaction=ext,
                           answers=FULL_PASS, submit_now=True)
    sessions.reveal(sqlite_store, "Done", actor=LEAD)
    row = sessions.create_session(sqlite_store, name="Open", rubric="mini", lead=LEAD,
                                  actor=LEAD, evaluators=EVALUATORS, interactions=ids[2:5])
    # once before the lock: the timing below is then the wait on the lock, not this process's
    # first-use imports and statement compiling (a loaded 2-core CI run took 0.33 s for those)
    session_report(sqlite_store, "Done", ReportSettings(n_resamples=0), viewer="Ann")
    sessions.list_sessions(sqlite_store, actor="Ann")
    ready = tmp_path / "locked"
    proc = mp.get_context("spawn").Process(
        target=workers.hold_write, args=(sqlite_store.url, str(ready), 20.0))
    proc.start()
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert time.monotonic() < deadline and proc.is_alive(), "the writer did not start"
        time.sleep(0.02)
    try:
        yield sqlite_store, row.id
    finally:
        proc.kill()
        proc.join()


def _lock_is_held(store) -> bool:
    conn = sqlite3.connect(make_url(store.url).database, timeout=0.05, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    finally:
        conn.close()
    return False


def test_a_report_does_not_wait_for_a_writer(locked):
    store, _sid = locked
    assert _lock_is_held(store)  # a writer would wait here
    t0 = time.perf_counter()
    report = session_report(store, "Done", ReportSettings(n_resamples=0), viewer="Ann")
    listed = sessions.list_sessions(store, actor="Ann")
    elapsed = time.perf_counter() - t0
    assert report.session.name == "Done" and len(listed) == 2
    assert elapsed < LIMIT, f"the report took {elapsed:.3f}s behind the writer"
    assert _lock_is_held(store)  # and the writer still holds it


async def test_a_screen_loads_while_a_writer_holds_the_lock(locked):
    store, sid = locked
    app = make_app(store, "Bob", start=("score", sid))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert _lock_is_held(store)
        t0 = time.perf_counter()
        screen.load(1)  # the next sampled interaction, as "]" loads it
        elapsed = time.perf_counter() - t0
        assert screen.item.position == 1
        assert elapsed < LIMIT, f"the screen took {elapsed:.3f}s behind the writer"

"""A process killed with SIGKILL in the middle of writing leaves the store consistent and a
good workbook in place: these tests really kill a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import EVALUATORS, LEAD, seed_basics
from openpyxl import load_workbook
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.maintenance import check_store
from qa_calibrate.people import add_evaluator
from qa_calibrate.rubric import _rubric_criteria
from qa_calibrate.scoring import score
from qa_calibrate.store import open_store

TESTS = Path(__file__).resolve().parent


def _spawn(call: str) -> subprocess.Popen:
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import workers; workers.{call}"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _kill_after(proc: subprocess.Popen, ready, timeout: float = 60.0) -> None:
    """SIGKILL the child once ``ready()`` is true (it is busy writing by then)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"child died early: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child made no progress")
        time.sleep(0.05)
    time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _count(store, *where):
    with store.session() as s:
        return s.exec(select(func.count()).select_from(m.AuditLog).where(*where)).one()


@pytest.fixture
def session_store(db_url):
    store = open_store(db_url)
    ids = seed_basics(store, n_interactions=3)
    sessions.create_session(store, name="Crash", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, benchmark=LEAD, interactions=ids)
    yield store, db_url, ids
    store.close()


def test_killed_while_saving_drafts(session_store):
    store, url, ids = session_store
    proc = _spawn(f"save_drafts_forever({url!r}, 'Crash', 'Ann', {ids[0]!r})")
    _kill_after(proc, lambda: _count(store, m.AuditLog.action == "save_draft") >= 20)
    assert check_store(store, actor=LEAD).ok
    with store.session() as s:
        ev = s.exec(select(m.Evaluation)).one()
        answers = s.exec(select(m.Answer).where(m.Answer.evaluation_id == ev.id)).all()
        crit = {c.id: c for c in _rubric_criteria(s, ev.rubric_id)}
        given = {crit[a.criterion_id].key: (a.value, a.na) for a in answers}
        # the stored score is the score of the stored answers: no half-written save
        assert ev.score == score(list(crit.values()), given).score
        logged = s.exec(select(func.count()).select_from(m.AuditLog)
                        .where(m.AuditLog.action == "save_draft")).one()
        assert ev.version == logged  # every committed save has its audit row, and only those


def test_killed_while_editing_consensus(session_store):
    store, url, ids = session_store
    for who in [*EVALUATORS, LEAD]:
        for ext in ids:
            sessions.score(store, "Crash", evaluator=who, interaction=ext,
                           answers={"greeting": "yes", "verify_identity": "yes", "empathy": 3,
                                    "accuracy": 4, "hold_etiquette": "n/a"}, submit_now=True)
    sessions.reveal(store, "Crash", actor=LEAD)
    proc = _spawn(f"consensus_forever({url!r}, 'Crash', {LEAD!r}, {ids[0]!r})")
    _kill_after(proc, lambda: _count(store, m.AuditLog.entity == "consensus") >= 20)
    assert check_store(store, actor=LEAD).ok
    with store.session() as s:
        row = s.exec(select(m.Consensus)).one()
        logged = s.exec(select(func.count()).select_from(m.AuditLog)
                        .where(m.AuditLog.entity == "consensus")).one()
        assert row.version == logged
        assert row.note == f"round {logged}" and row.value == 1 + logged % 5


def test_killed_while_exporting_leaves_the_good_workbook(tmp_path):
    target = tmp_path / "plan.xlsx"
    proc = _spawn(f"export_forever('', {str(target)!r})")
    first = [None]

    def ready() -> bool:
        if target.exists() and first[0] is None:
            first[0] = target.stat().st_mtime_ns
        return first[0] is not None and target.stat().st_mtime_ns != first[0]

    _kill_after(proc, ready, timeout=120)
    wb = load_workbook(target, read_only=True)  # a complete workbook, never a half-written one
    assert sum(1 for _ in wb["Assignments"].iter_rows(values_only=True)) == 20001
    wb.close()
    # the temporaries had no name in the target's folder: nothing is left beside the workbook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_killed_while_importing_leaves_all_or_nothing(db_url, tmp_path):
    import json

    n = 6000
    src = tmp_path / "big.jsonl"
    with src.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"external_id": f"K-{i:05d}", "channel": "chat", "turns": [
                {"speaker": "agent", "text": f"turn {t} of {i}, call 07700 900123"}
                for t in range(10)]}) + "\n")
    store = open_store(db_url)
    try:
        marker = tmp_path / "written"
        proc = _spawn(f"import_file({db_url!r}, {str(src)!r}, {str(marker)!r})")
        # killed once some batches are written but the file's transaction is still open
        _kill_after(proc, marker.exists)
        assert "/" in marker.read_text()
        with store.session() as s:
            count = s.exec(select(func.count()).select_from(m.Interaction)).one()
            turns = s.exec(select(func.count()).select_from(m.Turn)).one()
        assert (count, turns) == (0, 0)  # none of the file: its transaction never committed
        add_evaluator(store, LEAD, role="lead", actor="setup")  # check is a lead's
        assert check_store(store, actor=LEAD).ok
    finally:
        store.close()

"""Several processes scoring one session at once, on a SQLite file and on PostgreSQL: no answer
lost, no evaluation submitted twice, a conflicting edit detected rather than overwritten."""

from __future__ import annotations

import multiprocessing as mp

import pytest
import workers
from helpers import EVALUATORS, LEAD, seed_basics
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.store import open_store


@pytest.fixture
def shared(db_url):
    store = open_store(db_url)
    ids = seed_basics(store, n_interactions=6)
    sessions.create_session(store, name="Busy", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, interactions=ids)
    yield store, db_url, ids
    store.close()


def test_evaluators_scoring_at_once_lose_nothing(shared):
    store, url, ids = shared
    ctx = mp.get_context("spawn")
    with ctx.Pool(len(EVALUATORS)) as pool:
        saves = pool.starmap(workers.score_everything,
                             [(url, "Busy", who, ids) for who in EVALUATORS])
    assert saves == [len(ids) * len(workers.ANSWERS)] * len(EVALUATORS)
    with store.session() as s:
        evals = s.exec(select(m.Evaluation).where(m.Evaluation.context > 0)).all()
        assert len(evals) == len(ids) * len(EVALUATORS)
        assert {e.status for e in evals} == {"submitted"}
        answers = s.exec(select(func.count()).select_from(m.Answer)).one()
        assert answers == len(evals) * len(workers.ANSWERS)
        # every save and every submit is in the audit log
        logged = s.exec(select(func.count()).select_from(m.AuditLog)
                        .where(m.AuditLog.entity == "evaluation")).one()
        assert logged == len(evals) * (len(workers.ANSWERS) + 1)


def test_the_same_draft_edited_twice_at_once_is_detected_not_overwritten(shared):
    store, url, ids = shared
    ctx = mp.get_context("spawn")
    rounds = 15
    with ctx.Pool(2) as pool:
        results = pool.starmap(workers.fight_over_one,
                               [(url, "Busy", "Ann", ids[0], rounds, v) for v in (2, 5)])
    saved = sum(r["saved"] for r in results)
    submitted = sum(r["submitted"] for r in results)
    with store.session() as s:
        ev = s.exec(select(m.Evaluation).where(m.Evaluation.context > 0)).one()
        saves_logged = s.exec(select(func.count()).select_from(m.AuditLog).where(
            m.AuditLog.entity == "evaluation", m.AuditLog.action == "save_draft")).one()
        submits_logged = s.exec(select(func.count()).select_from(m.AuditLog).where(
            m.AuditLog.entity == "evaluation", m.AuditLog.action == "submit")).one()
    assert submitted == 1 and submits_logged == 1  # submitted exactly once
    assert ev.status == "submitted"
    # every accepted save bumped the version exactly once: none was silently lost
    assert saves_logged == ev.version - 1  # created at 1, +1 per later save, +1 for submit
    assert saved >= rounds  # edits got in after re-reading on conflict, none overwritten

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
from qa_calibrate.maintenance import verify_audit_chain
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
    with store.read_connection() as conn:  # the writers appended one at a time: no fork
        assert verify_audit_chain(conn)[0] == "ok", verify_audit_chain(conn)


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


def _save_while_a_first_draft_is_uncommitted(store, url, ids, expected_version):
    """Ann's first draft is written in one transaction, held open; meanwhile another process
    (here a thread with its own store) saves Ann's first draft too, then the first commits."""
    import threading
    import time

    from qa_calibrate.evaluations import AnswerIn, _save_answers

    other = open_store(url)
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            outcome["result"] = sessions.score(other, "Busy", evaluator="Ann",
                                               interaction=ids[0], answers={"empathy": 2},
                                               expected_version=expected_version)
        except Exception as exc:  # noqa: BLE001 - the test asserts on what it was
            outcome["error"] = exc

    try:
        with store.session() as s:
            ann = s.exec(select(m.Evaluator).where(m.Evaluator.name == "Ann")).one()
            cal = sessions._find_session(s, "Busy")
            item = s.exec(select(m.Interaction).where(m.Interaction.external_id == ids[0])).one()
            _save_answers(s, evaluator=ann, interaction_id=item.id, rubric_id=cal.rubric_id,
                         answers={"greeting": AnswerIn(value=1.0, na=False)}, actor="Ann",
                         calibration_session_id=cal.id, expected_version=0)
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)  # the second save is under way (waiting on the lock or the index)
        thread.join(30)
    finally:
        other.close()
    return outcome


def test_two_first_drafts_at_once_give_a_conflict_on_both_backends(shared):
    """What the scoring screen does (it names the version it read, 0 for a new draft): the
    second writer is told the draft changed elsewhere — never a duplicate-key error."""
    from qa_calibrate.errors import Conflict

    store, url, ids = shared
    outcome = _save_while_a_first_draft_is_uncommitted(store, url, ids, expected_version=0)
    error = outcome.get("error")
    assert isinstance(error, Conflict), outcome
    assert error.exit_code == 4
    assert str(error) == "evaluation 1 was changed elsewhere (version 1, you had 0); reload it " \
        "before saving"  # the same words on both backends
    with store.session() as s:
        ev = s.exec(select(m.Evaluation).where(m.Evaluation.context > 0)).one()
        assert ev.version == 1
        assert len(s.exec(select(m.Answer).where(m.Answer.evaluation_id == ev.id)).all()) == 1


def test_a_first_draft_saved_without_a_version_joins_the_other_on_both_backends(shared):
    """``score --interaction`` names no version: as on SQLite (writers queue), the second save
    lands on the draft the first made, and both answers are kept."""
    store, url, ids = shared
    outcome = _save_while_a_first_draft_is_uncommitted(store, url, ids, expected_version=None)
    assert "error" not in outcome, outcome
    with store.session() as s:
        ev = s.exec(select(m.Evaluation).where(m.Evaluation.context > 0)).one()
        assert ev.version == 2
        assert len(s.exec(select(m.Answer).where(m.Answer.evaluation_id == ev.id)).all()) == 2


def test_two_leads_recording_the_same_consensus_at_once_agree_on_both_backends(shared):
    """The first consensus on a cell, recorded by two leads at once: as on SQLite (writers
    queue), the second lands on the first's row — never a duplicate-key error."""
    import threading
    import time

    from helpers import FULL_PASS

    from qa_calibrate.rubric import _rubric_criteria

    store, url, ids = shared
    sessions.score(store, "Busy", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                   submit_now=True)
    sessions.reveal(store, "Busy", actor=LEAD)
    other = open_store(url)
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            outcome["result"] = sessions.set_consensus(other, "Busy", interaction=ids[0],
                                                       criterion="greeting", value="no",
                                                       note="second", actor=LEAD)
        except Exception as exc:  # noqa: BLE001 - the test asserts on what it was
            outcome["error"] = exc

    try:
        with store.session() as s:
            cal = sessions._find_session(s, "Busy")
            lead = s.exec(select(m.Evaluator).where(m.Evaluator.name == LEAD)).one()
            item = s.exec(select(m.Interaction).where(m.Interaction.external_id == ids[0])).one()
            crit = next(c for c in _rubric_criteria(s, cal.rubric_id) if c.key == "greeting")
            sessions._write_consensus(s, cal, item.id, crit, 1.0, False, "first", lead)
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)
        thread.join(30)
    finally:
        other.close()
    assert "error" not in outcome, outcome
    with store.session() as s:
        row = s.exec(select(m.Consensus)).one()
        assert (row.version, row.value, row.note) == (2, 0.0, "second")


def _lock_waiters(store) -> int:
    """How many PostgreSQL backends wait on a lock (the two leads' transactions)."""
    from sqlalchemy import text

    with store.read_connection() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar_one())


def _two_leads_change_one_consensus(shared, tmp_path, seen):
    """Two leads (two processes) change a cell that has a consensus (version 1), each naming
    the version ``seen``. The parent holds the cell (PostgreSQL: the row locked; SQLite: the
    write lock) until both are under way, then lets them go at once. Returns their outcomes
    and the stored row with the number of consensus changes audited."""
    import time

    from helpers import FULL_PASS

    from qa_calibrate.people import add_evaluator

    store, url, ids = shared
    add_evaluator(store, "Leo Lead", role="lead", actor=LEAD)
    sessions.score(store, "Busy", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                   submit_now=True)
    sessions.reveal(store, "Busy", actor=LEAD)
    first = sessions.set_consensus(store, "Busy", interaction=ids[0], criterion="greeting",
                                   value="yes", note="agreed", actor=LEAD)
    assert first.version == 1
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    go = tmp_path / "go"
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        pending = pool.starmap_async(workers.change_consensus_once, [
            (url, "Busy", lead, ids[0], "no", seen, str(path), str(go))
            for lead, path in ((LEAD, ready[0]), ("Leo Lead", ready[1]))])
        deadline = time.monotonic() + 60
        while not all(p.exists() for p in ready):  # both stores open
            assert time.monotonic() < deadline, "the leads did not start"
            time.sleep(0.05)
        with store.session() as s:
            # hold the cell: the two leads' transactions queue behind this one
            s.exec(select(m.Consensus).with_for_update()).one()
            if store.dialect == "sqlite":
                s.add(m.Meta(key="held", value="by the test"))
                s.flush()  # BEGIN IMMEDIATE has run: the write lock is ours
            go.write_text("go")
            if store.dialect == "postgresql":  # both wait on the held row
                while _lock_waiters(store) < 2:
                    assert time.monotonic() < deadline, "the leads did not reach the row"
                    time.sleep(0.05)
            else:
                time.sleep(1.0)  # both are queued on the write lock (busy_timeout)
        outcomes = pending.get(60)
    with store.session() as s:
        row = s.exec(select(m.Consensus)).one()
        sets = s.exec(select(func.count()).select_from(m.AuditLog).where(
            m.AuditLog.entity == "consensus")).one()
    return sorted(outcomes), row, sets


def test_two_leads_changing_the_same_consensus_at_once_one_wins_on_both_backends(shared,
                                                                                tmp_path):
    """Each names the version they saw (1): exactly one change lands, the other is told it
    changed elsewhere (exit code 4), and the audit log has that one change."""
    outcomes, row, sets = _two_leads_change_one_consensus(shared, tmp_path, 1)
    assert [o.split(":")[0] for o in outcomes] == ["conflict 4", "saved"], outcomes
    assert outcomes[0] == "conflict 4: this consensus was changed by someone else; reload it"
    assert (row.version, row.value) == (2, 0.0)
    assert sets == 2  # the first consensus and the one change that won


def test_two_leads_changing_a_consensus_naming_no_version_queue_on_both_backends(shared,
                                                                                tmp_path):
    """``session consensus`` without ``--if-version``: as on SQLite (writers queue), the second
    change lands after the first on PostgreSQL too, and both are audited."""
    outcomes, row, sets = _two_leads_change_one_consensus(shared, tmp_path, None)
    assert outcomes == ["saved", "saved"]
    assert (row.version, row.value) == (3, 0.0)
    assert sets == 3

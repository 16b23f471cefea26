"""Calibration sessions through the core: create, blind scoring, reveal, consensus, close."""

from __future__ import annotations

import pytest
from helpers import EVALUATORS, LEAD, seed_basics
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.errors import Conflict, InputError, PermissionDenied

FULL = {"greeting": "yes", "verify_identity": "yes", "empathy": 4, "accuracy": 4,
        "hold_etiquette": "n/a"}


@pytest.fixture
def cal(store):
    ids = seed_basics(store)
    sessions.create_session(
        store, name="Sept chat", rubric="mini", lead=LEAD, actor=LEAD, evaluators=EVALUATORS,
        benchmark=LEAD, interactions=ids[:3],
    )
    return store, ids[:3]


def _score_all(store, ids, who, answers=FULL, submit=True):
    for ext in ids:
        sessions.score(store, "Sept chat", evaluator=who, interaction=ext, answers=answers,
                       submit_now=submit)


def test_create_lists_people_and_sample(cal):
    store, ids = cal
    detail = sessions.session_detail(store, "Sept chat", actor="Ann")
    assert detail.state == "open"
    assert [r.interaction for r in detail.sample] == [f"crm:{i}" for i in ids]
    assert {p.name for p in detail.people} == {LEAD, *EVALUATORS}
    assert detail.expected == 4 * 3


def test_only_a_lead_creates_sessions(store):
    ids = seed_basics(store)
    with pytest.raises(InputError, match="not a lead"):
        sessions.create_session(store, name="x", rubric="mini", lead="Ann", actor=LEAD,
                                evaluators=EVALUATORS, interactions=ids[:2])
    # an evaluator naming the lead is still an evaluator: refused, and nothing is written
    with pytest.raises(PermissionDenied, match="Ann is evaluator: cannot create"):
        sessions.create_session(store, name="x", rubric="mini", lead=LEAD, actor="ann ",
                                evaluators=EVALUATORS, interactions=ids[:2])
    assert sessions.list_sessions(store, actor=LEAD) == []
    sessions.create_session(store, name="y", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, interactions=ids[:2])
    with store.session() as s:
        row = s.exec(select(m.AuditLog).where(m.AuditLog.entity == "calibration_session")).one()
        assert row.actor == LEAD


def test_blind_rule_is_enforced_by_the_core(cal):
    store, ids = cal
    _score_all(store, ids[:1], "Ann")
    _score_all(store, ids[:1], "Bob")
    # An evaluator reads their own answers...
    assert {r["evaluator"] for r in sessions.answers_of(store, "Sept chat", viewer="Ann",
                                                        evaluator="Ann")} == {"Ann"}
    # ...but not another's while the session is open.
    with pytest.raises(PermissionDenied, match="blind"):
        sessions.answers_of(store, "Sept chat", viewer="Ann", evaluator="Bob")
    # The listing leaves others out for an evaluator, shows all to the lead.
    assert {r["evaluator"] for r in sessions.list_answers(store, "Sept chat",
                                                          actor="Ann")} == {"Ann"}
    assert {r["evaluator"] for r in sessions.list_answers(store, "Sept chat",
                                                          actor=LEAD)} == {"Ann", "Bob"}
    sessions.reveal(store, "Sept chat", actor=LEAD)
    assert {r["evaluator"] for r in sessions.answers_of(store, "Sept chat", viewer="Ann",
                                                        evaluator="Bob")} == {"Bob"}


def test_submitted_evaluation_is_read_only_and_submit_needs_every_answer(cal):
    store, ids = cal
    with pytest.raises(InputError, match="unanswered"):
        sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0],
                       answers={"greeting": "yes"}, submit_now=True)
    # the failed submit rolled back the draft too: nothing stored
    with store.session() as s:
        assert s.exec(select(m.Evaluation)).all() == []
    _score_all(store, ids[:1], "Ann")
    with pytest.raises(PermissionDenied, match="read-only"):
        sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0],
                       answers={"greeting": "no"})


def test_draft_score_and_optimistic_version(cal):
    store, ids = cal
    r1 = sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0],
                        answers={"greeting": "yes", "empathy": 3})
    # greeting 1/1 (w1), empathy (3-1)/(5-1) = .5 (w2): (1 + 1) / 3
    assert r1["score"] == pytest.approx(100 * 2 / 3)
    r2 = sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0],
                        answers={"verify_identity": "no"}, expected_version=r1["version"])
    assert r2["score"] == 0 and r2["auto_failed"]
    with pytest.raises(Conflict):
        sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0],
                       answers={"greeting": "no"}, expected_version=r1["version"])


def test_outsiders_and_wrong_interactions_are_refused(cal):
    store, ids = cal
    with pytest.raises(PermissionDenied, match="trainer"):
        sessions.score(store, "Sept chat", evaluator="Tess Trainer", interaction=ids[0],
                       answers={"greeting": "yes"})
    with pytest.raises(InputError, match="not in session"):
        sessions.score(store, "Sept chat", evaluator="Ann", interaction="C-005",
                       answers={"greeting": "yes"})


def test_lead_workflow_reveal_consensus_close(cal):
    store, ids = cal
    for who in [*EVALUATORS, LEAD]:
        _score_all(store, ids, who)
    with pytest.raises(PermissionDenied):
        sessions.reveal(store, "Sept chat", actor="Ann")
    with pytest.raises(Conflict):
        sessions.set_consensus(store, "Sept chat", interaction=ids[0], criterion="empathy",
                               value=4, actor=LEAD)  # still open
    sessions.reveal(store, "Sept chat", actor=LEAD)
    with pytest.raises(Conflict, match="locked"):
        sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[0], answers={})
    with pytest.raises(PermissionDenied):
        sessions.set_consensus(store, "Sept chat", interaction=ids[0], criterion="empathy",
                               value=4, actor="Bob")
    sessions.set_consensus(store, "Sept chat", interaction=ids[0], criterion="empathy", value=3,
                           note="3: acknowledged but did not personalise", actor=LEAD)
    with pytest.raises(Conflict, match="consensus on 1 of 15"):
        sessions.close(store, "Sept chat", actor=LEAD)
    assert sessions.fill_consensus(store, "Sept chat", method="unanimous", actor=LEAD) == 14
    closed = sessions.close(store, "Sept chat", actor=LEAD)
    assert closed.state == "closed"
    with pytest.raises(Conflict):
        sessions.set_consensus(store, "Sept chat", interaction=ids[0], criterion="empathy",
                               value=4, actor=LEAD)
    with store.session() as s:
        actions = [a.action for a in s.exec(select(m.AuditLog)
                                             .where(m.AuditLog.entity == "calibration_session"))]
        assert actions == ["create", "reveal", "close"]
        empathy = s.exec(select(m.Consensus).join(m.Criterion)
                         .where(m.Criterion.key == "empathy")).all()
        assert sorted(c.value for c in empathy) == [3, 4, 4]


def test_stratified_draw_is_repeatable_and_spread():
    cands = [{"id": i, "agent": f"A{i % 4}"} for i in range(1, 41)]
    a = sessions.draw_sample(cands, 8, stratify_by="agent", seed=7)
    b = sessions.draw_sample(list(reversed(cands)), 8, stratify_by="agent", seed=7)
    assert a == b and len(set(a)) == 8
    assert sorted({f"A{i % 4}" for i in a}) == ["A0", "A1", "A2", "A3"]
    assert {sum(1 for i in a if i % 4 == k) for k in range(4)} == {2}
    rare = cands + [{"id": 99, "agent": "Rare"}]
    assert 99 in sessions.draw_sample(rare, 5, stratify_by="agent", seed=1)
    assert sessions.draw_sample(cands, 5, seed=3) != sessions.draw_sample(cands, 5, seed=4)
    with pytest.raises(InputError):
        sessions.draw_sample(cands, 41)


def test_create_by_random_sample(store):
    seed_basics(store, n_interactions=12)
    row = sessions.create_session(store, name="Drawn", rubric="mini", lead=LEAD, actor=LEAD,
                                  evaluators=EVALUATORS, sample_size=5, stratify_by="team",
                                  seed=11)
    assert row.interactions == 5
    detail = sessions.session_detail(store, "Drawn", actor=LEAD)
    assert detail.sampling["seed"] == 11 and detail.sampling["method"] == "stratified"


def test_scoring_queue_resumes_on_the_first_sample_not_submitted(cal):
    store, ids = cal
    first = sessions.scoring_item(store, "Sept chat", evaluator="Ann", position=None)
    assert first.position == 0 and first.statuses == ("todo",) * 3
    _score_all(store, ids[:1], "Ann")
    sessions.score(store, "Sept chat", evaluator="Ann", interaction=ids[1],
                   answers={"greeting": "yes"})  # a draft: still to do
    item = sessions.scoring_item(store, "Sept chat", evaluator="Ann", position=None)
    assert item.statuses == ("submitted", "draft", "todo")
    assert item.position == 1 and item.interaction.external_id == ids[1]
    assert item.answers["greeting"].value is not None
    # an explicit position is kept, and a finished queue opens on its first sample
    assert sessions.scoring_item(store, "Sept chat", evaluator="Ann", position=0).position == 0
    _score_all(store, ids[1:], "Ann")
    item = sessions.scoring_item(store, "Sept chat", evaluator="Ann", position=None)
    assert item.position == 0


def test_session_progress_says_who_has_work_left_and_what_a_fill_would_fill(cal):
    store, ids = cal
    _score_all(store, ids, "Ann")
    _score_all(store, ids, "Bob")
    _score_all(store, ids[:1], "Cy")
    _score_all(store, ids[1:2], "Cy", submit=False)  # a draft
    _score_all(store, ids, LEAD, answers={**FULL, "empathy": 3})  # the benchmark differs
    with pytest.raises(PermissionDenied, match="not a lead"):  # the blind rule
        sessions.session_progress(store, "Sept chat", actor="Ann")
    progress = sessions.session_progress(store, "Sept chat", actor=LEAD)
    assert (progress.submitted, progress.expected) == (3 + 3 + 1 + 3, 12)
    assert [(p.name, p.left, p.drafts) for p in progress.with_work_left] == [("Cy", 2, 1)]
    assert {p.name for p in progress.people if p.benchmark} == {LEAD}
    assert (progress.consensus_cells, progress.consensus_done) == (15, 0)
    assert progress.fill_unanimous == 0  # only after reveal
    sessions.reveal(store, "Sept chat", actor=LEAD)
    progress = sessions.session_progress(store, "Sept chat", actor="Ann")  # revealed: anyone
    assert progress.consensus_missing == 15
    # every submitted cell but empathy is unanimous; the benchmark answered all 15
    assert (progress.fill_unanimous, progress.fill_benchmark) == (12, 15)
    unanimous = sessions.fill_consensus(store, "Sept chat", method="unanimous", actor=LEAD)
    after = sessions.session_progress(store, "Sept chat", actor=LEAD)
    assert unanimous == progress.fill_unanimous and after.consensus_done == 12
    assert (after.fill_unanimous, after.fill_benchmark) == (0, 3)
    bench = sessions.fill_consensus(store, "Sept chat", method="benchmark", actor=LEAD)
    assert bench == after.fill_benchmark
    assert sessions.session_progress(store, "Sept chat", actor=LEAD).consensus_missing == 0

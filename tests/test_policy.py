"""The paths issue 11 found open: each is refused by the core with one line and exit code 3."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import LEAD, seed_basics, write_history_csv
from sqlmodel import select

from qa_calibrate import coaching, sessions
from qa_calibrate import models as m
from qa_calibrate.access import POLICY, allowed, set_setting
from qa_calibrate.cli import cli
from qa_calibrate.errors import PermissionDenied
from qa_calibrate.people import add_evaluator, list_evaluators


def run(store, *args, actor=None):
    argv = ["--db", store.url] + (["--as", actor] if actor is not None else []) + list(args)
    return CliRunner().invoke(cli, argv, env={"QA_CALIBRATE_USER": None})


@pytest.fixture
def open_session(store):
    """A lead, Ann and Bob scoring in an open session (Ann has a draft), Cy outside it, a
    trainer."""
    ids = seed_basics(store)
    sessions.create_session(store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:2])
    sessions.score(store, "S", evaluator="Ann", interaction=ids[0],
                   answers={"greeting": "no"})
    return store, ids


def _audit_rows(store):
    with store.session() as s:
        return len(s.exec(select(m.AuditLog)).all())


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_audit_list_keeps_the_blind_rule(open_session, fmt):
    store, _ids = open_session
    lead = run(store, "audit", "list", "--format", fmt, actor=LEAD)
    assert lead.exit_code == 0 and "save_draft" in lead.stdout  # the lead sees everything
    assert "calibration_session" in lead.stdout
    ann = run(store, "audit", "list", "--format", fmt, actor="ann")
    assert ann.exit_code == 0 and "save_draft" in ann.stdout  # her own entry
    assert "calibration_session" not in ann.stdout  # the session's sample and people: hidden
    bob = run(store, "audit", "list", "--format", fmt, actor="Bob")
    assert bob.exit_code == 0 and "save_draft" not in bob.stdout
    assert "rubric" in bob.stdout  # the rest of the log is there
    for nobody in ("Zed", ""):
        out = run(store, "audit", "list", "--format", fmt, actor=nobody)
        assert out.exit_code == 3 and out.stdout == "", out.output
        assert len(out.stderr.strip().splitlines()) == 1
    sessions.reveal(store, "S", actor=LEAD)  # revealed: the blind rule no longer applies
    assert "save_draft" in run(store, "audit", "list", "--format", fmt, actor="Bob").stdout


def test_nobody_promotes_themself_and_only_a_lead_changes_people(open_session):
    store, _ids = open_session
    before = list_evaluators(store)
    for who, args in (("Ann", ["Ann", "--role", "lead"]), ("Ann", ["New Lead", "--role", "lead"]),
                      ("Tess Trainer", ["tess  trainer", "--role", "lead"]),
                      ("Tess Trainer", ["Zoe", "--role", "lead"]), ("Zed", ["Zed"])):
        r = run(store, "evaluator", "add", *args, actor=who)
        assert r.exit_code == 3 and r.stdout == "", (who, args, r.output)
    assert list_evaluators(store) == before
    r = run(store, "evaluator", "add", "lena lead", "--role", "evaluator", actor=LEAD)
    assert r.exit_code == 3 and "own role" in r.stderr
    # a lead changes someone's role; leaving --site out keeps the stored site
    assert run(store, "evaluator", "add", "ann", "--role", "trainer", actor=LEAD).exit_code == 0
    ann = next(p for p in list_evaluators(store) if p.name == "Ann")
    assert (ann.role, ann.site) == ("trainer", "Leeds")


def test_setup_is_open_until_the_store_has_a_lead(store, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,role,site\nAnn,evaluator,Leeds\nLena Lead,lead,Leeds\n")
    assert run(store, "evaluator", "import", str(people), actor="installer").exit_code == 0
    again = tmp_path / "more.csv"
    again.write_text("name,role\nMallory,lead\n")
    r = run(store, "evaluator", "import", str(again), actor="installer")
    assert r.exit_code == 3 and "'installer' is not a person in the store" in r.stderr
    assert {p.name for p in list_evaluators(store)} == {"Ann", "Lena Lead"}


def test_evaluators_do_not_run_lead_work(open_session, tmp_path):
    store, ids = open_session
    transcripts = tmp_path / "t.jsonl"
    transcripts.write_text('{"external_id": "X-1", "channel": "chat", "turns": '
                           '[{"speaker": "agent", "text": "hi"}]}\n')
    history = tmp_path / "h.csv"
    write_history_csv(history, [(ids[1], "Bob", "greeting", "yes", "2026-09-02T10:00:00")])
    text = history.read_text().replace("\r\n", "\n").splitlines()
    history.write_text("\n".join([text[0], text[1].rstrip(",") + ",S"]) + "\n")
    n = _audit_rows(store)
    refused = [
        ["session", "create", "T", "--rubric", "mini", "--lead", LEAD, "--evaluator", "Ann",
         "--evaluator", "Bob", "--interaction", ids[2]],
        ["coaching", "plan"], ["coaching", "plan", "--dry-run"],
        ["import", "transcripts", str(transcripts)],
        ["import", "evaluations", str(history)],  # Bob's scores, in Ann's hands
        ["setting", "trainers_see_transcripts", "on"],
        ["session", "reveal", "S"], ["check"], ["backup", str(tmp_path / "b.db")],
    ]
    for args in refused:
        r = run(store, *args, actor="Ann")
        assert r.exit_code == 3, (args, r.output)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert _audit_rows(store) == n
    assert not (tmp_path / "b.db").exists()
    assert sessions.list_sessions(store, actor=LEAD)[0].name == "S"


def test_session_create_names_the_real_actor(open_session):
    store, ids = open_session
    with pytest.raises(PermissionDenied, match="Bob is evaluator"):
        sessions.create_session(store, name="T", rubric="mini", lead=LEAD, actor="Bob",
                                evaluators=["Ann", "Bob"], interactions=ids[2:3])
    add_evaluator(store, "Second Lead", role="lead", actor=LEAD)
    sessions.create_session(store, name="T", rubric="mini", lead=LEAD, actor="second lead",
                            evaluators=["Ann", "Bob"], interactions=ids[2:3])
    with store.session() as s:
        row = s.exec(select(m.AuditLog).where(m.AuditLog.entity == "calibration_session")
                     .order_by(m.AuditLog.id.desc())).first()
    assert row.actor == "Second Lead" and json.loads(row.after)["lead"] == LEAD


@pytest.mark.parametrize("spelling", ["Tess Trainer", "tess trainer", "  Tess   TRAINER "])
def test_a_trainer_reads_no_transcript_whatever_the_spelling(open_session, spelling):
    store, ids = open_session
    r = run(store, "interaction", "show", ids[0], actor=spelling)
    assert r.exit_code == 3 and "Hi, how can I help?" not in r.output
    set_setting(store, "trainers_see_transcripts", "on", actor=LEAD)
    assert "Hi, how can I help?" in run(store, "interaction", "show", ids[0],
                                        actor=spelling).stdout


def test_settings_are_changed_by_a_lead_only_in_the_core(open_session):
    store, _ids = open_session
    for who in ("Ann", "Tess Trainer", "Zed"):
        with pytest.raises(PermissionDenied):
            set_setting(store, "trainers_see_transcripts", "on", actor=who)
    set_setting(store, "trainers_see_transcripts", "on", actor="LENA lead")


def test_a_trainer_changes_only_the_assignments_they_own(open_session):
    store, _ids = open_session
    with store.session() as s:
        for trainer in ("Tess Trainer", "Other Trainer"):
            s.add(m.Assignment(kind="refresher", assignee="Agent 0", role="agent",
                               module_id="MOD-EMP", module_title="Empathy", reason="r",
                               assigned_on=m.utcnow().date(), due_on=m.utcnow().date(),
                               trainer=trainer, dedupe_key=trainer))
    mine, theirs = (a.id for a in coaching.list_assignments(store, actor="Tess Trainer"))
    assert coaching.set_statuses(store, {mine: ("Done", "x")}, actor="tess trainer") == 1
    with pytest.raises(PermissionDenied, match="belongs to Other Trainer"):
        coaching.set_statuses(store, {theirs: ("Done", "x")}, actor="Tess Trainer")
    with pytest.raises(PermissionDenied):
        coaching.set_statuses(store, {mine: ("In progress", "x")}, actor="Ann")
    assert coaching.set_statuses(store, {theirs: ("Done", "x")}, actor=LEAD) == 1


def test_the_table_names_every_action_and_refuses_outsiders():
    for action, rule in POLICY.items():
        assert rule.roles <= {"lead", "evaluator", "trainer"}, action
        if not rule.anyone:
            assert not allowed(action, None), action
        if rule.setup:
            assert allowed(action, None, has_lead=False), action
    assert not allowed("report.session", "evaluator", state="open")
    assert allowed("report.session", "evaluator", state="revealed")
    assert not allowed("interaction.show", "trainer")
    assert allowed("interaction.show", "trainer", settings={"trainers_see_transcripts": "on"})
    assert not allowed("score", "evaluator", participant=False)
    assert not allowed("coaching.status", "trainer", owns=False)
    assert allowed("coaching.status", "lead", owns=False)


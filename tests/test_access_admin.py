"""Roles enforced in the core, the audit log through the CLI, check and backup."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from helpers import EVALUATORS, FULL_PASS, LEAD, seed_basics
from sqlalchemy import text

from qa_calibrate import sessions
from qa_calibrate.access import set_setting
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError, PermissionDenied
from qa_calibrate.interactions import show_interaction
from qa_calibrate.maintenance import backup_store, check_store
from qa_calibrate.people import add_evaluator


def test_trainer_sees_no_transcript_unless_allowed(store):
    seed_basics(store)
    with pytest.raises(PermissionDenied, match="trainer"):
        show_interaction(store, "C-000", viewer="Tess Trainer")
    assert show_interaction(store, "C-000", viewer="Ann")["transcript"]
    set_setting(store, "trainers_see_transcripts", "on", actor=LEAD)
    assert show_interaction(store, "C-000", viewer="Tess Trainer")["transcript"]
    with pytest.raises(InputError):
        set_setting(store, "trainers_see_transcripts", "maybe", actor=LEAD)


def test_audit_list_json_shows_every_write(store, tmp_path):
    ids = seed_basics(store)
    sessions.create_session(store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS,
                            interactions=ids[:2])
    sessions.score(store, "S", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                   submit_now=True)
    with pytest.raises(PermissionDenied):
        sessions.reveal(store, "S", actor="Ann")
    result = CliRunner().invoke(cli, ["--db", store.url, "--as", LEAD, "audit", "list",
                                     "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    actions = [(r["entity"], r["action"]) for r in rows]
    assert ("rubric", "load") in actions and ("calibration_session", "create") in actions
    assert ("evaluation", "save_draft") in actions and ("evaluation", "submit") in actions
    assert ("calibration_session", "reveal") not in actions  # the refused reveal wrote nothing
    assert set(rows[0]) == {"id", "at", "actor", "entity", "entity_id", "action", "before",
                            "after"}


def test_check_finds_damage_and_backup_copies_a_live_store(sqlite_store, tmp_path):
    seed_basics(sqlite_store)
    assert check_store(sqlite_store, actor=LEAD).ok
    digest = backup_store(sqlite_store, tmp_path / "copy.db", actor=LEAD)
    assert len(digest) == 16
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM interaction").fetchone()[0] == 6
    copy.close()
    with pytest.raises(InputError, match="exists"):
        backup_store(sqlite_store, tmp_path / "copy.db", actor=LEAD)
    # damage the store behind the tool's back: a rubric definition edited by hand
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("UPDATE rubric SET definition = replace(definition, 'Greeted', 'Hi')"))
    report = check_store(sqlite_store, actor=LEAD)
    assert not report.ok
    bad = [f for f in report.findings if f["status"] != "ok"]
    assert [f["check"] for f in bad] == ["rubric content hashes"] and "mini@1" in bad[0]["detail"]
    result = CliRunner().invoke(cli, ["--db", sqlite_store.url, "--as", LEAD, "check",
                                     "--format", "json"])
    assert result.exit_code == 1


def test_backup_of_postgres_says_pg_dump(pg_schema_url):
    from qa_calibrate.store import open_store

    store = open_store(pg_schema_url)
    try:
        add_evaluator(store, LEAD, role="lead", actor="setup")
        with pytest.raises(InputError, match="pg_dump"):
            backup_store(store, "x.dump", actor=LEAD)
    finally:
        store.close()

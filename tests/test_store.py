"""Store basics on every backend: schema, constraints, audit log, transactions, versions."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate.errors import StoreError
from qa_calibrate.store import SCHEMA_VERSION, _audit, open_store, resolve_url, schema_version


def test_new_store_is_stamped_with_current_schema(store):
    assert schema_version(store) == SCHEMA_VERSION


def test_reopening_keeps_data(db_url):
    s = open_store(db_url)
    with s.session() as session:
        session.add(m.Evaluator(name="Ana", role="lead"))
    s.close()
    s = open_store(db_url)
    with s.session() as session:
        assert session.exec(select(m.Evaluator.name)).all() == ["Ana"]
    s.close()


def test_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(IntegrityError):
        with store.session() as session:
            session.add(m.Evaluator(name="Ana"))
            session.flush()
            session.add(m.Evaluator(name="Ana"))  # unique name
            session.flush()
    with store.session() as session:
        assert session.exec(select(m.Evaluator)).all() == []


def test_interaction_external_id_unique_per_source(store):
    with store.session() as session:
        session.add(m.Interaction(source="crm", external_id="A1", channel="chat"))
        session.add(m.Interaction(source="other", external_id="A1", channel="chat"))
    with pytest.raises(IntegrityError):
        with store.session() as session:
            session.add(m.Interaction(source="crm", external_id="A1", channel="voice"))


def test_foreign_keys_are_enforced(store):
    with pytest.raises(IntegrityError):
        with store.session() as session:
            session.add(m.Turn(interaction_id=999, seq=0, speaker="agent", text="hi"))


def test_audit_log_is_append_only(store):
    with store.session() as session:
        _audit(session, actor="ana", entity="evaluator", entity_id=1, action="create",
              after={"name": "Ana"})
    with pytest.raises(SQLAlchemyError):
        with store.session() as session:
            session.exec(text("UPDATE audit_log SET actor = 'mallory'"))
    with pytest.raises(SQLAlchemyError):
        with store.session() as session:
            session.exec(text("DELETE FROM audit_log"))
    with store.session() as session:
        rows = session.exec(select(m.AuditLog)).all()
    assert [(r.actor, r.action) for r in rows] == [("ana", "create")]


def test_store_newer_than_code_refuses_to_open(db_url):
    s = open_store(db_url)
    with s.session() as session:
        session.exec(text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
    s.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(db_url)


def test_resolve_url_forms(tmp_path, monkeypatch):
    assert resolve_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("QA_CALIBRATE_DB", "sqlite:///x.db")
    assert resolve_url(None) == "sqlite:///x.db"
    assert resolve_url("sqlite:///y.db") == "sqlite:///y.db"


def test_sqlite_uses_wal_and_foreign_keys(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unreachable_postgres_is_one_clear_error():
    with pytest.raises(StoreError, match="cannot open store"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_old_store_is_migrated_on_open(db_url):
    """A store at schema version 1 (before coaching assignments) opens and is upgraded."""
    s = open_store(db_url)
    with s.session() as session:
        session.add(m.Evaluator(name="Kept"))
    with s.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE assignment")
        conn.exec_driver_sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    s.close()
    s = open_store(db_url)
    assert schema_version(s) == SCHEMA_VERSION
    with s.session() as session:
        assert session.exec(select(m.Evaluator.name)).all() == ["Kept"]
        assert session.exec(select(m.Assignment)).all() == []
    s.close()


def test_version_2_store_gets_the_assignment_tracking_columns(db_url):
    """A store at schema version 2 (assignments without version, completion date, notes and
    acknowledgement) keeps its assignments and reads them at version 1."""
    from datetime import date

    s = open_store(db_url)
    with s.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE assignment")
        conn.exec_driver_sql(
            "CREATE TABLE assignment (id INTEGER PRIMARY KEY, kind VARCHAR(16) NOT NULL, "
            "assignee VARCHAR(255) NOT NULL, role VARCHAR(16) NOT NULL, team VARCHAR(128), "
            "site VARCHAR(128), module_id VARCHAR(64) NOT NULL, "
            "module_title VARCHAR(255) NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL, "
            "priority VARCHAR(8) NOT NULL, assigned_on DATE NOT NULL, due_on DATE NOT NULL, "
            "trainer VARCHAR(255), status VARCHAR(16) NOT NULL, dedupe_key VARCHAR(512) NOT NULL, "
            "created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)")
        conn.exec_driver_sql(
            "INSERT INTO assignment (id, kind, assignee, role, module_id, module_title, reason, "
            "evidence, priority, assigned_on, due_on, status, dedupe_key, created_at, updated_at)"
            " VALUES (7, 'refresher', 'Agent 0', 'agent', 'MOD-EMP', 'Empathy', 'r', '{}', "
            "'medium', '2026-10-01', '2026-10-15', 'Done', 'k', '2026-10-01 09:00:00', "
            "'2026-10-01 09:00:00')")
        conn.exec_driver_sql("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    s.close()
    s = open_store(db_url)
    assert schema_version(s) == SCHEMA_VERSION == 7
    with s.session() as session:
        row = session.exec(select(m.Assignment)).one()
        assert (row.id, row.status, row.assigned_on) == (7, "Done", date(2026, 10, 1))
        assert (row.version, row.completed_on, row.notes, row.acknowledged) == (1, None, None,
                                                                                False)
    s.close()


def test_version_3_store_gets_the_packet_log_and_external_people(db_url):
    """A store at schema version 3 (no packet log; evaluators without ``external``) keeps its
    people, who are all people of this store."""
    from sqlalchemy import inspect

    s = open_store(db_url)
    with s.session() as session:
        session.add(m.Evaluator(name="Kept", role="lead"))
    with s.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE packet_log")
        conn.exec_driver_sql("DROP TABLE sla_target")
        conn.exec_driver_sql("ALTER TABLE evaluator DROP COLUMN external")
        conn.exec_driver_sql("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        assert "external" not in {c["name"] for c in inspect(conn).get_columns("evaluator")}
    s.close()
    s = open_store(db_url)
    assert schema_version(s) == SCHEMA_VERSION == 7
    with s.session() as session:
        assert [(p.name, p.external) for p in session.exec(select(m.Evaluator)).all()] == \
            [("Kept", False)]
        assert session.exec(select(m.PacketLog)).all() == []
        assert session.exec(select(m.SlaTarget)).all() == []
    s.close()


def test_store_before_drift_flags_gets_the_table(db_url):
    """A store at the version before kept drift flags (no ``drift_flag`` table) keeps its
    people and starts with no flags."""
    from qa_calibrate.store import MIGRATIONS, _v6_drift_flags

    before = next(v for v, step in MIGRATIONS.items() if step is _v6_drift_flags) - 1
    s = open_store(db_url)
    with s.session() as session:
        session.add(m.Evaluator(name="Kept", role="lead"))
    with s.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE drift_flag")
        conn.exec_driver_sql(
            f"UPDATE meta SET value = '{before}' WHERE key = 'schema_version'")
    s.close()
    s = open_store(db_url)
    assert schema_version(s) == SCHEMA_VERSION
    with s.session() as session:
        assert session.exec(select(m.Evaluator.name)).all() == ["Kept"]
        assert session.exec(select(m.DriftFlag)).all() == []
def test_store_before_answer_turns_gets_the_turn_an_answer_is_tied_to(db_url):
    """A store at the version before answers were tied to turns (no ``turn_seq``) keeps its
    answers, tied to no turn; the step is one self-contained function
    (``store._v7_answer_turn``)."""
    from sqlalchemy import inspect

    from qa_calibrate.store import MIGRATIONS, _v7_answer_turn

    before = next(v for v, step in MIGRATIONS.items() if step is _v7_answer_turn) - 1
    s = open_store(db_url)
    with s.session() as session:
        person = m.Evaluator(name="Kept")
        rubric = m.Rubric(name="r", version=1, title="r", content_hash="h", definition="{}")
        session.add_all([person, rubric])
        session.flush()
        crit = m.Criterion(rubric_id=rubric.id, key="k", section="s", position=0, question="q",
                           scale="binary", max_value=1, pass_at=1)
        item = m.Interaction(source="s", external_id="x", channel="chat")
        session.add_all([crit, item])
        session.flush()
        ev = m.Evaluation(evaluator_id=person.id, interaction_id=item.id, rubric_id=rubric.id)
        session.add(ev)
        session.flush()
        session.add(m.Answer(evaluation_id=ev.id, criterion_id=crit.id, value=1,
                             comment="kept"))
    with s.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE answer DROP COLUMN turn_seq")
        conn.exec_driver_sql(
            f"UPDATE meta SET value = '{before}' WHERE key = 'schema_version'")
    s.close()
    s = open_store(db_url)
    assert schema_version(s) == SCHEMA_VERSION
    with s.engine.connect() as conn:
        assert "turn_seq" in {c["name"] for c in inspect(conn).get_columns("answer")}
    with s.session() as session:
        assert [(a.comment, a.turn_seq) for a in session.exec(select(m.Answer)).all()] == \
            [("kept", None)]
    s.close()

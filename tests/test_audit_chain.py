"""The audit log's hash chain (issue 12 item 5): every row chained to the one before, on both
backends; ``check`` names the first row a direct edit of the database broke; a store from
before the chain gets it computed on upgrade."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import LEAD, seed_basics
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from qa_calibrate import sessions
from qa_calibrate.cli import cli
from qa_calibrate.maintenance import check_store, verify_audit_chain
from qa_calibrate.store import SCHEMA_VERSION, audit_hash, open_store, schema_version


def _chain(store) -> tuple[str, str]:
    with store.read_connection() as conn:
        return verify_audit_chain(conn)


def _rows(store) -> list:
    with store.read_connection() as conn:
        return conn.execute(text("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")).all()


def _without_triggers(store, sql: str) -> None:
    """Change the log as someone with the file (SQLite) or the owner's role (PostgreSQL) can:
    the append-only trigger lifted for one statement."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            conn.exec_driver_sql(sql)
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
            conn.exec_driver_sql(sql)


def test_every_row_is_chained_to_the_one_before(store):
    seed_basics(store)
    rows = _rows(store)
    assert len(rows) > 5
    assert rows[0][1] is None
    for before, row in zip(rows, rows[1:], strict=False):
        assert row[1] == before[2] and len(row[2]) == 64
    assert len({r[2] for r in rows}) == len(rows)
    assert _chain(store)[0] == "ok"


def test_the_hash_covers_every_field():
    base = ("p", "2026-01-01T00:00:00", "Ann", "evaluation", "1", "submit", None, '{"a": 1}')
    digest = audit_hash(*base)
    for i in range(len(base)):
        changed = list(base)
        changed[i] = ("x" if changed[i] is None else "2026-01-01T00:00:01" if i == 1
                      else changed[i] + "x")
        assert audit_hash(*changed) != digest, i


@pytest.mark.parametrize("tamper, says", [
    ("UPDATE audit_log SET actor = 'Mallory' WHERE id = {n}", "its content does not match"),
    ("UPDATE audit_log SET after = '{{}}' WHERE id = {n}", "its content does not match"),
    ("DELETE FROM audit_log WHERE id = {n}", "prev_hash does not match"),
])
def test_check_names_the_first_row_a_direct_edit_broke(store, tamper, says):
    seed_basics(store)
    n = _rows(store)[3][0]
    _without_triggers(store, tamper.format(n=n))
    status, detail = _chain(store)
    broken = n if "DELETE" not in tamper else _rows(store)[3][0]  # the row after the gap
    assert status == "error" and f"audit row {broken} breaks the chain" in detail, detail
    assert says in detail
    report = check_store(store, actor=LEAD)
    assert not report.ok
    finding = [f for f in report.findings if f["check"] == "audit log hash chain"]
    assert finding and finding[0]["status"] == "error"


def test_a_forged_hash_after_the_edit_still_breaks_at_the_next_row(store):
    """Recomputing the edited row's own hash moves the break to the row after it."""
    seed_basics(store)
    rows = _rows(store)
    n = rows[2][0]
    with store.read_connection() as conn:
        row = conn.execute(text("SELECT at, actor, entity, entity_id, action, before, after, "
                                "prev_hash FROM audit_log WHERE id = :n"), {"n": n}).one()
    forged = audit_hash(row[7], row[0], "Mallory", *row[2:7])
    _without_triggers(store, f"UPDATE audit_log SET actor = 'Mallory', hash = '{forged}' "
                             f"WHERE id = {n}")
    status, detail = _chain(store)
    assert status == "error" and f"audit row {rows[3][0]} breaks" in detail, detail


def test_check_cli_exits_1_naming_the_row(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    n = _rows(store)[1][0]
    _without_triggers(store, f"UPDATE audit_log SET action = 'nothing' WHERE id = {n}")
    store.close()
    result = CliRunner().invoke(cli, ["--db", str(db), "--as", LEAD, "check", "--format",
                                      "json"])
    assert result.exit_code == 1, result.output
    found = {r["check"]: r for r in json.loads(result.stdout)}
    assert found["audit log hash chain"]["status"] == "error"
    assert f"audit row {n} breaks the chain" in found["audit log hash chain"]["detail"]


def test_the_append_only_triggers_still_refuse(store):
    seed_basics(store)
    for sql in ("UPDATE audit_log SET hash = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(SQLAlchemyError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(sql)
    assert _chain(store)[0] == "ok"


def test_a_version_4_store_gets_the_chain_computed_on_upgrade(db_url):
    store = open_store(db_url)
    ids = seed_basics(store)
    sessions.create_session(store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:2])
    before = _rows(store)
    _without_triggers(store, "UPDATE audit_log SET prev_hash = NULL, hash = NULL")
    with store.engine.begin() as conn:  # as version 4 had it: no chain, nor its trigger
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_chain"
                             + (" ON audit_log" if store.dialect == "postgresql" else ""))
        conn.exec_driver_sql("DROP INDEX ux_evaluator_db_role")
        conn.exec_driver_sql("ALTER TABLE evaluator DROP COLUMN db_role")
        conn.exec_driver_sql("ALTER TABLE audit_log DROP COLUMN prev_hash")
        conn.exec_driver_sql("ALTER TABLE audit_log DROP COLUMN hash")
        conn.exec_driver_sql("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store.close()
    store = open_store(db_url)
    try:
        assert schema_version(store) == SCHEMA_VERSION == 7
        assert _rows(store) == before  # the same chain as the rows got when written
        assert _chain(store)[0] == "ok"
        sessions.score(store, "S", evaluator="Ann", interaction=ids[0],
                       answers={"greeting": "yes"})
        assert _chain(store)[0] == "ok"  # new rows chain on to the migrated ones
        with pytest.raises(SQLAlchemyError, match="append-only"):  # triggers back in place
            with store.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM audit_log")
    finally:
        store.close()


def test_a_row_that_does_not_chain_on_to_the_last_is_refused(store):
    """Written around the tool, a row must still name the last row's hash as its prev_hash:
    nobody forks the chain (a trigger on both backends)."""
    seed_basics(store)
    last = _rows(store)[-1][2]
    insert = ("INSERT INTO audit_log (at, actor, entity, action, prev_hash, hash) VALUES "
              "('2026-01-01 00:00:00', 'x', 'evaluator', 'forged', :p, 'h')")
    for prev in (None, "0" * 64, _rows(store)[-2][2]):
        with pytest.raises(SQLAlchemyError, match="prev_hash is not the last"):
            with store.engine.begin() as conn:
                conn.execute(text(insert), {"p": prev})
    with store.engine.begin() as conn:  # chained on, but its hash is no hash of its content
        conn.execute(text(insert), {"p": last})
    status, detail = _chain(store)
    assert status == "error" and "its content does not match its hash" in detail

"""PostgreSQL as the boundary (issue 12 item 1): after ``db provision`` and ``person link``,
someone connected with psycopg as an evaluator's (or trainer's) own login role tries direct SQL
around the tool, and the CLI with a forged ``--as``: every attempt is refused or returns no rows.
The tool itself still works for each role under exactly these grants.

Every run makes its own schema, group-role prefix and login roles (unique names, so parallel
workers do not collide) and drops them afterwards. Skipped unless ``QA_CALIBRATE_TEST_PG``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from click.testing import CliRunner
from conftest import PG_URL, _pg_schema_url
from helpers import FULL_PASS, LEAD, seed_basics
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qa_calibrate import dbroles, sessions
from qa_calibrate import models as m
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError, PermissionDenied, StoreError
from qa_calibrate.people import add_evaluator, list_evaluators
from qa_calibrate.store import open_store, resolve_url

pytestmark = pytest.mark.skipif(not PG_URL, reason="QA_CALIBRATE_TEST_PG not set")

SECRET = "BOB-OPEN-SECRET"
PEOPLE = {"lead": LEAD, "ann": "Ann", "bob": "Bob", "tess": "Tess Trainer"}


@dataclass
class World:
    schema: str
    prefix: str
    logins: dict[str, str]  # short name -> login role
    ids: dict[str, int]  # named rows
    owner_url: str

    def url(self, who: str) -> str:
        """A URL connecting as that login role (trust auth on the test server)."""
        base = make_url(resolve_url(PG_URL)).set(username=self.logins[who])
        return (base.render_as_string(hide_password=False)
                + f"?options=-csearch_path%3D{self.schema}")

    def connect(self, who: str) -> psycopg.Connection:
        url = make_url(resolve_url(PG_URL))
        return psycopg.connect(host=url.host, port=url.port or 5432, dbname=url.database,
                               user=self.logins[who], options=f"-csearch_path={self.schema}",
                               autocommit=True)

    def cli(self, who: str, *args: str, env: dict[str, str | None] | None = None):
        return CliRunner().invoke(cli, ["--db", self.url(who), *args],
                                  env={"QA_CALIBRATE_USER": None, "QA_CALIBRATE_DB": None,
                                       **(env or {})})


def _admin():
    return create_engine(resolve_url(PG_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture
def world() -> Iterator[World]:
    tag = uuid.uuid4().hex[:10]
    schema, prefix = f"qa_rls_{tag}", f"qa{tag}_"
    logins = {short: f"{short}_{tag}" for short in (*PEOPLE, "stranger")}
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        for login in logins.values():
            conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))
    owner_url = _pg_schema_url(schema)
    try:
        store = open_store(owner_url)
        try:
            ext = seed_basics(store)
            sessions.create_session(store, name="Open", rubric="mini", lead=LEAD, actor=LEAD,
                                    evaluators=["Ann", "Bob"], benchmark=LEAD,
                                    interactions=ext[:3])
            sessions.score(store, "Open", evaluator="Bob", interaction=ext[0],
                           answers={"greeting": "no"}, comments={"greeting": SECRET})
            sessions.score(store, "Open", evaluator="Ann", interaction=ext[0],
                           answers=FULL_PASS, submit_now=True)
            with store.session() as s:
                for trainer in ("Tess Trainer", "Other Trainer"):
                    s.add(m.Assignment(kind="refresher", assignee="Agent 0", role="agent",
                                       module_id="MOD-EMP", module_title="Empathy", reason="r",
                                       assigned_on=m.utcnow().date(),
                                       due_on=m.utcnow().date(), trainer=trainer,
                                       dedupe_key=trainer))
            done = dbroles.provision(store, actor=LEAD, prefix=prefix)
            assert done.groups == tuple(f"{prefix}{g}" for g in dbroles.GROUPS)
            for short, name in PEOPLE.items():
                dbroles.link(store, name, logins[short], actor=LEAD)
            with store.read() as s:
                q = ("SELECT e.id FROM evaluation e JOIN evaluator v ON v.id = e.evaluator_id "
                     "WHERE v.name = :n")
                ids = {"ann_eval": s.execute(text(q), {"n": "Ann"}).scalar_one(),
                       "bob_eval": s.execute(text(q), {"n": "Bob"}).scalar_one()}
                ids.update({r[0]: r[1] for r in s.execute(text(
                    "SELECT name, id FROM evaluator")).all()})
                ids["interaction"] = s.execute(text(
                    "SELECT id FROM interaction WHERE external_id = :e"), {"e": ext[1]}).scalar()
                ids["criterion"] = s.execute(text(
                    "SELECT id FROM criterion WHERE key = 'greeting'")).scalar()
                ids["rubric"] = s.execute(text("SELECT id FROM rubric")).scalar()
                ids["session"] = s.execute(text("SELECT id FROM calibration_session")).scalar()
        finally:
            store.close()
        yield World(schema, prefix, logins, ids, owner_url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            for role in [*logins.values(), *(f"{prefix}{g}" for g in dbroles.GROUPS)]:
                conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def _refused(conn: psycopg.Connection, sql: str, params: tuple = ()) -> str:
    with pytest.raises(psycopg.Error) as err:
        conn.execute(sql, params)
    return str(err.value)


def test_an_evaluator_reads_only_their_own_answers_in_an_open_session(world):
    with world.connect("ann") as ann:
        others = ann.execute("SELECT count(*) FROM answer a JOIN evaluation e ON "
                             "e.id = a.evaluation_id WHERE e.evaluator_id <> %s",
                             (world.ids["Ann"],)).fetchone()
        assert others == (0,)
        assert ann.execute("SELECT count(*) FROM evaluation WHERE id = %s",
                           (world.ids["bob_eval"],)).fetchone() == (0,)
        assert ann.execute("SELECT count(*) FROM answer WHERE comment = %s",
                           (SECRET,)).fetchone() == (0,)
        own = ann.execute("SELECT count(*) FROM answer a JOIN evaluation e ON "
                          "e.id = a.evaluation_id WHERE e.evaluator_id = %s",
                          (world.ids["Ann"],)).fetchone()
        assert own == (len(FULL_PASS),)
        # the audit log: nothing of Bob's open evaluation
        assert ann.execute("SELECT count(*) FROM audit_log WHERE entity = 'evaluation' "
                           "AND entity_id = %s", (str(world.ids["bob_eval"]),)).fetchone() == (0,)
        assert ann.execute("SELECT count(*) FROM audit_log WHERE entity = 'evaluation' AND "
                           "entity_id = %s", (str(world.ids["ann_eval"]),)).fetchone()[0] > 0
    with world.connect("lead") as lead:  # the lead sees it all
        assert lead.execute("SELECT count(*) FROM answer WHERE comment = %s",
                            (SECRET,)).fetchone() == (1,)
    with world.connect("stranger") as stranger:  # a login that is nobody: no table at all
        assert "permission denied" in _refused(
            stranger, f'SELECT count(*) FROM "{world.schema}".answer')


def test_an_evaluator_cannot_change_a_submitted_evaluation_or_anyone_elses(world):
    ann_eval, bob_eval = world.ids["ann_eval"], world.ids["bob_eval"]
    with world.connect("ann") as ann:
        assert ann.execute("UPDATE evaluation SET score = 1 WHERE id = %s",
                           (ann_eval,)).rowcount == 0  # submitted
        assert ann.execute("UPDATE evaluation SET status = 'draft' WHERE id = %s",
                           (ann_eval,)).rowcount == 0
        assert ann.execute("UPDATE answer SET value = 0 WHERE evaluation_id = %s",
                           (ann_eval,)).rowcount == 0
        assert ann.execute("DELETE FROM answer WHERE evaluation_id = %s",
                           (ann_eval,)).rowcount == 0
        assert ann.execute("UPDATE evaluation SET score = 1 WHERE id = %s",
                           (bob_eval,)).rowcount == 0  # Bob's draft: not hers
        assert "row-level security" in _refused(
            ann, "INSERT INTO answer (evaluation_id, criterion_id, value, na) "
                 "VALUES (%s, %s, 1, false)", (bob_eval, world.ids["criterion"] + 1))
        assert "row-level security" in _refused(
            ann, "INSERT INTO evaluation (evaluator_id, interaction_id, rubric_id, session_id, "
                 "context, status, auto_failed, created_at, updated_at, scored_at, version) "
                 "VALUES (%s, %s, %s, NULL, 0, 'draft', false, now(), now(), now(), 1)",
            (world.ids["Bob"], world.ids["interaction"], world.ids["rubric"]))
        assert "permission denied" in _refused(
            ann, "UPDATE evaluator SET role = 'lead' WHERE id = %s", (world.ids["Ann"],))
        assert "permission denied" in _refused(
            ann, "UPDATE calibration_session SET state = 'revealed'")
    with world.connect("lead") as lead:
        row = lead.execute("SELECT status, score FROM evaluation WHERE id = %s",
                           (ann_eval,)).fetchone()
        assert row[0] == "submitted" and row[1] != 1


def test_the_audit_log_takes_inserts_only_in_ones_own_name(world):
    for who in ("ann", "tess", "lead"):
        with world.connect(who) as conn:
            for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET actor = 'x'",
                        "TRUNCATE audit_log"):
                assert "permission denied" in _refused(conn, sql), (who, sql)
            tail = conn.execute("SELECT qa_audit_tail()").fetchone()[0]  # chained on
            assert "row-level security" in _refused(
                conn, "INSERT INTO audit_log (at, actor, entity, action, prev_hash, hash) "
                      "VALUES (now(), %s, 'evaluator', 'forged', %s, 'h')",
                ("Someone Else", tail))
    # the owner (here a superuser, whom no grant binds) is stopped by the triggers
    owner = _admin()
    try:
        with owner.connect() as conn:
            conn.execute(text(f'SET search_path = "{world.schema}"'))
            for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET actor = 'x'",
                        "TRUNCATE audit_log"):
                with pytest.raises(Exception, match="append-only"):
                    conn.execute(text(sql))
    finally:
        owner.dispose()


def test_set_role_to_the_lead_group_is_refused(world):
    for who in ("ann", "tess", "stranger"):
        with world.connect(who) as conn:
            assert "permission denied" in _refused(conn, f'SET ROLE "{world.prefix}lead"')
            assert "permission denied" in _refused(conn, f'SET ROLE "{world.logins["lead"]}"')
    with world.connect("ann") as ann:  # her own group: she is no person there, so sees nothing
        ann.execute(f'SET ROLE "{world.prefix}evaluator"')
        assert ann.execute("SELECT count(*) FROM answer").fetchone() == (0,)


def test_a_trainer_sees_no_transcript_and_changes_no_one_elses_assignment(world):
    with world.connect("tess") as tess:
        assert tess.execute("SELECT count(*) FROM turn").fetchone() == (0,)
        assert tess.execute("SELECT count(*) FROM evaluation WHERE id = %s",
                            (world.ids["bob_eval"],)).fetchone() == (0,)
        assert "permission denied" in _refused(tess, "UPDATE evaluation SET score = 1")
        assert tess.execute("UPDATE assignment SET status = 'Done' WHERE trainer = "
                            "'Other Trainer'").rowcount == 0
        assert tess.execute("UPDATE assignment SET trainer = 'Tess Trainer' WHERE trainer = "
                            "'Other Trainer'").rowcount == 0
        assert tess.execute("UPDATE assignment SET status = 'Done' WHERE trainer = "
                            "'Tess Trainer'").rowcount == 1  # her own
        assert "row-level security" in _refused(  # nor hand her own to another trainer
            tess, "UPDATE assignment SET trainer = 'Other Trainer' WHERE trainer = "
                  "'Tess Trainer'")
    with world.connect("ann") as ann:  # coaching is for leads and trainers
        assert ann.execute("SELECT count(*) FROM assignment").fetchone() == (0,)
        assert "permission denied" in _refused(ann, "UPDATE assignment SET status = 'Done'")
    with world.connect("lead") as lead:
        lead.execute("INSERT INTO meta (key, value) VALUES "
                     "('setting.trainers_see_transcripts', 'on')")
    with world.connect("tess") as tess:
        assert tess.execute("SELECT count(*) FROM turn").fetchone()[0] > 0


@pytest.mark.parametrize("forged", [["--as", LEAD], ["--as", "Bob"]])
def test_the_cli_as_an_evaluators_login_refuses_a_forged_name(world, forged):
    result = world.cli("ann", *forged, "session", "answers", "Open", "--format", "json")
    assert result.exit_code == 3, result.output
    assert result.stdout == "" and SECRET not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"login role '{world.logins['ann']}', which is Ann: cannot act as" in result.stderr
    reveal = world.cli("ann", *forged, "session", "reveal", "Open")
    assert reveal.exit_code == 3 and "Traceback" not in reveal.output
    env = world.cli("ann", "session", "answers", "Open", env={"QA_CALIBRATE_USER": LEAD})
    assert env.exit_code == 3, env.output  # the environment variable is no way round it


def test_the_tool_works_for_each_role_under_these_grants(world):
    # the evaluator: acts as herself without --as (the login says who), scores and submits
    bob = world.cli("bob", "score", "Open", "--interaction", "C-001", "--answer",
                    ",".join(f"{k}={v}" for k, v in FULL_PASS.items()), "--submit")
    assert bob.exit_code == 0, bob.output
    answers = world.cli("ann", "session", "answers", "Open", "--format", "json")
    assert answers.exit_code == 0, answers.output
    assert {r["evaluator"] for r in json.loads(answers.stdout)} == {"Ann"}
    assert SECRET not in answers.stdout
    audit = world.cli("ann", "audit", "list", "--format", "json")
    assert audit.exit_code == 0, audit.output
    assert str(world.ids["bob_eval"]) not in {r["entity_id"] for r in json.loads(audit.stdout)
                                               if r["entity"] == "evaluation"}
    named = world.cli("ann", "--as", "ann", "session", "list")  # her own name is fine
    assert named.exit_code == 0, named.output
    # the trainer: coaching, the audit log; no transcripts
    for args in (["coaching", "plan"], ["coaching", "list"], ["audit", "list"],
                 ["report", "evaluators"], ["drift"]):
        result = world.cli("tess", *args)
        assert result.exit_code == 0, (args, result.output)
    assert world.cli("tess", "interaction", "show", "C-000").exit_code == 3
    # the lead: reveal, consensus, the whole audit log, check
    lead_audit = world.cli("lead", "audit", "list", "--format", "json")
    assert lead_audit.exit_code == 0, lead_audit.output
    assert str(world.ids["bob_eval"]) in {r["entity_id"] for r in json.loads(lead_audit.stdout)}
    for args in (["session", "reveal", "Open"],
                 ["session", "consensus", "Open", "--interaction", "C-000", "--criterion",
                  "greeting", "--value", "yes", "--note", "agreed"],
                 ["check"], ["evaluator", "add", "New Person"], ["drift", "--all"]):
        result = world.cli("lead", *args)
        assert result.exit_code == 0, (args, result.output)
    check = world.cli("lead", "check", "--format", "json")
    chain = [r for r in json.loads(check.stdout) if r["check"] == "audit log hash chain"]
    assert chain[0]["status"] == "ok", chain  # appends by every role kept one chain
    # revealed: the evaluator now sees the others' answers, in SQL too
    with world.connect("ann") as ann:
        assert ann.execute("SELECT count(*) FROM answer WHERE comment = %s",
                           (SECRET,)).fetchone() == (1,)


def test_provision_and_link_refuse_what_they_cannot_do(world, tmp_path):
    store = open_store(world.url("ann"))
    try:
        with pytest.raises(PermissionDenied):
            dbroles.provision(store, actor="Ann", prefix=world.prefix)
        with pytest.raises(PermissionDenied):
            dbroles.link(store, "Ann", world.logins["lead"], actor="Ann")
    finally:
        store.close()
    owner = open_store(world.owner_url)
    try:
        with pytest.raises(InputError, match="linked to Ann already"):
            dbroles.link(owner, "Bob", world.logins["ann"], actor=LEAD)
        with pytest.raises(InputError):
            dbroles.provision(owner, actor=LEAD, prefix="Bad-Prefix")
        again = dbroles.provision(owner, actor=LEAD, prefix=world.prefix)  # idempotent
        assert again.policies > 10
    finally:
        owner.close()
    sqlite = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with pytest.raises(InputError, match="PostgreSQL"):
            dbroles.provision(sqlite, actor="x")
    finally:
        sqlite.close()


def test_sslmode_in_the_url_reaches_libpq(pg_schema_url):
    """``sslmode`` (and the other libpq parameters) pass through the URL to psycopg: the test
    server has no TLS, so ``disable`` connects and ``require`` is refused in one line."""
    store = open_store(pg_schema_url + "&sslmode=disable")
    store.close()
    with pytest.raises(StoreError, match="SSL") as err:
        open_store(pg_schema_url + "&sslmode=require")
    assert "\n" not in str(err.value)
    result = CliRunner().invoke(cli, ["--db", pg_schema_url + "&sslmode=require", "--as", LEAD,
                                      "session", "list"])
    assert result.exit_code == 5 and len(result.stderr.strip().splitlines()) == 1, result.output


def test_a_linked_persons_new_role_moves_their_login_to_the_new_group(world):
    def member(group: str) -> bool:
        with world.connect("lead") as lead:
            return lead.execute("SELECT pg_has_role(%s, %s, 'MEMBER')",
                                (world.logins["ann"], world.prefix + group)).fetchone()[0]

    assert member("evaluator") and not member("trainer")
    # connected as the lead's own login, the group cannot change: refused, nothing changed
    result = world.cli("lead", "evaluator", "add", "Ann", "--role", "trainer")
    assert result.exit_code == 3 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "run it connected as the store's owner" in result.stderr
    owner = open_store(world.owner_url)
    try:
        assert {p.name: p.role for p in list_evaluators(owner)}["Ann"] == "evaluator"
        add_evaluator(owner, "Ann", role="trainer", actor=LEAD)  # as the owner: it moves
    finally:
        owner.close()
    assert member("trainer") and not member("evaluator")
    with world.connect("ann") as ann:  # a trainer now: no transcripts, no evaluation writes
        assert ann.execute("SELECT count(*) FROM turn").fetchone() == (0,)
        assert "permission denied" in _refused(ann, "UPDATE evaluation SET score = 1")

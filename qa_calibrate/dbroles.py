"""PostgreSQL: the database is the boundary. Group roles, their grants and row-level security
policies that enforce, inside the database, what ``access.POLICY`` enforces in the tool.

``provision`` (the store's owner runs it, acting as a lead or during setup) creates the group
roles ``<prefix>lead``, ``<prefix>evaluator``, ``<prefix>trainer`` and ``<prefix>agent``
(NOLOGIN), grants each the tables and columns its commands write and nothing more, and turns on
row-level security where the blind rule and ownership apply. ``link`` maps a login role to a
person (``evaluator.db_role``) and makes it a member of the group of that person's role.

Who is acting, inside SQL: ``qa_current_evaluator()`` is the person whose ``db_role`` is
``current_user`` (SECURITY INVOKER, STABLE: it reads the caller's ``current_user``, which a
client cannot set to a role it is not a member of; no settable variable is trusted). A login
that is no person gets nothing the policies guard. The owner of the tables is not subject to
the policies (it runs migrations and provisioning); ``audit_log`` refuses UPDATE, DELETE and
TRUNCATE to every role, the owner included (triggers, and the grants revoked).

What each group may, mirroring ``access.POLICY``:

- every person: read the store's tables, append to ``audit_log`` in their own name;
- evaluation/answer: a lead reads all; anyone else reads their own, and others' only once the
  session is no longer open (routine evaluations are not blind); only one's own evaluations are
  written, only while they are drafts (a lead may also import others' scores);
- audit_log rows: everyone but a lead sees, while a session is open, only their own entries of
  it (as ``audit.list_audit``);
- turn (transcript text): leads and evaluators, trainers only with ``trainers_see_transcripts``;
- assignment: leads and trainers read; a trainer changes only the assignments they own;
- people, rubrics, sessions, consensus, settings, packets, SLAs: written by leads only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from . import models as m
from .access import _require
from .errors import InputError, NotFound, PermissionDenied
from .people import _find_evaluator
from .store import Store, _audit, quote_ident

DEFAULT_PREFIX = "qa_"
GROUPS = ("lead", "evaluator", "trainer", "agent")
PREFIX_KEY = "db.role_prefix"  # in ``meta``: the prefix the store was provisioned with
_PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_LOGIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$")

# Every table of the store, and what each group may do on it besides SELECT (which every person
# group has, row policies narrowing it where the blind rule or ownership applies).
_WRITES: dict[str, dict[str, str]] = {
    "lead": {
        "meta": "INSERT, UPDATE", "module": "INSERT, UPDATE", "rubric": "INSERT",
        "criterion": "INSERT", "evaluator": "INSERT, UPDATE", "interaction": "INSERT",
        "turn": "INSERT", "calibration_session": "INSERT, UPDATE",
        "session_evaluator": "INSERT", "session_interaction": "INSERT",
        "evaluation": "INSERT, UPDATE", "answer": "INSERT, UPDATE, DELETE",
        "consensus": "INSERT, UPDATE", "audit_log": "INSERT",
        "assignment": "INSERT, UPDATE", "packet_log": "INSERT",
        "sla_target": "INSERT, UPDATE", "drift_flag": "INSERT, UPDATE",
    },
    "evaluator": {"evaluation": "INSERT, UPDATE", "answer": "INSERT, UPDATE, DELETE",
                  "audit_log": "INSERT"},
    # running drift keeps the flags it raises (drift_flag); only a lead clears one
    "trainer": {"assignment": "INSERT, UPDATE", "audit_log": "INSERT", "drift_flag": "INSERT"},
    "agent": {},
}
_AGENT_READS = ("module",)  # agents (no person role yet): the module catalogue only
_RLS_TABLES = ("evaluation", "answer", "audit_log", "turn", "assignment")


def _functions(schema: str) -> list[str]:
    path = f"SET search_path = {schema}, pg_temp"
    return [
        f"""CREATE OR REPLACE FUNCTION qa_current_evaluator() RETURNS integer
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT id FROM evaluator WHERE db_role = current_user AND NOT external $$""",
        f"""CREATE OR REPLACE FUNCTION qa_current_role() RETURNS varchar
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT role FROM evaluator WHERE db_role = current_user AND NOT external $$""",
        f"""CREATE OR REPLACE FUNCTION qa_current_name() RETURNS varchar
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT name FROM evaluator WHERE db_role = current_user AND NOT external $$""",
        f"""CREATE OR REPLACE FUNCTION qa_session_open(sid integer) RETURNS boolean
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT coalesce((SELECT state = 'open' FROM calibration_session WHERE id = sid),
                            false) $$""",
        f"""CREATE OR REPLACE FUNCTION qa_takes_part(sid integer) RETURNS boolean
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT EXISTS (SELECT 1 FROM session_evaluator
                           WHERE session_id = sid AND evaluator_id = qa_current_evaluator()) $$""",
        # Past the evaluation policies (SECURITY DEFINER): whether an audit row is one that
        # ``viewer`` may not see while its session is open (audit.list_audit's rule).
        f"""CREATE OR REPLACE FUNCTION qa_audit_hidden(row_entity varchar, row_entity_id varchar,
                row_actor varchar, viewer integer, viewer_name varchar) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER {path} AS $$
            SELECT CASE row_entity
              WHEN 'evaluation' THEN EXISTS (
                SELECT 1 FROM evaluation e JOIN calibration_session s ON s.id = e.session_id
                WHERE e.id::text = row_entity_id AND s.state = 'open'
                  AND e.evaluator_id IS DISTINCT FROM viewer)
              WHEN 'calibration_session' THEN EXISTS (
                SELECT 1 FROM calibration_session s
                WHERE s.id::text = row_entity_id AND s.state = 'open')
                AND lower(row_actor) IS DISTINCT FROM lower(viewer_name)
              ELSE false END $$""",
        f"""CREATE OR REPLACE FUNCTION qa_trainers_see_transcripts() RETURNS boolean
            LANGUAGE sql STABLE SECURITY INVOKER {path} AS $$
            SELECT coalesce((SELECT value = 'on' FROM meta
                             WHERE key = 'setting.trainers_see_transcripts'), false) $$""",
    ]


_ME = "qa_current_evaluator()"
_LEAD = "qa_current_role() = 'lead'"
_POLICIES: list[tuple[str, str, str, str | None, str | None]] = [
    # (table, policy, command, USING, WITH CHECK)
    ("evaluation", "read", "SELECT",
     f"{_LEAD} OR evaluator_id = {_ME} OR ({_ME} IS NOT NULL AND NOT qa_session_open(session_id))",
     None),
    ("evaluation", "add", "INSERT", None,
     f"{_LEAD} OR (evaluator_id = {_ME} AND (session_id IS NULL OR qa_takes_part(session_id)))"),
    ("evaluation", "change", "UPDATE",
     f"status = 'draft' AND (evaluator_id = {_ME} OR {_LEAD})",
     f"evaluator_id = {_ME} OR {_LEAD}"),
    ("answer", "read", "SELECT",
     "EXISTS (SELECT 1 FROM evaluation e WHERE e.id = evaluation_id)", None),
    # written only on one's own evaluation (a lead: any) while it is a draft, or in the very
    # transaction that inserted or submitted it (an import writes submitted evaluations)
    *[("answer", f"write_{cmd.lower()}", cmd, using, check)
      for cmd, using, check in (
          ("INSERT", None, "{w}"), ("UPDATE", "{w}", "{w}"), ("DELETE", "{w}", None))],
    ("audit_log", "read", "SELECT",
     f"{_LEAD} OR ({_ME} IS NOT NULL AND NOT qa_audit_hidden(entity, entity_id, actor, {_ME}, "
     "qa_current_name()))", None),
    ("audit_log", "append", "INSERT", None, "lower(actor) = lower(qa_current_name())"),
    ("turn", "read", "SELECT",
     "qa_current_role() IN ('lead', 'evaluator') OR (qa_current_role() = 'trainer' AND "
     "qa_trainers_see_transcripts())", None),
    ("assignment", "read", "SELECT", "qa_current_role() IN ('lead', 'trainer')", None),
    ("assignment", "add", "INSERT", None, "qa_current_role() IN ('lead', 'trainer')"),
    ("assignment", "change", "UPDATE",
     f"{_LEAD} OR (qa_current_role() = 'trainer' AND lower(trainer) = lower(qa_current_name()))",
     f"{_LEAD} OR (qa_current_role() = 'trainer' AND lower(trainer) = lower(qa_current_name()))"),
]
_ANSWER_WRITABLE = (
    "EXISTS (SELECT 1 FROM evaluation e WHERE e.id = evaluation_id "
    f"AND (e.evaluator_id = {_ME} OR {_LEAD}) "
    "AND (e.status = 'draft' OR e.xmin = pg_current_xact_id()::xid))")


@dataclass(frozen=True)
class Provisioned:
    """What ``provision`` set up: the group roles, the tables under row policies."""

    groups: tuple[str, ...]
    policies: int
    rls_tables: tuple[str, ...]


def _postgres(store: Store, what: str) -> None:
    if store.dialect != "postgresql":
        raise InputError(f"{what} is for a PostgreSQL store (this one is {store.dialect}): "
                         "a SQLite file is protected by the file system and encryption at rest")


def check_prefix(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise InputError(f"--prefix {prefix!r}: lower-case letters, digits and _ only, starting "
                         "with a letter or _, at most 40 characters")
    return prefix


def _sql_error(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig or exc).split("\n")[0].split())


def provision(store: Store, *, actor: str, prefix: str = DEFAULT_PREFIX) -> Provisioned:
    """Create (or bring up to date) the group roles, grants and row policies, in one
    transaction. Run as the owner of the store's tables, with CREATEROLE."""
    check_prefix(prefix)
    try:
        with store.session() as session:
            who = _require(session, actor, "db.provision")
            _postgres(store, "db provision")
            conn = session.connection()
            schema = quote_ident(str(conn.exec_driver_sql("SELECT current_schema()").scalar()))
            owner = quote_ident(str(conn.exec_driver_sql("SELECT current_user").scalar()))
            groups = tuple(f"{prefix}{g}" for g in GROUPS)
            for group in groups:
                conn.exec_driver_sql(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    f"'{group}') THEN CREATE ROLE {quote_ident(group)} NOLOGIN; "
                    "END IF; END $$")
            _grant(conn, schema, owner, prefix)
            for statement in _functions(schema):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(
                "REVOKE EXECUTE ON FUNCTION qa_audit_hidden(varchar, varchar, varchar, integer,"
                " varchar) FROM PUBLIC")
            conn.exec_driver_sql(
                "GRANT EXECUTE ON FUNCTION qa_audit_hidden(varchar, varchar, varchar, integer, "
                "varchar) TO " + ", ".join(quote_ident(g) for g in groups[:3]))
            n = _policies(conn)
            row = session.get(m.Meta, PREFIX_KEY) or m.Meta(key=PREFIX_KEY, value=prefix)
            row.value = prefix
            session.add(row)
            _audit(session, actor=who.name, entity="database", entity_id=prefix,
                  action="provision", after={"groups": list(groups), "policies": n})
    except DBAPIError as exc:
        raise PermissionDenied(f"cannot provision the database roles: {_sql_error(exc)} "
                               "(connect as the owner of the store's tables, with "
                               "CREATEROLE)") from exc
    return Provisioned(groups, n, _RLS_TABLES)


def _grant(conn: Any, schema: str, owner: str, prefix: str) -> None:
    tables = [t for t in m.SQLModel.metadata.tables]
    everyone = ", ".join(quote_ident(f"{prefix}{g}") for g in GROUPS)
    people = ", ".join(quote_ident(f"{prefix}{g}") for g in ("lead", "evaluator", "trainer"))
    conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA {schema} FROM {everyone}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {everyone}")
    for table in tables:
        conn.exec_driver_sql(f"REVOKE ALL ON {quote_ident(table)} FROM PUBLIC, {everyone}")
    for table in tables:
        conn.exec_driver_sql(f"GRANT SELECT ON {quote_ident(table)} TO {people}")
    for table in _AGENT_READS:
        conn.exec_driver_sql(f"GRANT SELECT ON {quote_ident(table)} TO "
                             f"{quote_ident(prefix + 'agent')}")
    sequences = {t: conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{t}', 'id')").scalar()
                 for t in tables if "id" in m.SQLModel.metadata.tables[t].c}
    for group, writes in _WRITES.items():
        role = quote_ident(f"{prefix}{group}")
        for table, privileges in writes.items():
            conn.exec_driver_sql(f"GRANT {privileges} ON {quote_ident(table)} TO {role}")
            if "INSERT" in privileges and sequences.get(table):
                conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {sequences[table]} TO {role}")
    # The log is append-only for everyone, the owner's own role included.
    conn.exec_driver_sql(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC, {owner}")
    conn.exec_driver_sql("""CREATE OR REPLACE FUNCTION audit_log_no_truncate() RETURNS trigger
        AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""")
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    conn.exec_driver_sql("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                         "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()")


def _policies(conn: Any) -> int:
    n = 0
    for table in _RLS_TABLES:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for (name,) in conn.exec_driver_sql(
                "SELECT policyname FROM pg_policies WHERE schemaname = current_schema() "
                f"AND tablename = '{table}'").all():
            conn.exec_driver_sql(f"DROP POLICY {quote_ident(name)} ON {table}")
    for table, name, command, using, check in _POLICIES:
        sql = f"CREATE POLICY {quote_ident('qa_' + name)} ON {table} FOR {command}"
        if using:
            sql += f" USING ({using.format(w=_ANSWER_WRITABLE)})"
        if check:
            sql += f" WITH CHECK ({check.format(w=_ANSWER_WRITABLE)})"
        conn.exec_driver_sql(sql)
        n += 1
    return n


def _prefix(session: Session) -> str | None:
    row = session.get(m.Meta, PREFIX_KEY)
    return row.value if row else None


def link(store: Store, name: str, db_role: str | None, *, actor: str) -> dict[str, Any]:
    """Map the login role ``db_role`` to the person ``name`` (None: unlink). On PostgreSQL the
    login role is also made a member of the group of the person's role (and of no other group
    of this store), which needs the owner's rights; all of it or nothing."""
    if db_role is not None and not _LOGIN.match(db_role):
        raise InputError(f"--db-role {db_role!r}: not a login role name")
    try:
        with store.session() as session:
            who = _require(session, actor, "people.link")
            person = _find_evaluator(session, name)
            if person.external:
                raise InputError(f"{person.name} is an evaluator of another organisation: "
                                 "they have no login to this store")
            taken = None if db_role is None else session.exec(
                select(m.Evaluator).where(m.Evaluator.db_role == db_role)).first()
            if taken is not None and taken.id != person.id:
                raise InputError(f"login role {db_role!r} is linked to {taken.name} already")
            before = person.db_role
            group = None
            if store.dialect == "postgresql":
                group = _sync_membership(session, person.role, before, db_role)
            person.db_role = db_role
            session.add(person)
            _audit(session, actor=who.name, entity="evaluator", entity_id=person.id,
                  action="link", before={"db_role": before},
                  after={"db_role": db_role, "group": group})
            return {"name": person.name, "db_role": db_role, "group": group}
    except DBAPIError as exc:
        raise PermissionDenied(f"cannot link {name!r} to {db_role!r}: {_sql_error(exc)} "
                               "(run it connected as the store's owner)") from exc


def _sync_membership(session: Session, role: str, old: str | None, new: str | None) -> str | None:
    prefix = _prefix(session)
    if prefix is None:
        raise InputError("this PostgreSQL store has no database roles yet: run "
                         "qa-calibrate db provision first")
    conn = session.connection()
    groups = ", ".join(quote_ident(prefix + g) for g in GROUPS)
    if old is not None and old != new and _role_exists(conn, old):
        conn.exec_driver_sql(f"REVOKE {groups} FROM {quote_ident(old)}")
    if new is None:
        return None
    if not _role_exists(conn, new):
        raise NotFound(f"no login role {new!r} in this database (CREATE ROLE {new} LOGIN)")
    conn.exec_driver_sql(f"REVOKE {groups} FROM {quote_ident(new)}")
    group = prefix + role
    conn.exec_driver_sql(f"GRANT {quote_ident(group)} TO {quote_ident(new)}")
    return group


def _role_exists(conn: Any, name: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"),
                        {"n": name}).first() is not None


def _resync(session: Session, person: m.Evaluator) -> None:
    """After a linked person's role changed: their login role joins the new role's group."""
    if person.db_role and session.get_bind().dialect.name == "postgresql" \
            and _prefix(session) is not None:
        try:
            with session.begin_nested():
                _sync_membership(session, person.role, person.db_role, person.db_role)
        except DBAPIError as exc:
            raise PermissionDenied(
                f"{person.name} has the login role {person.db_role!r}, whose group must change "
                f"with the role: {_sql_error(exc)} (run it connected as the store's owner)"
            ) from exc

"""Opening a store (SQLite file by default, PostgreSQL by URL), schema versions, transactions.

A store is picked by, in order: an explicit URL (``--db``), the ``QA_CALIBRATE_DB`` environment
variable, then the default SQLite file in the user data directory. A plain path is taken as a
SQLite file. ``postgresql://`` URLs use the psycopg 3 driver.

Schema versions: a new store is created from the models and stamped with ``SCHEMA_VERSION``;
an older store is brought up to date by the numbered steps in ``MIGRATIONS`` in one transaction.
A store stamped newer than this code refuses to open rather than guess.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from . import locations
from . import models as m
from .errors import StoreError
from .locations import ENV_VAR

SCHEMA_VERSION = 7


def _v2_assignments(conn: Connection) -> None:
    """Version 2: coaching assignments."""
    m.Assignment.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


def _v3_assignment_tracking(conn: Connection) -> None:
    """Version 3: an assignment's version (the workbook's optimistic lock), completion date,
    notes and the agent's acknowledgement."""
    have = {c["name"] for c in inspect(conn).get_columns("assignment")}
    for name, ddl in (("version", "INTEGER NOT NULL DEFAULT 1"), ("completed_on", "DATE"),
                      ("notes", "TEXT"), ("acknowledged", "BOOLEAN NOT NULL DEFAULT false")):
        if name not in have:  # a table created by step 2 from today's model has them already
            conn.exec_driver_sql(f"ALTER TABLE assignment ADD COLUMN {name} {ddl}")


def _v4_packets(conn: Connection) -> None:
    """Version 4: calibration packets between organisations (the packet log, and evaluators
    of another organisation who cannot act in this store) and quality SLAs per site."""
    if "external" not in {c["name"] for c in inspect(conn).get_columns("evaluator")}:
        conn.exec_driver_sql("ALTER TABLE evaluator ADD COLUMN external BOOLEAN NOT NULL "
                             "DEFAULT false")
    m.PacketLog.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
    m.SlaTarget.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


def _v5_boundary(conn: Connection) -> None:
    """Version 5: a person's PostgreSQL login role (``evaluator.db_role``), and the audit log's
    hash chain (``prev_hash``, ``hash``), computed here for the rows already there, oldest
    first. The append-only triggers are lifted for this one step (they are installed again
    after every upgrade)."""
    have = {c["name"] for c in inspect(conn).get_columns("evaluator")}
    if "db_role" not in have:
        conn.exec_driver_sql("ALTER TABLE evaluator ADD COLUMN db_role VARCHAR(63)")
    if "ux_evaluator_db_role" not in {i["name"] for i in inspect(conn).get_indexes("evaluator")}:
        conn.exec_driver_sql("CREATE UNIQUE INDEX ux_evaluator_db_role ON evaluator (db_role)")
    have = {c["name"] for c in inspect(conn).get_columns("audit_log")}
    for name in ("prev_hash", "hash"):
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE audit_log ADD COLUMN {name} VARCHAR(64)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
    prev: str | None = None
    rows = conn.execute(text("SELECT id, at, actor, entity, entity_id, action, before, after "
                             "FROM audit_log ORDER BY id")).all()
    for row in rows:
        digest = audit_hash(prev, *row[1:])
        conn.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                     {"p": prev, "h": digest, "i": row[0]})
        prev = digest


def _v6_drift_flags(conn: Connection) -> None:
    """Version 6: drift flags kept once raised, until a lead clears them (issue 16). Self-
    contained: it only creates its own table, so it can take any number at a merge."""
    m.DriftFlag.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
def _v7_answer_turn(conn: Connection) -> None:
    """Version 7: the transcript turn an answer's comment is tied to (``answer.turn_seq``)."""
    if "turn_seq" not in {c["name"] for c in inspect(conn).get_columns("answer")}:
        conn.exec_driver_sql("ALTER TABLE answer ADD COLUMN turn_seq INTEGER")


# Steps that take a store from version N-1 to N. Each runs inside the upgrade transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_assignments, 3: _v3_assignment_tracking, 4: _v4_packets, 5: _v5_boundary,
    6: _v6_drift_flags, 7: _v7_answer_turn}


def resolve_url(url: str | None = None) -> str:
    """Turn ``--db`` / ``QA_CALIBRATE_DB`` / the default into an SQLAlchemy URL."""
    raw = url or os.environ.get(ENV_VAR) or str(locations.default_db_path())
    if "://" not in raw:
        path = Path(raw).expanduser()
        return f"sqlite:///{path}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


_READ_ONLY = "qa_calibrate_read_only"


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write takes the lock up front (IMMEDIATE), so two writers queue on busy_timeout
        # instead of one failing with "database is locked" when it upgrades a read lock. A read
        # (``Store.read``) begins deferred: under WAL it never waits for a writer.
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


_AUDIT_TRIGGERS_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    # a row must chain on to the last one: nothing written around the tool forks the chain
    """CREATE TRIGGER IF NOT EXISTS audit_log_chain BEFORE INSERT ON audit_log
       WHEN NEW.prev_hash IS NOT (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1)
       BEGIN SELECT RAISE(ABORT, 'audit_log: prev_hash is not the last row''s hash'); END""",
]

_AUDIT_TRIGGERS_PG = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    "DROP TRIGGER IF EXISTS audit_log_chain ON audit_log",
    """CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
       FOR EACH ROW EXECUTE FUNCTION qa_audit_chain()""",
]


# The tail of the audit chain on PostgreSQL: one appender at a time (a transaction-level
# advisory lock, held to commit), reading the last row's hash past the row-level policies that
# hide rows from the person appending (SECURITY DEFINER, owned by the store's owner).
_AUDIT_LOCK = 0x5141_4C4F47  # "QALOG"
_AUDIT_TAIL_PG = """CREATE OR REPLACE FUNCTION qa_audit_tail() RETURNS varchar
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock({lock});
      RETURN (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1);
    END; $$"""
# Every insert, the tool's or not, waits for the same lock and must chain on to the last row
# (VOLATILE: it sees the rows inserted before it by the same statement).
_AUDIT_CHAIN_PG = """CREATE OR REPLACE FUNCTION qa_audit_chain() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock({lock});
      IF NEW.prev_hash IS DISTINCT FROM
         (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) THEN
        RAISE EXCEPTION 'audit_log: prev_hash is not the last row''s hash';
      END IF;
      RETURN NEW;
    END; $$"""


def _install_triggers(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        schema = quote_ident(str(conn.exec_driver_sql("SELECT current_schema()").scalar()))
        for function in (_AUDIT_TAIL_PG, _AUDIT_CHAIN_PG):
            conn.exec_driver_sql(function.format(schema=schema, lock=_AUDIT_LOCK))
    statements = _AUDIT_TRIGGERS_PG if conn.dialect.name == "postgresql" else _AUDIT_TRIGGERS_SQLITE
    for statement in statements:
        conn.exec_driver_sql(statement)


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Store:
    """An open store: the engine plus the helpers every core module uses."""

    engine: Engine
    url: str
    key: str | None = field(default=None, repr=False)  # of an encrypted SQLite store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls everything back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite a deferred transaction (a WAL reader never waits
        for a writer), on PostgreSQL a READ ONLY one; always rolled back at the end."""
        engine = self.engine.execution_options(**{_READ_ONLY: True})
        with Session(engine, expire_on_commit=False) as session:
            try:
                if self.dialect == "postgresql":
                    session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
                yield session
            finally:
                session.expunge_all()  # what was read stays loaded: a rollback would expire it
                session.rollback()

    def read_connection(self) -> Any:
        """A Core connection for read-only queries (deferred on SQLite, as ``read``)."""
        return self.engine.execution_options(**{_READ_ONLY: True}).connect()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def encrypted(self) -> bool:
        return self.key is not None


SQLITE_MAGIC = b"SQLite format 3\x00"
KEY_VAR = "QA_CALIBRATE_KEY"


def sqlcipher() -> Any:
    """The SQLCipher DB-API module (the ``encrypt`` extra), or one line saying how to get it."""
    try:
        import sqlcipher3.dbapi2 as module
    except ImportError as exc:
        raise StoreError("this store is encrypted (or asked to be): SQLCipher support is not "
                         "installed; install it with: pip install 'qa-calibrate[encrypt]'"
                         ) from exc
    return module


def is_encrypted_file(path: Path) -> bool:
    """A SQLite file that does not start with SQLite's header (an empty file is plain)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    return bool(head) and head != SQLITE_MAGIC


def cipher_connect(path: str | Path, key: str, **kwargs: Any) -> Any:
    """A SQLCipher connection to ``path`` with ``key``, checked: a wrong key is a StoreError."""
    module = sqlcipher()
    conn = module.connect(str(path), **kwargs)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # its own log would print to stderr
        conn.execute("PRAGMA key = '" + key.replace("'", "''") + "'")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except module.DatabaseError as exc:
        conn.close()
        raise StoreError(f"cannot open the encrypted store {path}: wrong key (or not a store)"
                         ) from exc
    return conn


def create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (0600), if there is none."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _store_key(path: Path, fresh: bool, ask_key: Callable[[], str | None] | None) -> str | None:
    """The key of an encrypted store (``QA_CALIBRATE_KEY``, else ``ask_key``); None for a plain
    one. A new file is encrypted when ``QA_CALIBRATE_KEY`` is set."""
    env = os.environ.get(KEY_VAR) or None
    if fresh:
        return env
    if not is_encrypted_file(path):
        return None
    key = env or (ask_key() if ask_key is not None else None)
    if not key:
        raise StoreError(f"store {path} is encrypted: give its key in {KEY_VAR} (or run from a "
                         "terminal to be asked for it)")
    return key


def open_store(url: str | None = None, *, create: bool = True,
               ask_key: Callable[[], str | None] | None = None) -> Store:
    """Open (and create or upgrade) the store at ``url``; see module docstring for the order.

    A SQLite file is created 0600. An encrypted one (SQLCipher, the ``encrypt`` extra) is
    opened with the key in ``QA_CALIBRATE_KEY``, else the one ``ask_key`` returns (the CLI asks
    at a terminal); a new file is created encrypted when ``QA_CALIBRATE_KEY`` is set."""
    resolved = resolve_url(url)
    kwargs: dict[str, Any] = {}
    key: str | None = None
    if resolved.startswith("sqlite"):
        db_path = make_url(resolved).database
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if db_path and db_path != ":memory:":
            path = Path(db_path).expanduser()
            parent = path.parent
            if not parent.exists():
                if not create:
                    raise StoreError(f"no store at {db_path}")
                parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists() or path.stat().st_size == 0
            if fresh and create:
                create_private(path)
            if path.exists():
                key = _store_key(path, fresh, ask_key)
            if key is not None:
                module, secret = sqlcipher(), key
                kwargs = {"module": module, "creator": lambda: cipher_connect(
                    path, secret, timeout=30, check_same_thread=False)}
    else:
        kwargs["pool_pre_ping"] = True
        if resolved.startswith("postgresql+psycopg") and find_spec("psycopg") is None:
            raise StoreError(
                f"cannot use {describe_url(resolved)}: PostgreSQL support is not installed; "
                "install it with: pip install 'qa-calibrate[postgres]'"
            )
    try:
        engine = create_engine(resolved, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database URL {describe_url(resolved)}: {exc}") from exc
    if resolved.startswith("sqlite"):
        _install_sqlite_hooks(engine)
    store = Store(engine=engine, url=resolved, key=key)
    try:
        _prepare_schema(store)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open store {describe_url(resolved)}: {reason}") from exc
    except StoreError:
        engine.dispose()
        raise
    return store


def _prepare_schema(store: Store) -> None:
    with store.engine.begin() as conn:
        has_meta = inspect(conn).has_table("meta")
        if not has_meta:
            SQLModel.metadata.create_all(conn)
            _install_triggers(conn)
            conn.execute(
                m.Meta.__table__.insert()  # type: ignore[attr-defined]
                .values(key="schema_version", value=str(SCHEMA_VERSION))
            )
            return
        row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"store {describe_url(store.url)} has schema version {current}, newer than this "
                f"qa-calibrate ({SCHEMA_VERSION}); upgrade qa-calibrate"
            )
        if current < SCHEMA_VERSION:
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
            _install_triggers(conn)
            conn.execute(
                text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
                {"v": str(SCHEMA_VERSION)},
            )


def schema_version(store: Store) -> int:
    with store.read_connection() as conn:
        row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else 0


def _utc_naive(at: datetime | str) -> datetime:
    if isinstance(at, str):  # a driver that hands back the stored text
        at = datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at


def audit_hash(prev: str | None, at: datetime | str, actor: str, entity: str,
               entity_id: str | None, action: str, before: str | None,
               after: str | None) -> str:
    """SHA-256 (hex) of one audit row chained to the one before: over the canonical encoding,
    a compact JSON array of the previous hash and the row's fields, ``at`` as UTC ISO 8601 with
    microseconds, ``before``/``after`` as the stored JSON text."""
    when = _utc_naive(at).strftime("%Y-%m-%dT%H:%M:%S.%f")
    canonical = json.dumps([prev, when, actor, entity, entity_id, action, before, after],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _audit_tail(session: Session) -> str | None:
    """The last row's hash, the append serialised: on SQLite every write transaction holds the
    database's write lock from its start (BEGIN IMMEDIATE); on PostgreSQL ``qa_audit_tail``
    takes an advisory lock held to commit."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT qa_audit_tail()")).scalar()
    return session.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()


def _audit_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append rows (keys: actor, entity, entity_id, action, before, after: the stored JSON text
    or None) to the audit log in the caller's transaction, each chained to the one before. On
    PostgreSQL the same transaction notifies the change feeds (``changes``), at commit."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from .changes import _notify

        for entity in dict.fromkeys(row["entity"] for row in rows):
            _notify(session, entity)
    prev = _audit_tail(session)
    at = m.utcnow()
    out = []
    for row in rows:
        entity_id = None if row.get("entity_id") is None else str(row["entity_id"])
        values = {"at": at, "actor": row["actor"], "entity": row["entity"],
                  "entity_id": entity_id, "action": row["action"],
                  "before": row.get("before"), "after": row.get("after")}
        digest = audit_hash(prev, at, values["actor"], values["entity"], entity_id,
                            values["action"], values["before"], values["after"])
        out.append({**values, "prev_hash": prev, "hash": digest})
        prev = digest
    session.execute(insert(m.AuditLog.__table__), out)  # type: ignore[attr-defined]


def _audit(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    before: object = None,
    after: object = None,
) -> None:
    """Append one row to the audit log, inside the caller's transaction (``_audit_many``)."""
    _audit_many(session, [{
        "actor": actor, "entity": entity, "entity_id": entity_id, "action": action,
        "before": None if before is None else json.dumps(before, default=str, sort_keys=True),
        "after": None if after is None else json.dumps(after, default=str, sort_keys=True)}])

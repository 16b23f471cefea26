"""Opening a store (SQLite file by default, PostgreSQL by URL), schema versions, transactions.

A store is picked by, in order: an explicit URL (``--db``), the ``QA_CALIBRATE_DB`` environment
variable, then the default SQLite file in the user data directory. A plain path is taken as a
SQLite file. ``postgresql://`` URLs use the psycopg 3 driver.

Schema versions: a new store is created from the models and stamped with ``SCHEMA_VERSION``;
an older store is brought up to date by the numbered steps in ``MIGRATIONS`` in one transaction.
A store stamped newer than this code refuses to open rather than guess.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from . import locations
from . import models as m
from .errors import StoreError
from .locations import ENV_VAR

SCHEMA_VERSION = 5


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


def _v5_answer_turn(conn: Connection) -> None:
    """Version 5: the transcript turn an answer's comment is tied to (``answer.turn_seq``)."""
    if "turn_seq" not in {c["name"] for c in inspect(conn).get_columns("answer")}:
        conn.exec_driver_sql("ALTER TABLE answer ADD COLUMN turn_seq INTEGER")


# Steps that take a store from version N-1 to N. Each runs inside the upgrade transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_assignments, 3: _v3_assignment_tracking, 4: _v4_packets, 5: _v5_answer_turn}


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
]

_AUDIT_TRIGGERS_PG = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def _install_triggers(conn: Connection) -> None:
    statements = _AUDIT_TRIGGERS_PG if conn.dialect.name == "postgresql" else _AUDIT_TRIGGERS_SQLITE
    for statement in statements:
        conn.exec_driver_sql(statement)


@dataclass
class Store:
    """An open store: the engine plus the helpers every core module uses."""

    engine: Engine
    url: str

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


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and create or upgrade) the store at ``url``; see module docstring for the order."""
    resolved = resolve_url(url)
    kwargs: dict[str, Any] = {}
    if resolved.startswith("sqlite"):
        db_path = make_url(resolved).database
        if db_path and db_path != ":memory:":
            parent = Path(db_path).expanduser().parent
            if not parent.exists():
                if not create:
                    raise StoreError(f"no store at {db_path}")
                parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
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
    store = Store(engine=engine, url=resolved)
    try:
        _prepare_schema(store)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open store {describe_url(resolved)}: {reason}") from exc
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


def audit(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    before: object = None,
    after: object = None,
) -> None:
    """Append one row to the audit log, inside the caller's transaction."""
    session.add(
        m.AuditLog(
            actor=actor,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            action=action,
            before=None if before is None else json.dumps(before, default=str, sort_keys=True),
            after=None if after is None else json.dumps(after, default=str, sort_keys=True),
        )
    )

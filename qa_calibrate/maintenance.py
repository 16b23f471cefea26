"""Keeping a store healthy: online backup and consistency checks."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .errors import InputError
from .store import Store, audit_hash, cipher_connect, create_private, describe_url, sqlcipher

# (what, SQL counting orphan rows) — foreign keys prevent these, unless they were switched off
# by another tool writing to the file.
ORPHAN_CHECKS = [
    ("answers without their evaluation",
     "SELECT count(*) FROM answer a LEFT JOIN evaluation e ON e.id = a.evaluation_id "
     "WHERE e.id IS NULL"),
    ("answers to a criterion of another rubric version",
     "SELECT count(*) FROM answer a JOIN evaluation e ON e.id = a.evaluation_id "
     "JOIN criterion c ON c.id = a.criterion_id WHERE c.rubric_id <> e.rubric_id"),
    ("turns without their interaction",
     "SELECT count(*) FROM turn t LEFT JOIN interaction i ON i.id = t.interaction_id "
     "WHERE i.id IS NULL"),
    ("evaluations without their interaction, evaluator or rubric",
     "SELECT count(*) FROM evaluation e LEFT JOIN interaction i ON i.id = e.interaction_id "
     "LEFT JOIN evaluator v ON v.id = e.evaluator_id LEFT JOIN rubric r ON r.id = e.rubric_id "
     "WHERE i.id IS NULL OR v.id IS NULL OR r.id IS NULL"),
    ("criteria without their rubric",
     "SELECT count(*) FROM criterion c LEFT JOIN rubric r ON r.id = c.rubric_id "
     "WHERE r.id IS NULL"),
    ("consensus cells outside their session's sample",
     "SELECT count(*) FROM consensus c LEFT JOIN session_interaction s "
     "ON s.session_id = c.session_id AND s.interaction_id = c.interaction_id "
     "WHERE s.session_id IS NULL"),
    ("submitted evaluations without answers",
     "SELECT count(*) FROM evaluation e WHERE e.status = 'submitted' AND NOT EXISTS "
     "(SELECT 1 FROM answer a WHERE a.evaluation_id = e.id)"),
]


@dataclass
class CheckReport:
    ok: bool = True
    findings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, check: str, status: str, detail: str) -> None:
        self.findings.append({"check": check, "status": status, "detail": detail})
        if status != "ok":
            self.ok = False


def _require(store: Store, actor: str, action: str) -> None:
    from .access import _require

    with store.read() as session:
        _require(session, actor, action)


def check_store(store: Store, *, actor: str) -> CheckReport:
    """Integrity check (SQLite), orphan rows, and rubric versions whose stored definition no
    longer matches their content hash. Lead only."""
    from .rubric import _hash

    _require(store, actor, "check")
    report = CheckReport()
    with store.read_connection() as conn:
        if store.dialect == "sqlite":
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
            report.add("sqlite integrity_check", "ok" if rows == ["ok"] else "error",
                       "; ".join(rows[:5]))
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            report.add("foreign keys", "ok" if not fk else "error",
                       f"{len(fk)} rows break a foreign key" if fk else "all references resolve")
        for what, sql in ORPHAN_CHECKS:
            n = conn.execute(text(sql)).scalar() or 0
            report.add(what, "ok" if n == 0 else "error", f"{n} rows")
        bad = []
        for _rid, name, version, content_hash, definition in conn.execute(
            text("SELECT id, name, version, content_hash, definition FROM rubric")
        ).all():
            try:
                if _hash(json.loads(definition)) != content_hash:
                    bad.append(f"{name}@{version}")
            except ValueError:
                bad.append(f"{name}@{version} (definition is not JSON)")
        report.add("rubric content hashes", "ok" if not bad else "error",
                   ", ".join(bad) if bad else "every version matches its hash")
        status, detail = verify_audit_chain(conn)
        report.add("audit log hash chain", status, detail)
    return report


def verify_audit_chain(conn: Any) -> tuple[str, str]:
    """Walk the audit log oldest first: each row's ``prev_hash`` must be the row before's
    ``hash`` and its ``hash`` must match its content. ("ok" | "error", what was found: the
    first row that breaks the chain, by id.) Deleting the newest rows leaves a shorter chain
    that is still whole: compare the row count and last hash with an earlier check."""
    prev: str | None = None
    n = 0
    for row in conn.execute(text(
            "SELECT id, at, actor, entity, entity_id, action, before, after, prev_hash, hash "
            "FROM audit_log ORDER BY id")):
        rid, stored_prev, stored = row[0], row[8], row[9]
        if stored_prev != prev:
            return "error", (f"audit row {rid} breaks the chain: its prev_hash does not match "
                             f"the row before it (a row was removed, inserted or changed)")
        try:
            intact = stored == audit_hash(stored_prev, *row[1:8])
        except (TypeError, ValueError):  # a time that is no time any more
            intact = False
        if not intact:
            return "error", (f"audit row {rid} breaks the chain: its content does not match "
                             f"its hash (the row was changed)")
        prev, n = stored, n + 1
    tail = f", last hash {prev[:16]}…" if prev else ""
    return "ok", f"{n} rows, each chained to the one before{tail}"


def backup_store(store: Store, target: Path, *, actor: str) -> str:
    """Copy a SQLite store with the online backup API (safe while others write). For
    PostgreSQL, say how to use pg_dump instead. Lead only."""
    _require(store, actor, "backup")
    if store.dialect != "sqlite":
        url = make_url(store.url)
        raise InputError(
            f"backup of a PostgreSQL store is pg_dump's job: pg_dump -h {url.host or 'localhost'}"
            f" -p {url.port or 5432} -U {url.username or 'postgres'} -Fc -f {target} "
            f"{url.database} ({describe_url(store.url)})"
        )
    source_path = make_url(store.url).database
    if not source_path:
        raise InputError("this store has no file to back up")
    target = _new_target(target)
    if store.key is not None:  # an encrypted store's backup is encrypted with the same key
        _export(source_path, store.key, target, store.key)
        return hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    tmp = target.with_name(f".{target.name}.partial")
    create_private(tmp)
    src = sqlite3.connect(source_path)
    dst = sqlite3.connect(tmp)
    try:
        with dst:
            src.backup(dst)
        dst.close()
        tmp.replace(target)
    finally:
        src.close()
        if tmp.exists():
            tmp.unlink()
    digest = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    return digest


def _new_target(target: Path) -> Path:
    target = Path(target)
    if target.exists():
        raise InputError(f"{target}: exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _export(source: str, source_key: str, target: Path, target_key: str) -> None:
    """Copy a SQLite store into a new file with SQLCipher's ``sqlcipher_export``, under one read
    transaction (a consistent copy while others write): ``source_key`` "" for a plain source,
    ``target_key`` "" for a plain copy. The copy is created 0600 and appears only when whole."""
    tmp = target.with_name(f".{target.name}.partial")
    create_private(tmp)
    try:
        conn = cipher_connect(source, source_key) if source_key else \
            sqlcipher().connect(source)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            quoted = str(tmp).replace("'", "''")
            conn.execute(f"ATTACH DATABASE '{quoted}' AS export KEY '"
                         + target_key.replace("'", "''") + "'")
            conn.execute("SELECT sqlcipher_export('export')").fetchall()
            conn.execute("DETACH DATABASE export")
        finally:
            conn.close()
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _sqlite_path(store: Store, what: str) -> str:
    path = make_url(store.url).database if store.dialect == "sqlite" else None
    if not path or path == ":memory:":
        raise InputError(f"{what} is for a SQLite file store; a PostgreSQL server keeps its data "
                         "encrypted at rest with the disk or volume it runs on")
    return path


def encrypt_store(store: Store, target: Path, *, key: str, actor: str) -> str:
    """Write an encrypted copy (SQLCipher) of a plain SQLite store to ``target``. Lead only.
    The plain file stays where it was: delete it once the copy is in use."""
    _require(store, actor, "store.encrypt")
    source = _sqlite_path(store, "encrypt")
    if store.key is not None:
        raise InputError("this store is encrypted already (decrypt writes a plain copy)")
    if not key:
        raise InputError("no key: give one in QA_CALIBRATE_KEY (or at the prompt)")
    _export(source, "", _new_target(target), key)
    return hashlib.sha256(Path(target).read_bytes()).hexdigest()[:16]


def decrypt_store(store: Store, target: Path, *, actor: str) -> str:
    """Write a plain copy of an encrypted SQLite store to ``target``. Lead only."""
    _require(store, actor, "store.decrypt")
    source = _sqlite_path(store, "decrypt")
    if store.key is None:
        raise InputError("this store is not encrypted: there is nothing to decrypt")
    _export(source, store.key, _new_target(target), "")
    return hashlib.sha256(Path(target).read_bytes()).hexdigest()[:16]

"""SQLite encrypted at rest (issue 12 item 2): SQLCipher through the ``encrypt`` extra. Values
planted in a store are found in none of the bytes of the encrypted file, its WAL or its backup
(and are found in a plain store's, so the search can fail); files are created 0600; a wrong
key or none is one error line; ``encrypt``/``decrypt`` convert a store."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import LEAD, seed_basics

from qa_calibrate import sessions
from qa_calibrate.cli import cli
from qa_calibrate.errors import StoreError
from qa_calibrate.maintenance import backup_store, decrypt_store, encrypt_store
from qa_calibrate.people import add_evaluator, list_evaluators
from qa_calibrate.store import SQLITE_MAGIC, open_store

pytest.importorskip("sqlcipher3")

KEY = "correct horse 'battery' staple"
PLANTED = ["Planted Person Qx7", "PLANTED-COMMENT-99f1", "C-000"]


def _plant(store) -> None:
    ids = seed_basics(store)
    add_evaluator(store, PLANTED[0], actor=LEAD)
    sessions.create_session(store, name="Open", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", PLANTED[0]], interactions=ids[:2])
    sessions.score(store, "Open", evaluator="Ann", interaction=ids[0],
                   answers={"greeting": "no"}, comments={"greeting": PLANTED[1]})


def _found(paths: list[Path]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        for value in PLANTED:
            if value.encode() in data or value.encode("utf-16-le") in data:
                hits.setdefault(path.name, []).append(value)
    return hits


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_nothing_planted_is_in_the_encrypted_file_its_wal_or_its_backup(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CALIBRATE_KEY", KEY)
    db = tmp_path / "store.db"
    store = open_store(str(db))
    try:
        assert store.encrypted
        _plant(store)
        wal = tmp_path / "store.db-wal"
        assert wal.exists() and wal.stat().st_size > 0  # still open: the WAL holds pages
        backup = tmp_path / "backup.db"
        backup_store(store, backup, actor=LEAD)
        files = [db, wal, backup]
        assert _found(files) == {}
        assert all(p.read_bytes()[:16] != SQLITE_MAGIC for p in (db, backup))
        assert _mode(db) == 0o600 and _mode(backup) == 0o600 and _mode(wal) == 0o600
    finally:
        store.close()
    reopened = open_store(str(backup))  # the backup opens with the same key, all there
    try:
        assert PLANTED[0] in {p.name for p in list_evaluators(reopened, actor=LEAD)}
    finally:
        reopened.close()


def test_the_same_search_finds_the_values_in_a_plain_store(tmp_path):
    db = tmp_path / "plain.db"
    store = open_store(str(db))
    try:
        assert not store.encrypted
        _plant(store)
        backup = tmp_path / "backup.db"
        backup_store(store, backup, actor=LEAD)
        hits = _found([db, tmp_path / "plain.db-wal", backup])
        assert set(hits.get("plain.db-wal", []) + hits.get("plain.db", [])) == set(PLANTED)
        assert set(hits["backup.db"]) == set(PLANTED)
        assert _mode(db) == 0o600 and _mode(backup) == 0o600
    finally:
        store.close()


def test_a_wrong_key_or_none_is_one_error_line(tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("QA_CALIBRATE_KEY", KEY)
    open_store(str(db)).close()
    for env, says in (({"QA_CALIBRATE_KEY": "not the key"}, "wrong key"),
                      ({"QA_CALIBRATE_KEY": None}, "is encrypted: give its key")):
        result = CliRunner().invoke(cli, ["--db", str(db), "--as", LEAD, "evaluator", "list"],
                                    env={"QA_CALIBRATE_USER": None, **env})
        assert result.exit_code == 5, result.output
        assert result.stdout == "" and "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], result.stderr
    monkeypatch.setenv("QA_CALIBRATE_KEY", "not the key")
    with pytest.raises(StoreError, match="wrong key"):
        open_store(str(db))


def test_encrypt_and_decrypt_convert_a_store(tmp_path, monkeypatch):
    plain = tmp_path / "plain.db"
    store = open_store(str(plain))
    try:
        _plant(store)
        encrypted = tmp_path / "enc.db"
        encrypt_store(store, encrypted, key=KEY, actor=LEAD)
        with pytest.raises(Exception, match="exists already"):
            encrypt_store(store, encrypted, key=KEY, actor=LEAD)
        with pytest.raises(Exception, match="not encrypted"):
            decrypt_store(store, tmp_path / "x.db", actor=LEAD)
    finally:
        store.close()
    assert _found([encrypted]) == {} and _mode(encrypted) == 0o600
    monkeypatch.setenv("QA_CALIBRATE_KEY", KEY)
    store = open_store(str(encrypted))
    try:
        assert store.encrypted
        people = {p.name for p in list_evaluators(store, actor=LEAD)}
        assert PLANTED[0] in people
        answers = sessions.list_answers(store, "Open", actor=LEAD)
        assert PLANTED[1] in json.dumps(answers, default=str)
        back = tmp_path / "back.db"
        decrypt_store(store, back, actor=LEAD)
    finally:
        store.close()
    assert back.read_bytes()[:16] == SQLITE_MAGIC and _mode(back) == 0o600
    monkeypatch.delenv("QA_CALIBRATE_KEY")
    store = open_store(str(back))
    try:
        assert not store.encrypted
        assert {p.name for p in list_evaluators(store, actor=LEAD)} == people
    finally:
        store.close()


def test_encrypt_cli_takes_the_key_from_the_environment_and_check_passes(tmp_path):
    plain = tmp_path / "plain.db"
    store = open_store(str(plain))
    _plant(store)
    store.close()
    env = {"QA_CALIBRATE_USER": None, "QA_CALIBRATE_KEY": KEY}
    result = CliRunner().invoke(cli, ["--db", str(plain), "--as", LEAD, "encrypt",
                                      str(tmp_path / "enc.db")], env=env)
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(cli, ["--db", str(tmp_path / "enc.db"), "--as", LEAD, "check",
                                     "--format", "json"], env=env)
    assert check.exit_code == 0, check.output
    assert {r["status"] for r in json.loads(check.stdout)} == {"ok"}
    nokey = CliRunner().invoke(cli, ["--db", str(plain), "--as", LEAD, "encrypt",
                                     str(tmp_path / "enc2.db")],
                               env={"QA_CALIBRATE_USER": None, "QA_CALIBRATE_KEY": None})
    assert nokey.exit_code == 2 and "no key" in nokey.stderr
    assert not (tmp_path / "enc2.db").exists()

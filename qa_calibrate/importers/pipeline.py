"""detect → parse → validate → redact → write, one transaction a file."""

from __future__ import annotations

import csv
import json
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, Connection, String, bindparam, func, select

from .. import models as m
from ..errors import InputError
from ..redact import Redactor, default_redactor, scrub
from ..store import Store, _audit
from . import contact_lens, reading
from .canonical import bounded, parse_json, parse_jsonl
from .csv_import import open_csv, parse_interaction_rows, parse_turn_rows
from .records import InteractionRecord, Item, RecordError

SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")
LOOKUP_CHUNK = 1_000  # keys in one lookup query (one IN clause)
WRITE_BATCH = 1_000  # interactions per insert round (their turns go in the same round)
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What one file's import did."""

    path: str
    shape: str
    interactions_added: int = 0
    interactions_already_stored: int = 0
    turns_added: int = 0
    rejected: int = 0
    redactions: dict[str, int] = field(default_factory=dict)
    rejects_file: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # parse, redact, write (seconds)


@dataclass
class _Parsed:
    shape: str
    records: list[InteractionRecord]
    rejects: list[tuple[str, str, Any]]  # (where, error, raw)
    csv_header: list[str] | None = None
    csv_delimiter: str = ","


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files to import: files as given; directories walked for *.csv, *.json, *.jsonl."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                x for x in p.rglob("*")
                if x.is_file() and x.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in x.relative_to(p).parts)
            )
            if not found:
                raise InputError(f"{p}: no .csv, .json or .jsonl files in this directory")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    return out


def _message(err: RecordError) -> str:
    return f"field {err.field!r}: {err}" if err.field else str(err)


def _items(path: Path, shape: str, encoding: str, *, source: str | None,
           now: datetime) -> tuple[str, Iterator[Item], list[str] | None, str]:
    default_source = source or "default"
    cl_source = source or contact_lens.SOURCE
    if shape == "json":
        shape, items = parse_json(path, reading.read_text(path), default_source=default_source,
                                  contact_lens_source=cl_source, now=now)
        return shape, items, None, ","
    lines = reading.lines(path, encoding)
    if shape == "jsonl":
        return shape, parse_jsonl(path, lines, default_source=default_source,
                                  contact_lens_source=cl_source, now=now), None, ","
    table = open_csv(path, lines)
    parse = parse_turn_rows if table.shape == "csv-turns" else parse_interaction_rows
    return (table.shape, parse(table, default_source=default_source, now=now), table.header,
            table.delimiter)


def parse_file(path: Path, *, source: str | None = None, on_error: str = "fail",
               now: datetime | None = None) -> _Parsed:
    """Read and check a whole file. Bad records raise InputError, or with ``on_error='skip'``
    are collected as rejects."""
    now = now or datetime.now(timezone.utc)
    shape = reading.detect(path)
    for encoding in reading.ENCODINGS:
        try:
            return _collect(path, *_items(path, shape, encoding, source=source, now=now),
                            on_error=on_error)
        except reading.NotThisEncoding:
            continue  # read the whole file again as cp1252
    raise AssertionError("unreachable: cp1252 reading raises InputError itself")


def _collect(path: Path, shape: str, items: Iterator[Item], header: list[str] | None,
             delimiter: str, *, on_error: str) -> _Parsed:
    parsed = _Parsed(shape=shape, records=[], rejects=[], csv_header=header,
                     csv_delimiter=delimiter)
    seen: dict[tuple[str, str], tuple[str, InteractionRecord]] = {}
    for where, result, raw in items:
        if isinstance(result, RecordError):
            if on_error == "fail":
                raise InputError(f"{path}: {where}: {_message(result)}")
            parsed.rejects.append((where, _message(result), raw))
            continue
        key = (result.source, result.external_id)
        first = seen.get(key)
        if first is None:
            seen[key] = (where, result)
            parsed.records.append(result)
            continue
        if first[1].content_key() == result.content_key():
            continue  # the same interaction twice: once is enough
        error = (f"field 'external_id': {result.external_id!r} appears again with different "
                 f"content (first at {first[0].split(' (')[0]})")
        if on_error == "fail":
            raise InputError(f"{path}: {where}: {error}")
        parsed.rejects.append((where, error, raw if raw is not None else result.canonical()))
    return parsed


METADATA_FIELDS = ("external_id", "agent", "team", "site", "queue", "language")


def redact_records(records: list[InteractionRecord], redactor: Redactor) -> Counter[str]:
    """Redact every turn's text and the interaction fields in place; the counts of what was
    replaced. Agent and team names are not redacted as names (the name pass runs on turn text
    only), but an e-mail or number planted in one is."""
    plain = Redactor(extra=redactor.extra)  # the fields: the patterns without names/addresses
    fields = [getattr(r, name) or "" for r in records for name in METADATA_FIELDS]
    field_changes, counts = plain.redact_many(fields)
    width = len(METADATA_FIELDS)
    for k, text in field_changes.items():
        setattr(records[k // width], METADATA_FIELDS[k % width], text)
    texts = [t[3] for r in records for t in r.turns]
    changed, turn_counts = redactor.redact_many(texts)
    counts += turn_counts
    if changed:
        starts = list(accumulate((len(r.turns) for r in records), initial=0))
        for k, text in changed.items():
            i = bisect_right(starts, k) - 1
            j = k - starts[i]
            seq, speaker, offset, _old = records[i].turns[j]
            records[i].turns[j] = (seq, speaker, offset, text)
    return counts


def _lookup_ids(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Store ids of the (source, external_id) pairs already stored, <= LOOKUP_CHUNK per query."""
    table = m.Interaction.__table__  # type: ignore[attr-defined]
    by_source: dict[str, list[str]] = {}
    for source, ext in keys:
        by_source.setdefault(source, []).append(ext)
    found: dict[tuple[str, str], int] = {}
    postgres = conn.dialect.name == "postgresql"
    for source, exts in by_source.items():
        for lo in range(0, len(exts), LOOKUP_CHUNK):
            chunk = exts[lo:lo + LOOKUP_CHUNK]
            query = select(table.c.id, table.c.external_id).where(table.c.source == source)
            if postgres:
                # Join the keys as an array: within the import transaction the planner still
                # sees the table as small and would filter every row through a 1,000-item
                # list; a join probes the (source, external_id) index once per key.
                wanted = func.unnest(bindparam("ids", chunk, type_=ARRAY(String))) \
                    .table_valued("ext").render_derived()
                query = query.join(wanted, table.c.external_id == wanted.c.ext)
            else:
                query = query.where(table.c.external_id.in_(chunk))
            found.update({(source, ext): iid for iid, ext in conn.execute(query)})
    return found


INTERACTION_COLUMNS = ("source", "external_id", "channel", "agent", "team", "site", "queue",
                       "started_at", "handle_time_seconds", "csat", "language", "redacted",
                       "imported_at")
TURN_COLUMNS = ("interaction_id", "seq", "speaker", "offset_seconds", "text")


def _insert_sql(conn: Connection, table: Any, columns: Sequence[str]) -> str:
    """A plain positional INSERT for the driver's executemany, quoted for the dialect."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})")


def _bind(conn: Connection, column: Any) -> Callable[[Any], Any]:
    """SQLAlchemy's own conversion of a Python value for this column on this dialect (e.g.
    aware datetime → UTC text on SQLite), so rows sent to the driver match a Core insert."""
    process = column.type.bind_processor(conn.dialect)
    if process is None:
        return lambda value: value
    return lambda value: None if value is None else process(value)


def _copy_turns(conn: Connection, table: Any, rows: list[tuple[Any, ...]]) -> bool:
    """COPY the turn rows on PostgreSQL with psycopg (several times faster than executemany
    there); False when the connection cannot, so the caller uses executemany."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"COPY {quote(table.name)} ({', '.join(quote(c) for c in TURN_COLUMNS)}) "
           "FROM STDIN")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    return True


def write_records(store: Store, records: list[InteractionRecord], result: ImportResult, *,
                  redacted: bool, actor: str, path: Path, progress: Progress | None) -> None:
    """Insert the records not stored yet, with their turns, and one audit row — one transaction.

    Bulk inserts, never one ORM object a row: rows go to the driver's ``executemany`` on the
    session's connection (turns by COPY on PostgreSQL), converted by SQLAlchemy's own bind
    processors for the dialect. That is about twice as fast as ``session.execute(insert(table),
    dicts)``, whose per-row parameter processing costs more than SQLite's insert itself
    (bench/scale.py measures both). The ids of the new interactions come back with one query
    per chunk of keys."""
    table = m.Interaction.__table__  # type: ignore[attr-defined]
    turn_table = m.Turn.__table__  # type: ignore[attr-defined]
    from ..access import _require

    with store.session() as session:
        actor = _require(session, actor, "import.transcripts").name
        conn = session.connection()
        stored = _lookup_ids(conn, [(r.source, r.external_id) for r in records])
        new = [r for r in records if (r.source, r.external_id) not in stored]
        result.interactions_already_stored = len(records) - len(new)
        interaction_sql = _insert_sql(conn, table, INTERACTION_COLUMNS)
        turn_sql = _insert_sql(conn, turn_table, TURN_COLUMNS)
        started = _bind(conn, table.c.started_at)
        flag = _bind(conn, table.c.redacted)(redacted)
        now = _bind(conn, table.c.imported_at)(datetime.now(timezone.utc))
        total = len(new)
        if progress is not None:
            progress(0, total)
        for lo in range(0, total, WRITE_BATCH):
            part = new[lo:lo + WRITE_BATCH]
            conn.exec_driver_sql(interaction_sql, [  # type: ignore[arg-type]
                (r.source, r.external_id, r.channel, r.agent, r.team, r.site, r.queue,
                 started(r.started_at), r.handle_time_seconds, r.csat, r.language, flag, now)
                for r in part])
            ids = _lookup_ids(conn, [(r.source, r.external_id) for r in part])
            rows = [(iid, *t) for r in part
                    for iid in (ids[(r.source, r.external_id)],) for t in r.turns]
            if rows and not _copy_turns(conn, turn_table, rows):
                conn.exec_driver_sql(turn_sql, rows)  # type: ignore[arg-type]
            result.turns_added += len(rows)
            result.interactions_added += len(part)
            if progress is not None:
                progress(lo + len(part), total)
        _audit(session, actor=actor, entity="import", entity_id=scrub(str(path)),
              action="import_transcripts",
              after={"shape": result.shape, "added": result.interactions_added,
                     "already_stored": result.interactions_already_stored,
                     "turns": result.turns_added, "rejected": result.rejected,
                     "redacted": redacted, "redactions": result.redactions})


def _one_record_per_key(path: Path, parsed: _Parsed, on_error: str) -> None:
    """Two records whose external ids differed only in PII are one key once redacted: the
    second is refused like any id that appears again with different content."""
    seen: dict[tuple[str, str], InteractionRecord] = {}
    kept: list[InteractionRecord] = []
    for record in parsed.records:
        key = (record.source, record.external_id)
        first = seen.setdefault(key, record)
        if first is record:
            kept.append(record)
            continue
        if first.content_key() == record.content_key():
            continue
        error = (f"field 'external_id': {record.external_id!r} (after PII redaction) appears "
                 "again with different content")
        if on_error == "fail":
            raise InputError(f"{path}: {error}")
        parsed.rejects.append((f"external_id {record.external_id!r}", error,
                               record.canonical()))
    parsed.records = kept


def _redacted_value(value: Any, redactor: Redactor | None) -> Any:
    """A rejected record's values, each text through the redactor."""
    if redactor is None:
        return value
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {redactor.text(str(k)): _redacted_value(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted_value(v, redactor) for v in value]
    return value


def write_rejects(path: Path, parsed: _Parsed, redactor: Redactor | None = None) -> Path:
    """``<file>.rejects`` next to the input: CSV rows with an ``error`` column (same delimiter),
    or JSONL objects with an ``error`` key. With a redactor, every value and error is redacted
    as the stored text would be."""
    out = path.with_name(path.name + ".rejects")
    clean = (lambda v: _redacted_value(v, redactor))  # noqa: E731
    if parsed.csv_header is not None:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter=parsed.csv_delimiter)
            writer.writerow([*parsed.csv_header, "error"])
            for where, error, rows in parsed.rejects:
                for values in rows if isinstance(rows, list) and all(
                        isinstance(v, list) for v in rows) else [[json.dumps(
                            rows, ensure_ascii=False, default=str)]]:
                    writer.writerow([*clean(values), clean(f"{where}: {error}")])
    else:
        with out.open("w", encoding="utf-8") as fh:
            for where, error, raw in parsed.rejects:
                raw = bounded(raw)
                record = raw if isinstance(raw, dict) else {"record": raw}
                fh.write(json.dumps({**clean(record), "error": clean(f"{where}: {error}")},
                                    ensure_ascii=False, default=str) + "\n")
    return out


def import_file(store: Store, path: Path, *, actor: str, source: str | None = None,
                redactor: Redactor | None = None, on_error: str = "fail",
                progress: Progress | None = None) -> ImportResult:
    """Import one file (``redactor=None`` stores the text as it is). A lead, or anyone while the
    store has no lead."""
    from ..access import check

    check(store, actor, "import.transcripts")
    t0 = time.perf_counter()
    parsed = parse_file(path, source=source, on_error=on_error)
    t1 = time.perf_counter()
    result = ImportResult(path=str(path), shape=parsed.shape, rejected=len(parsed.rejects))
    if redactor is not None:
        result.redactions = dict(sorted(redact_records(parsed.records, redactor).items()))
        _one_record_per_key(path, parsed, on_error)
        result.rejected = len(parsed.rejects)
    t2 = time.perf_counter()
    write_records(store, parsed.records, result, redacted=redactor is not None, actor=actor,
                  path=path, progress=progress)
    t3 = time.perf_counter()
    if parsed.rejects:
        result.rejects_file = str(write_rejects(path, parsed, redactor))
    result.timings = {"parse": t1 - t0, "redact": t2 - t1, "write": t3 - t2}
    return result


def import_transcripts(
    store: Store,
    paths: Sequence[Path],
    *,
    actor: str,
    source: str | None = None,
    redact: bool = True,
    redact_patterns: Path | None = None,
    redactor: Redactor | None = None,
    on_error: str = "fail",
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import transcript files and directories; one result per file, each file its own
    transaction (a bad file raises InputError and stores nothing; files before it stay)."""
    from ..access import check

    if on_error not in ("fail", "skip"):
        raise InputError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    check(store, actor, "import.transcripts")
    files = expand(paths)
    if redact and redactor is None:
        redactor = default_redactor(redact_patterns)
    return [import_file(store, path, actor=actor, source=source,
                        redactor=redactor if redact else None, on_error=on_error,
                        progress=progress) for path in files]

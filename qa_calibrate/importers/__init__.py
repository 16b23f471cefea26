"""Transcript import: detect the shape, parse, validate, redact, write — one transaction a file.

Canonical schema (what every shape is mapped onto):

Interaction: ``external_id`` (required; unique within its ``source``), ``source`` (default: the
``--source`` option, else ``default``), ``channel`` (required: chat | voice | email; also
webchat, messaging, sms, phone, call, mail), ``agent``, ``team``, ``site``, ``queue``,
``started_at`` (ISO 8601; no zone means UTC; not in the future), ``handle_time_seconds`` (whole
number ≥ 0), ``csat`` (number 0–100, e.g. 1–5), ``language``.

Turn: ``speaker`` (agent | customer | system; also advisor/rep, caller/client/user,
bot/ivr), ``text`` (not empty, at most 100,000 characters), ``seq`` (optional order; file order
otherwise), ``offset_seconds`` (seconds from the start) or ``timestamp`` (ISO 8601, turned into
an offset from ``started_at``).

Shapes, detected from the content:
1. JSON — one interaction object, a list of them, or ``{"interactions": [...]}``, each with
   ``"turns": [{speaker, text, ...}]``;
2. JSONL — one interaction object per line;
3. CSV, one row per turn — the interaction columns (repeated on each row; a conflicting value is
   an error) plus ``speaker`` and ``text``; rows of one interaction need not be adjacent;
4. CSV, one row per interaction — the interaction columns plus ``transcript``, whose lines read
   ``[mm:ss] Speaker: text`` (the time is optional);
5. Amazon Connect Contact Lens analysis output (see ``contact_lens``), alone or in a list.

Files are UTF-8 (with or without BOM) or cp1252. Each file is one transaction: it is read and
checked whole, then written; an interaction already stored under the same source and external
id is skipped, so importing a file twice adds nothing. A bad record stops the file with one error
line naming the file, row or line and field, and nothing of the file is stored; with
``on_error='skip'`` bad records are left out and written to ``<file>.rejects`` instead. PII is
redacted before anything is stored (see ``qa_calibrate.redact``).
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, tuple_

from .. import models as m
from ..errors import InputError
from ..redact import Redactor, default_redactor
from ..store import Store, audit
from .records import InteractionRecord, RecordError, fail

SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson", ".txt")


@dataclass
class ImportResult:
    path: str
    shape: str
    interactions_added: int = 0
    interactions_already_stored: int = 0
    turns_added: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    redactions: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def decode(raw: bytes, path: str) -> str:
    """UTF-8 (BOM or not), else cp1252; NUL bytes mean a binary file."""
    if b"\x00" in raw:
        raise InputError(f"{path}: line 1: file contains NUL bytes (binary, or UTF-16?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(f"{path}: line {line}: neither UTF-8 nor cp1252 text") from None


def detect(text: str, suffix: str = "") -> str:
    """json, jsonl or csv, from the content (and the .jsonl/.ndjson extension)."""
    head = text.lstrip()[:1]
    if head == "{" and suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    if head in ("{", "["):
        first_line = text.lstrip().split("\n", 1)[0].strip()
        if head == "{" and first_line.endswith("}") and "\n" in text.strip():
            try:
                json.loads(first_line)
                return "jsonl"
            except json.JSONDecodeError:
                pass
        return "json"
    return "csv"


def expand(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.is_file() and x.suffix.lower() in
                          (".csv", ".json", ".jsonl", ".ndjson")
                          and not x.name.endswith(".rejects"))
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    return out


def parse_file(path: Path, text: str, *, default_source: str, now: datetime) -> tuple[
        str, list[str] | None, Iterator[tuple[str, Any, Any]]]:
    from .canonical import parse_json, parse_jsonl
    from .csv_import import parse_csv

    kind = detect(text, path.suffix)
    name = str(path)
    if kind == "json":
        return "json", None, parse_json(text, name, default_source=default_source, now=now)
    if kind == "jsonl":
        return "jsonl", None, parse_jsonl(text, name, default_source=default_source, now=now)
    shape, header, items = parse_csv(text, name, default_source=default_source, now=now)
    return shape, header, items


def import_transcripts(
    store: Store,
    paths: Sequence[Path],
    *,
    actor: str,
    source: str | None = None,
    redact: bool = True,
    redactor: Redactor | None = None,
    on_error: str = "fail",
    progress: Callable[[int, int], None] | None = None,
) -> list[ImportResult]:
    """Import transcript files (see the module docstring); one result per file."""
    if on_error not in ("fail", "skip"):
        raise InputError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    files = expand(paths)
    if redact and redactor is None:
        redactor = default_redactor()
    results = []
    for path in files:
        results.append(_import_file(store, path, actor=actor, source=source or "default",
                                    redactor=redactor if redact else None, on_error=on_error,
                                    progress=progress))
    return results


def _import_file(store: Store, path: Path, *, actor: str, source: str,
                 redactor: Redactor | None, on_error: str,
                 progress: Callable[[int, int], None] | None) -> ImportResult:
    t0 = time.perf_counter()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    text = decode(raw, str(path))
    now = datetime.now(timezone.utc)
    shape, header, items = parse_file(path, text, default_source=source, now=now)
    good: list[InteractionRecord] = []
    rejects: list[tuple[str, Any, str]] = []
    seen: dict[tuple[str, str], tuple[str, InteractionRecord]] = {}
    for where, raw_item, result in items:
        error: str | None = None
        if isinstance(result, RecordError):
            error = f"field {result.field!r}: {result}"
            if on_error == "fail":
                raise fail(f"{path}: {where}", result)
        else:
            key = (result.source, result.external_id)
            if key in seen:
                first_where, first = seen[key]
                if first.content_key() == result.content_key():
                    continue  # the same interaction twice: once is enough
                error = (f"field 'external_id': {result.external_id!r} appears again with "
                         f"different content (first at {first_where})")
                if on_error == "fail":
                    raise InputError(f"{path}: {where}: {error}")
            else:
                seen[key] = (where, result)
                good.append(result)
        if error is not None:
            rejects.append((where, raw_item, error))
    parsed = time.perf_counter()
    result_obj = ImportResult(path=str(path), shape=shape, rejected=len(rejects))
    counts: Counter[str] = Counter()
    if redactor is not None:
        for rec in good:
            for turn in rec.turns:
                turn.text, found = redactor.redact(turn.text)
                counts.update(found)
    redacted = time.perf_counter()
    _write(store, good, result_obj, redacted=redactor is not None, actor=actor, path=path,
           progress=progress)
    written = time.perf_counter()
    result_obj.redactions = dict(counts)
    result_obj.timings = {"parse": parsed - t0, "redact": redacted - parsed,
                          "write": written - redacted}
    if rejects:
        result_obj.rejects_file = str(_write_rejects(path, shape, header, rejects))
    return result_obj


def _write(store: Store, records: list[InteractionRecord], result: ImportResult, *,
           redacted: bool, actor: str, path: Path,
           progress: Callable[[int, int], None] | None) -> None:
    """Bulk insert with SQLAlchemy Core, in one transaction."""
    it = m.Interaction.__table__
    tt = m.Turn.__table__
    now = datetime.now(timezone.utc)
    with store.session() as session:
        existing: set[tuple[str, str]] = set()
        keys = [(r.source, r.external_id) for r in records]
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = session.execute(select(it.c.source, it.c.external_id).where(
                tuple_(it.c.source, it.c.external_id).in_(chunk))).all()
            existing.update((r[0], r[1]) for r in rows)
        new = [r for r in records if (r.source, r.external_id) not in existing]
        result.interactions_already_stored = len(records) - len(new)
        batch = 2000
        total = len(new)
        for start in range(0, total, batch):
            part = new[start:start + batch]
            inserted = session.execute(
                insert(it).returning(it.c.id, it.c.source, it.c.external_id),
                [{"source": r.source, "external_id": r.external_id, "channel": r.channel,
                  "agent": r.agent, "team": r.team, "site": r.site, "queue": r.queue,
                  "started_at": r.started_at, "handle_time_seconds": r.handle_time_seconds,
                  "csat": r.csat, "language": r.language, "redacted": redacted,
                  "imported_at": now} for r in part],
            ).all()
            ids = {(row[1], row[2]): row[0] for row in inserted}
            turns = [{"interaction_id": ids[(r.source, r.external_id)], "seq": t.seq,
                      "speaker": t.speaker, "offset_seconds": t.offset_seconds, "text": t.text}
                     for r in part for t in r.turns]
            if turns:
                session.execute(insert(tt), turns)
            result.turns_added += len(turns)
            if progress is not None:
                progress(min(start + batch, total), total)
        result.interactions_added = len(new)
        audit(session, actor=actor, entity="import", entity_id=str(path),
              action="import_transcripts",
              after={"shape": result.shape, "added": result.interactions_added,
                     "already_stored": result.interactions_already_stored,
                     "turns": result.turns_added, "rejected": result.rejected,
                     "redacted": redacted})


def _write_rejects(path: Path, shape: str, header: list[str] | None,
                   rejects: list[tuple[str, Any, str]]) -> Path:
    out = path.with_name(path.name + ".rejects")
    if shape.startswith("csv") and header is not None:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([*header, "error"])
            for where, rows, error in rejects:
                for values in rows:
                    writer.writerow([*values, f"{where}: {error}"])
    else:
        with out.open("w", encoding="utf-8") as fh:
            for where, raw, error in rejects:
                record = raw if isinstance(raw, dict) else {"raw": raw}
                fh.write(json.dumps({**record, "error": f"{where}: {error}"},
                                    ensure_ascii=False, default=str) + "\n")
    return out

"""CSV transcripts: one row per turn (``speaker`` and ``text`` columns) or one row per
interaction (a ``transcript`` column of ``[mm:ss] Speaker: text`` lines). Comma, semicolon or
tab separated, found by sniffing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..errors import InputError
from .records import MAX_TEXT, RecordError, TurnRecord, build_record, number_field, \
    speaker_field, turn_text, when_field

Item = tuple[str, Any, Any]
INTERACTION_FIELDS = ("external_id", "source", "channel", "agent", "team", "site", "queue",
                      "started_at", "handle_time_seconds", "csat", "language")
LINE = re.compile(r"^\s*(?:\[(?:(\d+):)?(\d{1,2}):(\d{2})\]\s*)?([A-Za-z][\w ]{0,30}?)\s*:\s*(.*)$")

csv.field_size_limit(MAX_TEXT * 4)


def _reader(text: str, path: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise InputError(f"{path}: row 1: not readable as CSV ({exc})") from None
    if not header or not any(header):
        raise InputError(f"{path}: row 1: no header row")

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"{path}: row {reader.line_num}: not readable as CSV "
                                 f"({exc})") from None
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, values

    return header, rows()


def shape_of(header: list[str]) -> str | None:
    if "speaker" in header and "text" in header:
        return "csv-turns"
    if "transcript" in header:
        return "csv-interactions"
    return None


def _record(header: list[str], values: list[str], path: str, line: int) -> dict[str, str]:
    if len(values) != len(header):
        raise InputError(f"{path}: row {line}: {len(values)} fields but the header has "
                         f"{len(header)} (wrong delimiter or an unquoted separator?)")
    return dict(zip(header, values, strict=True))


def parse_csv(text: str, path: str, *, default_source: str, now: datetime) -> tuple[
        str, list[str], Iterator[Item]]:
    """(shape, header, items); an item's raw value is its list of rows (for the rejects)."""
    header, rows = _reader(text, path)
    shape = shape_of(header)
    if shape is None:
        raise InputError(f"{path}: row 1: field 'speaker'/'text' or 'transcript': missing column "
                         f"(found: {', '.join(h for h in header if h) or 'nothing'})")
    missing = [c for c in ("external_id", "channel") if c not in header]
    if missing:
        raise InputError(f"{path}: row 1: field {missing[0]!r}: missing column")
    if shape == "csv-turns":
        return shape, header, _turn_rows(header, rows, path, default_source, now)
    return shape, header, _interaction_rows(header, rows, path, default_source, now)


def _turn_rows(header: list[str], rows: Iterator[tuple[int, list[str]]], path: str,
               default_source: str, now: datetime) -> Iterator[Item]:
    groups: dict[tuple[str, str], list[tuple[int, list[str], dict[str, str]]]] = {}
    for line, values in rows:
        rec = _record(header, values, path, line)
        key = ((rec.get("source") or "").strip(), (rec.get("external_id") or "").strip())
        groups.setdefault(key, []).append((line, values, rec))
    for (_source, ext), group in groups.items():
        first_line = group[0][0]
        where = f"row {first_line}" + (f" (external_id {ext!r})" if ext else "")
        raw = [values for _l, values, _r in group]
        try:
            fields: dict[str, str] = {}
            for line, _values, rec in group:
                for name in INTERACTION_FIELDS:
                    value = (rec.get(name) or "").strip()
                    if not value:
                        continue
                    if name in fields and fields[name] != value:
                        raise RecordError(name, f"row {line} says {value!r} but row "
                                          f"{first_line} says {fields[name]!r}")
                    fields.setdefault(name, value)
            started = when_field(fields.get("started_at"), "started_at", now=now)
            turns = []
            for n, (line, _values, rec) in enumerate(group):
                try:
                    offset = number_field(rec.get("offset_seconds"), "offset_seconds")
                    if offset is None and rec.get("timestamp"):
                        stamp = when_field(rec.get("timestamp"), "timestamp", now=now)
                        if stamp is not None and started is not None:
                            offset = max(0.0, (stamp - started).total_seconds())
                    seq = number_field(rec.get("seq"), "seq", integer=True)
                    turns.append(TurnRecord(seq=int(seq) if seq is not None else n,
                                            speaker=speaker_field(rec.get("speaker")),
                                            offset_seconds=offset,
                                            text=turn_text(rec.get("text"))))
                except RecordError as err:
                    if line == first_line:
                        raise
                    raise RecordError(err.field, f"{err} (row {line})") from None
            turns.sort(key=lambda t: t.seq)
            if len({t.seq for t in turns}) != len(turns):
                raise RecordError("seq", "two turns of this interaction have the same seq")
            turns = [TurnRecord(n, t.speaker, t.offset_seconds, t.text)
                     for n, t in enumerate(turns)]
            yield where, raw, build_record(fields, turns, default_source=default_source, now=now)
        except RecordError as err:
            yield where, raw, err


def split_transcript(text: str) -> list[TurnRecord]:
    """``[mm:ss] Speaker: text`` lines → turns; a line without a speaker continues the turn."""
    turns: list[TurnRecord] = []
    for raw_line in text.splitlines():
        if not raw_line.strip():
            continue
        m = LINE.match(raw_line)
        speaker = None
        if m:
            try:
                speaker = speaker_field(m.group(4))
            except RecordError:
                speaker = None
        if speaker is None:
            if not turns:
                raise RecordError("transcript", f"line {raw_line.strip()[:40]!r} has no "
                                  "'Speaker:' prefix")
            last = turns[-1]
            turns[-1] = TurnRecord(last.seq, last.speaker, last.offset_seconds,
                                   f"{last.text}\n{raw_line.strip()}")
            continue
        assert m is not None
        offset = None
        if m.group(3) is not None:
            offset = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        turns.append(TurnRecord(len(turns), speaker, float(offset) if offset is not None
                                else None, turn_text(m.group(5))))
    return turns


def _interaction_rows(header: list[str], rows: Iterator[tuple[int, list[str]]], path: str,
                      default_source: str, now: datetime) -> Iterator[Item]:
    for line, values in rows:
        rec = _record(header, values, path, line)
        ext = (rec.get("external_id") or "").strip()
        where = f"row {line}" + (f" (external_id {ext!r})" if ext else "")
        try:
            turns = split_transcript(rec.get("transcript") or "")
            yield where, [values], build_record(rec, turns, default_source=default_source,
                                                now=now)
        except RecordError as err:
            yield where, [values], err

"""The canonical JSON and JSONL shapes (one interaction object, a list, or
``{"interactions": [...]}``; JSONL one object per line), and Contact Lens documents met inside
them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..errors import InputError
from . import contact_lens
from .records import RecordError, TurnRecord, build_record, number_field, speaker_field, \
    turn_text, when_field

Item = tuple[str, Any, Any]  # (where, raw for the rejects file, record or RecordError)


def parse_turns(raw: Any, started_at: datetime | None, now: datetime) -> list[TurnRecord]:
    if not isinstance(raw, list):
        raise RecordError("turns", "expected a list of turns")
    turns = []
    for n, t in enumerate(raw):
        if not isinstance(t, dict):
            raise RecordError("turns", f"turn {n + 1} is not an object")
        try:
            speaker = speaker_field(t.get("speaker"))
            text = turn_text(t.get("text"))
            offset = number_field(t.get("offset_seconds"), "offset_seconds")
            if offset is None and t.get("timestamp"):
                stamp = when_field(t.get("timestamp"), "timestamp", now=now)
                if stamp is not None and started_at is not None:
                    offset = max(0.0, (stamp - started_at).total_seconds())
            seq = number_field(t.get("seq"), "seq", integer=True)
        except RecordError as err:
            raise RecordError(f"turns[{n + 1}].{err.field}", str(err)) from None
        turns.append(TurnRecord(seq=int(seq) if seq is not None else n, speaker=speaker,
                                offset_seconds=offset, text=text))
    turns.sort(key=lambda t: t.seq)
    if len({t.seq for t in turns}) != len(turns):
        raise RecordError("turns", "two turns have the same seq")
    return [TurnRecord(seq=n, speaker=t.speaker, offset_seconds=t.offset_seconds, text=t.text)
            for n, t in enumerate(turns)]


def record_from_object(obj: Any, *, default_source: str, now: datetime, name: str) -> Any:
    """A canonical object or a Contact Lens document → record (or RecordError)."""
    if not isinstance(obj, dict):
        return RecordError("interaction", "expected an object")
    try:
        if contact_lens.looks_like(obj):
            return contact_lens.to_record(obj, name=name, now=now)
        started = when_field(obj.get("started_at"), "started_at", now=now)
        turns = parse_turns(obj.get("turns"), started, now)
        return build_record(obj, turns, default_source=default_source, now=now)
    except RecordError as err:
        return err


def parse_json(text: str, path: str, *, default_source: str, now: datetime) -> Iterator[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and "interactions" in data and not contact_lens.looks_like(data):
        data = data["interactions"]
    items = data if isinstance(data, list) else [data]
    name = path.rsplit("/", 1)[-1]
    for n, obj in enumerate(items, start=1):
        ident = obj.get("external_id") if isinstance(obj, dict) else None
        where = f"item {n}" + (f" (external_id {ident!r})" if ident else "")
        yield where, obj, record_from_object(obj, default_source=default_source, now=now,
                                             name=name)


def parse_jsonl(text: str, path: str, *, default_source: str, now: datetime) -> Iterator[Item]:
    name = path.rsplit("/", 1)[-1]
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {lineno}", line, RecordError("json", f"not valid JSON ({exc.msg})")
            continue
        yield f"line {lineno}", obj, record_from_object(obj, default_source=default_source,
                                                        now=now, name=name)

"""The canonical JSON shapes: one interaction object, a list of them, or
``{"interactions": [...]}`` (JSON), or one object per line (JSONL). A Contact Lens document met
in either is handed to :mod:`.contact_lens`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import contact_lens
from .records import (
    MAX_OFFSET,
    MAX_SEQ,
    MAX_TEXT,
    SPEAKER_FAST,
    InteractionRecord,
    Item,
    RecordError,
    build_record,
    make_turn,
    order_turns,
    when_field,
)

_NUMBER = (int, float)
MAX_DEPTH = 16  # levels of a refused object kept in a rejects file (Contact Lens needs 5)
SURROGATES = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a JSON escape that may spell a lone surrogate



def _label(prefix: str, obj: Any) -> str:
    ident = obj.get("external_id") if isinstance(obj, dict) else None
    if ident is None and isinstance(obj, dict) and contact_lens.looks_like(obj):
        meta = obj.get("CustomerMetadata")
        ident = meta.get("ContactId") if isinstance(meta, dict) else None
    if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident).strip():
        return f"{prefix} (external_id {str(ident).strip()[:40]!r})"
    return prefix


def _lone_surrogate(value: Any, where: str = "") -> str | None:
    """The field (``turns[2].text``) of the first text holding a lone surrogate (``\\ud800``
    in JSON: no character, and not storable as UTF-8), or None."""
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if SURROGATES.search(item):
                return path or "value"
        elif isinstance(item, dict):
            for key, child in item.items():
                if SURROGATES.search(key):
                    return f"{path}.<key>" if path else "<key>"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{n + 1}]", child) for n, child in enumerate(item))
    return None


def _parse(text: str) -> Any:
    """json.loads, with what it raises besides JSONDecodeError turned into one: nesting deeper
    than the interpreter can follow, an integer of more than 4,300 digits."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError("a number too large", text, 0) from None


def bounded(value: Any, depth: int = MAX_DEPTH) -> Any:
    """``value`` with whatever is nested deeper than ``depth`` levels replaced by "…": what a
    rejects file keeps of a refused object (validation reads only the known fields, each a
    scalar, so deeper nesting is refused there or ignored)."""
    if isinstance(value, dict):
        return {k: bounded(v, depth - 1) for k, v in value.items()} if depth > 0 else "…"
    if isinstance(value, list):
        return [bounded(v, depth - 1) for v in value] if depth > 0 else "…"
    return value


def record_from_object(obj: Any, *, default_source: str, contact_lens_source: str,
                       now: datetime, name: str, has_escapes: bool = True) -> InteractionRecord:
    """A canonical object (or a Contact Lens document) → a validated record. ``has_escapes``:
    the source text held a ``\\u`` escape, so a text may hold a lone surrogate."""
    if not isinstance(obj, dict):
        raise RecordError("interaction", f"expected an object, got {type(obj).__name__}")
    if has_escapes:
        bad = _lone_surrogate(obj)
        if bad is not None:
            raise RecordError(bad, "a lone surrogate (\\ud800-\\udfff): not a character")
    if contact_lens.looks_like(obj):
        return contact_lens.to_record(obj, source=contact_lens_source, now=now, name=name)
    started = when_field(obj.get("started_at"), "started_at", now=now)
    raw_turns = obj.get("turns")
    if not isinstance(raw_turns, list):
        raise RecordError("turns", "missing" if raw_turns is None else "expected a list")
    turns: list[tuple[int | None, str, float | None, str]] = []
    append = turns.append
    for n, t in enumerate(raw_turns):
        if type(t) is not dict:
            raise RecordError(f"turns[{n + 1}]", "expected an object")
        get = t.get
        # Fast path, the same checks as make_turn for the usual clean turn (millions of them).
        speaker, text, offset, seq = get("speaker"), get("text"), get("offset_seconds"), \
            get("seq")
        role = SPEAKER_FAST.get(speaker) if type(speaker) is str else None
        if (role is not None and type(text) is str and text and len(text) <= MAX_TEXT
                and not text[0].isspace() and not text[-1].isspace() and "\x00" not in text
                and (type(offset) in _NUMBER
                     and 0 <= offset <= MAX_OFFSET  # type: ignore[operator]
                     or offset is None and get("timestamp") is None)
                and (seq is None or type(seq) is int and 0 <= seq <= MAX_SEQ)):
            append((seq, role, offset if offset is None else float(offset), text))
            continue
        try:
            turns.append(make_turn(n, get("speaker"), get("text"), get("offset_seconds"),
                                   get("timestamp"), get("seq"), started, now))
        except RecordError as err:
            raise err.within(f"turns[{n + 1}]") from None
    return build_record(obj, order_turns(turns), default_source=default_source, now=now,
                        started_at=started)


def parse_json(path: Path, text: str, *, default_source: str, contact_lens_source: str,
               now: datetime) -> tuple[str, Iterator[Item]]:
    """(shape, items) of a JSON document: ``json``, or ``contact-lens`` when every object in it
    is a Contact Lens document."""
    try:
        data = _parse(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}: column "
                         f"{exc.colno})") from None
    escapes = _ESCAPE.search(text) is not None
    if isinstance(data, dict) and "interactions" in data and not contact_lens.looks_like(data):
        data = data["interactions"]
        if not isinstance(data, list):
            raise InputError(f"{path}: field 'interactions': expected a list")
    items: list[Any] = data if isinstance(data, list) else [data]
    shape = ("contact-lens" if items and all(contact_lens.looks_like(o) for o in items)
             else "json")

    def generate() -> Iterator[Item]:
        for n, obj in enumerate(items, start=1):
            where = _label(f"item {n}", obj)
            try:
                yield where, record_from_object(
                    obj, default_source=default_source, contact_lens_source=contact_lens_source,
                    now=now, name=path.name, has_escapes=escapes), None
            except RecordError as err:
                yield where, err, obj

    return shape, generate()


def parse_jsonl(path: Path, lines: Iterable[str], *, default_source: str,
                contact_lens_source: str, now: datetime) -> Iterator[Item]:
    """Items of a JSONL file, one object a line; blank lines are skipped."""
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = _parse(line)
        except json.JSONDecodeError as exc:
            yield (f"line {lineno}", RecordError("", f"not valid JSON ({exc.msg}: column "
                                                     f"{exc.colno})"), line)
            continue
        where = _label(f"line {lineno}", obj)
        try:
            yield where, record_from_object(
                obj, default_source=default_source, contact_lens_source=contact_lens_source,
                now=now, name=path.name, has_escapes=_ESCAPE.search(line) is not None), None
        except RecordError as err:
            yield where, err, obj

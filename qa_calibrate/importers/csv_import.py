"""CSV transcripts, comma, semicolon or tab separated (found from the header row):

- one row per turn: the interaction columns plus ``speaker`` and ``text`` (and optionally
  ``seq``, ``offset_seconds`` or ``timestamp``). Rows are grouped by (source, external_id) and
  need not be adjacent; the interaction fields come from the first row of a group and a later
  row that says something else is an error naming that row and field;
- one row per interaction: the interaction columns plus ``transcript``, whose lines read
  ``Speaker: text``, optionally after ``[mm:ss]`` or ``[hh:mm:ss]``. A line without a known
  speaker continues the turn above it (e-mails have several lines); a line with a time but an
  unknown speaker is an error.

Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from pathlib import Path

from ..errors import InputError
from .reading import quoting_error
from .records import (
    MAX_TEXT,
    SPEAKERS,
    Item,
    RecordError,
    build_record,
    make_turn,
    order_turns,
    when_field,
)

INTERACTION_FIELDS = ("external_id", "source", "channel", "agent", "team", "site", "queue",
                      "started_at", "handle_time_seconds", "csat", "language")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
MULTILINE = frozenset({"text", "transcript"})  # columns whose values may hold line breaks
MAX_CELL = 20_000_000  # a whole e-mail thread fits in one transcript cell
LINE = re.compile(
    r"^\s*(?:\[(?:(\d{1,3}):)?(\d{1,3}):(\d{2})\]\s*)?([^\W\d_][\w .'/-]{0,39}?)\s*:[ \t]?(.*)$"
)


@dataclass
class CsvFile:
    """What the header told us."""

    shape: str  # csv-turns | csv-interactions
    header: list[str]
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]


def _column(name: str) -> str:
    return "_".join(name.strip().strip("\ufeff").lower().replace("-", " ").split())


def open_csv(path: Path, lines: Iterable[str]) -> CsvFile:
    """Read the header, pick the delimiter, check the required columns."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
    it = iter(lines)
    first = ""
    for first in it:
        if first.strip():
            break
    counts = {d: first.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(chain([first], it), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    try:
        header = [_column(h) for h in next(reader, [])]
    except csv.Error as exc:
        raise InputError(f"{path}: row 1: not readable as CSV ({exc})") from None
    found = ", ".join(h for h in header if h) or "nothing"
    if "speaker" in header and "text" in header:
        shape = "csv-turns"
    elif "transcript" in header:
        shape = "csv-interactions"
    else:
        raise InputError(
            f"{path}: row 1: field 'speaker'/'text' or 'transcript': missing column (found: "
            f"{found}; columns are separated by comma, semicolon or tab)")
    for required in ("external_id", "channel"):
        if required not in header:
            raise InputError(f"{path}: row 1: field {required!r}: missing column (found: "
                             f"{found})")
    for name in header:
        if name and header.count(name) > 1:
            raise InputError(f"{path}: row 1: field {name!r}: the column appears twice")

    def rows() -> Iterator[tuple[int, list[str]]]:
        row = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"{path}: row {row + 1}: not readable as CSV ({exc})") from None
            row += 1
            if any(v.strip() for v in values):
                wrong = quoting_error(values, header, delimiter, MULTILINE)
                if wrong is not None:
                    raise InputError(f"{path}: row {row}: field {wrong[0]!r}: {wrong[1]}")
                yield row, values

    return CsvFile(shape=shape, header=header, delimiter=delimiter, rows=rows())


def _width_error(values: list[str], header: list[str]) -> RecordError | None:
    if len(values) == len(header):
        return None
    return RecordError("", f"{len(values)} fields but the header has {len(header)} (an "
                           "unquoted separator in a value?)")


def _where(row: int, ext: str) -> str:
    return f"row {row} (external_id {ext[:40]!r})" if ext else f"row {row}"


def parse_turn_rows(table: CsvFile, *, default_source: str, now: datetime) -> Iterator[Item]:
    """One item per (source, external_id) group of per-turn rows; its raw is the list of rows."""
    header = table.header
    col = {name: i for i, name in enumerate(header)}
    ext_i, src_i = col["external_id"], col.get("source")
    groups: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}
    for row, values in table.rows:
        ext = values[ext_i].strip() if ext_i < len(values) else ""
        src = values[src_i].strip() if src_i is not None and src_i < len(values) else ""
        groups.setdefault((src, ext), []).append((row, values))
    present = [(name, col[name]) for name in INTERACTION_FIELDS if name in col]
    speaker_i, text_i = col["speaker"], col["text"]
    offset_i, stamp_i, seq_i = col.get("offset_seconds"), col.get("timestamp"), col.get("seq")
    for (_src, ext), group in groups.items():
        raw = [values for _row, values in group]
        where = _where(group[0][0], ext)
        try:
            fields: dict[str, str] = {}
            origin: dict[str, int] = {}
            for row, values in group:
                where = _where(row, ext)
                wrong = _width_error(values, header)
                if wrong is not None:
                    raise wrong
                for name, i in present:
                    value = values[i].strip()
                    if not value:
                        continue
                    if name not in fields:
                        fields[name], origin[name] = value, row
                    elif fields[name] != value:
                        raise RecordError(name, f"{value!r} here but {fields[name]!r} in row "
                                                f"{origin[name]}")
            where = _where(group[0][0], ext)
            started = when_field(fields.get("started_at"), "started_at", now=now)
            turns = []
            for n, (row, values) in enumerate(group):
                where = _where(row, ext)
                turns.append(make_turn(
                    n, values[speaker_i], values[text_i],
                    values[offset_i] if offset_i is not None else None,
                    values[stamp_i] if stamp_i is not None else None,
                    values[seq_i] if seq_i is not None else None, started, now))
            where = _where(group[0][0], ext)
            yield where, build_record(fields, order_turns(turns), default_source=default_source,
                                      now=now, started_at=started), raw
        except RecordError as err:
            yield where, err, raw


def split_transcript(text: str) -> list[tuple[int | None, str, float | None, str]]:
    """``[mm:ss] Speaker: text`` lines → raw turns (see the module docstring)."""
    turns: list[tuple[int | None, str, float | None, str]] = []
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        match = LINE.match(line)
        speaker = None
        if match:
            speaker = SPEAKERS.get(match.group(4).strip().lower().replace(" ", "_"))
            if speaker is None and match.group(3) is not None:
                raise RecordError("transcript", f"line {lineno}: {match.group(4).strip()!r} is "
                                                "not agent, customer or system")
        if speaker is None or match is None:
            if not turns:
                raise RecordError("transcript", f"line {lineno}: expected 'Speaker: text', "
                                                f"got {line[:40]!r}")
            seq, who, offset, words = turns[-1]
            turns[-1] = (seq, who, offset, f"{words}\n{line}")
            continue
        offset = None
        if match.group(3) is not None:
            hours, minutes, seconds = int(match.group(1) or 0), int(match.group(2)), \
                int(match.group(3))
            if seconds > 59 or (match.group(1) is not None and minutes > 59):
                raise RecordError("transcript", f"line {lineno}: {line[:12]!r} is not a time")
            offset = float(hours * 3600 + minutes * 60 + seconds)
        words = match.group(5).strip()
        if not words:
            raise RecordError("transcript", f"line {lineno}: empty text")
        turns.append((None, speaker, offset, words))
    return turns


def parse_interaction_rows(table: CsvFile, *, default_source: str,
                           now: datetime) -> Iterator[Item]:
    """One item per row of a per-interaction CSV; its raw is ``[row values]``."""
    header = table.header
    ext_i, transcript_i = header.index("external_id"), header.index("transcript")
    for row, values in table.rows:
        ext = values[ext_i].strip() if ext_i < len(values) else ""
        where = _where(row, ext)
        try:
            wrong = _width_error(values, header)
            if wrong is not None:
                raise wrong
            fields = dict(zip(header, values, strict=True))
            turns = order_turns(split_transcript(values[transcript_i]))
            if any(len(t[3]) > MAX_TEXT for t in turns):
                raise RecordError("transcript", f"a turn longer than {MAX_TEXT:,} characters")
            yield where, build_record(fields, turns, default_source=default_source,
                                      now=now), [values]
        except RecordError as err:
            yield where, err, [values]

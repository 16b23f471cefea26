"""Reading input files: encodings (UTF-8 with or without BOM, else cp1252), NUL bytes, and
telling JSON, JSONL and CSV apart by their content."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError

BOM = b"\xef\xbb\xbf"
ENCODINGS = ("utf-8", "cp1252")


_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[^\W\d_]+")


class NotThisEncoding(Exception):
    """Internal: a line did not decode as UTF-8, so the file is read again as cp1252."""


def _check_bytes(path: Path, raw: bytes, lineno: int) -> None:
    if lineno == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{path}: line 1: the file is UTF-16; save it as UTF-8")
    if b"\x00" in raw:
        raise InputError(f"{path}: line {lineno}: contains a NUL byte (a binary file?)")


def _undecodable(path: Path, lineno: int) -> InputError:
    return InputError(f"{path}: line {lineno}: neither UTF-8 nor cp1252 text")


def lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's lines (with their line ends), decoded; streams, so big files stay small.

    Raises :class:`NotThisEncoding` at the first line that is not UTF-8 when reading as UTF-8."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                _check_bytes(path, raw, 1)
                if raw.startswith(BOM):
                    raw = raw[3:]
            elif b"\x00" in raw:
                _check_bytes(path, raw, lineno)
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                if encoding == "utf-8":
                    raise NotThisEncoding() from None
                raise _undecodable(path, lineno) from None


def read_text(path: Path) -> str:
    """The whole file as text (for JSON documents)."""
    raw = path.read_bytes()
    _check_bytes(path, raw[:2], 1)
    nul = raw.find(b"\x00")
    if nul != -1:
        _check_bytes(path, b"\x00", raw.count(b"\n", 0, nul) + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _undecodable(path, raw.count(b"\n", 0, exc.start) + 1) from None


def detect(path: Path) -> str:
    """``json``, ``jsonl`` or ``csv`` from the first non-empty line (and a .jsonl/.ndjson
    name): ``[`` is JSON; ``{`` is JSONL when that line is a whole object and more follows."""
    with path.open("rb") as fh:
        first = b""
        for raw in fh:
            if raw.strip():
                first = raw
                break
        else:
            raise InputError(f"{path}: line 1: the file is empty")
        more = any(raw.strip() for raw in fh)
    _check_bytes(path, first[:2], 1)
    head = first.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return "jsonl"
        try:
            obj = json.loads(head)
        except (ValueError, RecursionError):  # JSONDecodeError, or a huge number, or deep
            return "json"  # an object spread over several lines (parse_json says what is wrong)
        return "jsonl" if isinstance(obj, dict) and more else "json"
    return "csv"


def _shape(text: str) -> str:
    """"T-12" → "A-9": what an id looks like."""
    return _LETTERS.sub("A", _DIGITS.sub("9", text.strip()))


def quoting_error(values: list[str], header: list[str], delimiter: str,
                  multiline: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(field, message) when a CSV record shows an unterminated quote: a field outside
    ``multiline`` that holds a line break, or a line inside a multi-line field that starts
    like a record of this file (a first value shaped like this record's first value, then at
    least as many separators as come before the field: the next row swallowed). None when the
    record looks right."""
    width = len(header)
    first = _shape(values[0]) if values and values[0].strip() else None
    for index, (name, value) in enumerate(zip(header, values, strict=False)):
        if "\n" not in value and "\r" not in value:
            continue
        if name not in multiline:
            return name, ("holds a line break: an unterminated quote that ran into the next "
                          "row? (quote a value with \"…\" and double any quote inside it)")
        if first is None or index == 0:
            continue
        for line in value.splitlines()[1:]:
            head, sep, _rest = line.partition(delimiter)
            if sep and line.count(delimiter) >= min(index, width - 1) and _shape(head) == first:
                return name, ("a line inside it starts like a row of this file: an "
                              "unterminated quote swallowed the next row?")
    return None


def small_csv(path: Path, raw: bytes, *, max_cell: int, sniff: bool = False,
              multiline: frozenset[str] = frozenset(),
              ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A small CSV file (people, scores) read whole and checked: its lower-cased header and its
    non-blank rows with their numbers. One ``InputError`` naming file, row (and field) for the
    first problem: UTF-16, a NUL byte, text neither UTF-8 nor cp1252, what the csv module
    cannot read, a row of another width than the header, a quote that swallowed a line break
    outside the ``multiline`` columns, a cell over ``max_cell`` characters. ``sniff``: the
    separator may be ``,``, ``;`` or a tab."""
    import csv
    import io

    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{path}: row 1: the file is UTF-16; save it as UTF-8")
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise InputError(f"{path}: row {line}: contains a NUL byte; not a text CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise InputError(f"{path}: row {line}: neither UTF-8 nor cp1252 text") from None
    delimiter = ","
    if sniff:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            pass
    csv.field_size_limit(max(csv.field_size_limit(), max_cell + 1))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise InputError(f"{path}: row 1: not readable as CSV ({exc})") from None
    rows: list[tuple[int, list[str]]] = []
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{path}: row {number + 1}: not readable as CSV ({exc})") from None
        number += 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise InputError(
                f"{path}: row {number}: {len(values)} fields but the header has {len(header)} "
                "(an unquoted separator in a value, or a value missing?)")
        wrong = quoting_error(values, header, delimiter, multiline)
        if wrong is not None:
            raise InputError(f"{path}: row {number}: field {wrong[0]!r}: {wrong[1]}")
        for h, v in zip(header, values, strict=True):
            if len(v) > max_cell:
                raise InputError(f"{path}: row {number}: field {h!r}: {len(v):,} characters "
                                 f"(at most {max_cell:,})")
        rows.append((number, values))
    return header, rows

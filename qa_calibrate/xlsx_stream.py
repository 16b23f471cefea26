"""Fast rows for large xlsx sheets: SpreadsheetML rows spooled to disk, then spliced in.

openpyxl builds the workbook (styles, widths, frozen panes, filters, validation, conditional
formatting, charts) with only the header row of each large sheet. The data rows of those sheets
are serialised here, straight to SpreadsheetML text in a temporary file, one row at a time, and
spliced into the saved package just before ``</sheetData>``. Cells are written as openpyxl's
write-only mode writes them (inline strings, numbers, dates as serial numbers with a date style),
without building an XML element per cell, which is where openpyxl spends its time.

Text is XML-escaped; characters XML 1.0 cannot hold (control characters other than tab, line
feed and carriage return) are dropped, and text longer than Excel's 32,767-character cell limit
is cut to it. Strings are always typed ``inlineStr``, so a spreadsheet never reads them as
formulas.
"""

from __future__ import annotations

import math
import numbers
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any
from xml.etree import ElementTree

EXCEL_CELL_LIMIT = 32_767
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
# the characters openpyxl refuses (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE)
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_EDGE_SPACE = " \t\n\r"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def column_letters(n: int) -> list[str]:
    """["A", "B", ..., ] for the first ``n`` columns."""
    from openpyxl.utils import get_column_letter

    return [get_column_letter(k) for k in range(1, n + 1)]


def _text(value: str) -> str:
    if len(value) > EXCEL_CELL_LIMIT:
        value = value[:EXCEL_CELL_LIMIT]
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # a carriage return would be read back as a line feed (XML end-of-line handling)
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


class RowSpool:
    """Data rows of the openpyxl sheet ``ws``, serialised as they come to a temporary file."""

    def __init__(self, ws: Any, columns: int, *, first_row: int,
                 directory: Path | None = None,
                 number_formats: Mapping[int, str] | None = None) -> None:
        from openpyxl.cell import WriteOnlyCell

        self._cols = column_letters(columns)
        self._next = first_row
        # numbers in these columns (0-based) carry a cell style with that number format
        self._num_style: dict[str, str] = {}
        for index, fmt in (number_formats or {}).items():
            styled = WriteOnlyCell(ws, value=0.5)
            styled.number_format = fmt
            self._num_style[self._cols[index]] = f'" s="{styled.style_id}" t="n"><v>'
        self.widths = [0] * columns  # the longest text of each column, for its width
        # the workbook's cell styles for dates and date-times (registered if not yet there)
        date_style = WriteOnlyCell(ws, value=date(2000, 1, 1)).style_id
        datetime_style = WriteOnlyCell(ws, value=datetime(2000, 1, 1)).style_id
        self._date = f'" s="{date_style}"><v>'
        self._datetime = f'" s="{datetime_style}"><v>'
        self._file: IO[bytes] = tempfile.TemporaryFile("w+b", dir=directory)
        self._pending: list[str] = []
        self.rows = 0

    @property
    def last_row(self) -> int:
        """The sheet row of the last appended row (the header row if none)."""
        return self._next - 1

    def append(self, values: Sequence[Any]) -> None:
        if len(values) > len(self._cols):
            raise ValueError(f"{len(values)} values for {len(self._cols)} columns")
        r = str(self._next)
        self._next += 1
        self.rows += 1
        cell = self._cell
        widths = self.widths
        for n, v in enumerate(values):
            if v is not None:
                size = len(v) if type(v) is str else 10 if isinstance(v, date) else len(str(v))
                if size > widths[n]:
                    widths[n] = size
        self._pending.append('<row r="' + r + '">' + "".join(
            [cell(col, r, v) for col, v in zip(self._cols, values, strict=False) if v is not None])
            + "</row>")
        if len(self._pending) >= 2048:
            self._flush()

    def _cell(self, col: str, r: str, v: Any) -> str:
        kind = type(v)
        if kind is str:
            if not v:  # an empty text cell, as openpyxl writes it
                return '<c r="' + col + r + '" t="inlineStr"/>'
            if v[0] in _EDGE_SPACE or v[-1] in _EDGE_SPACE:
                return ('<c r="' + col + r + '" t="inlineStr"><is><t xml:space="preserve">'
                        + _text(v) + "</t></is></c>")
            return '<c r="' + col + r + '" t="inlineStr"><is><t>' + _text(v) + "</t></is></c>"
        if kind is int:
            return ('<c r="' + col + r + self._num_style.get(col, '" t="n"><v>') + str(v)
                    + "</v></c>")
        if kind is float:
            if not math.isfinite(v):
                return ""
            return ('<c r="' + col + r + self._num_style.get(col, '" t="n"><v>') + repr(v)
                    + "</v></c>")
        if kind is date:
            return '<c r="' + col + r + self._date + str((v - _EPOCH_DATE).days) + "</v></c>"
        if kind is bool:
            return '<c r="' + col + r + '" t="b"><v>' + ("1" if v else "0") + "</v></c>"
        if isinstance(v, datetime):
            v = v.replace(tzinfo=None)
            serial = (v - _EPOCH).total_seconds() / 86400
            return '<c r="' + col + r + self._datetime + repr(serial) + "</v></c>"
        if isinstance(v, date):
            return self._cell(col, r, date(v.year, v.month, v.day))
        if isinstance(v, numbers.Integral):
            return self._cell(col, r, int(v))
        if isinstance(v, numbers.Real):
            return self._cell(col, r, float(v))
        return self._cell(col, r, str(v))

    def _flush(self) -> None:
        # errors="replace": a lone surrogate in stored text cannot be encoded
        self._file.write("".join(self._pending).encode("utf-8", "replace"))
        self._pending.clear()

    def copy_to(self, out: IO[bytes]) -> None:
        self._flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, out, 1 << 20)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """{sheet title: part name} from the workbook and its relationships."""
    book = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.iter(f"{_NS_PKG}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = str(PurePosixPath("xl") / target)
        targets[rel.get("Id")] = part
    return {sheet.get("name", ""): targets[sheet.get(_NS_REL_ID)]
            for sheet in book.iter(f"{_NS_MAIN}sheet")}


def splice(skeleton: Path | IO[bytes], out: Path | IO[bytes],
           spools: Mapping[str, RowSpool]) -> None:
    """Copy the package ``skeleton`` to ``out`` with each spool's rows appended to the
    sheetData of the sheet of that title."""
    with zipfile.ZipFile(skeleton) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
        parts = sheet_parts(zin)
        by_part = {parts[title]: spool for title, spool in spools.items()}
        for info in zin.infolist():
            data = zin.read(info.filename)
            spool = by_part.get(info.filename)
            if spool is None:
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            end = data.rfind(b"</sheetData>")
            if end >= 0:
                head, tail = data[:end], data[end:]
            else:  # an empty sheet is written <sheetData />
                empty = data.index(b"<sheetData")
                close = data.index(b">", empty) + 1
                head, tail = data[:empty] + b"<sheetData>", b"</sheetData>" + data[close:]
            with zout.open(info.filename, "w", force_zip64=True) as f:
                f.write(head)
                spool.copy_to(f)
                f.write(tail)

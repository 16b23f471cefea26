"""The streamed sheet rows read back exactly as openpyxl's own writer would give them."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from qa_calibrate.xlsx_stream import EXCEL_CELL_LIMIT, RowSpool, column_letters, sheet_parts, splice


def _write(tmp: Path, rows: list[list], header: bool = True) -> Path:
    """A workbook of two sheets; ``rows`` are streamed into the second one."""
    wb = Workbook(write_only=True)
    wb.create_sheet("First").append(["untouched"])
    ws = wb.create_sheet("Data sheet")
    if header:
        ws.append(["a", "b", "c"])
    width = max((len(r) for r in rows), default=1)
    spool = RowSpool(ws, width, first_row=2 if header else 1, directory=tmp)
    with spool:
        for r in rows:
            spool.append(r)
        skeleton, out = tmp / "skeleton.xlsx", tmp / "out.xlsx"
        wb.save(skeleton)
        splice(skeleton, out, {"Data sheet": spool})
    return out


def _read(path: Path, sheet: str = "Data sheet") -> list[tuple]:
    wb = load_workbook(path)
    try:
        return [tuple(c.value for c in row) for row in wb[sheet].iter_rows()]
    finally:
        wb.close()


def test_values_keep_their_types(tmp_path):
    when = datetime(2026, 11, 25, 14, 30, 15)
    rows = [
        [1, 2.5, "plain"],
        [date(2026, 10, 1), when, True],
        ["  padded ", "a & b < c > d \"q\" 'x'", "line\nbreak"],
        ["ünïcødé — 漢字 🎧", -7, 0.1 + 0.2],
        [None, "", 3],
        [np.int64(4), np.float64(0.25), np.bool_(False)],
    ]
    out = _write(tmp_path, rows)
    got = _read(out)
    assert got[0] == ("a", "b", "c")
    assert got[1] == (1, 2.5, "plain")
    assert got[2][0] == datetime(2026, 10, 1) and got[2][1] == when and got[2][2] is True
    assert got[3] == ("  padded ", "a & b < c > d \"q\" 'x'", "line\nbreak")
    assert got[4] == ("ünïcødé — 漢字 🎧", -7, 0.1 + 0.2)
    assert got[5] == (None, None, 3)
    assert got[6][0] == 4 and got[6][1] == 0.25
    wb = load_workbook(out)
    assert wb["Data sheet"].cell(row=3, column=1).is_date
    assert wb["Data sheet"].cell(row=3, column=1).number_format == "yyyy-mm-dd"
    assert _read(out, "First") == [("untouched",)]


def test_text_is_never_a_formula_and_hostile_characters_are_handled(tmp_path):
    long = "x" * (EXCEL_CELL_LIMIT + 10)
    out = _write(tmp_path, [["=1+2", "bad\x00\x07char", long], ["\rCR", "tab\tin", "</t></is>"]])
    wb = load_workbook(out)
    ws = wb["Data sheet"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws["A2"].value == "=1+2" and ws["A2"].data_type == "s"
    assert ws["B2"].value == "badchar"  # characters XML cannot hold are dropped
    assert ws["C2"].value == "x" * EXCEL_CELL_LIMIT
    assert ws["A3"].value == "\rCR"  # kept as a character reference, not turned into \n
    assert ws["B3"].value == "tab\tin" and ws["C3"].value == "</t></is>"


def test_a_sheet_without_header_rows_gets_its_rows(tmp_path):
    out = _write(tmp_path, [[1, "a"], [2, "b"]], header=False)
    assert _read(out) == [(1, "a"), (2, "b")]


def test_sheet_parts_follow_the_workbook_relationships(tmp_path):
    out = _write(tmp_path, [[1]])
    with zipfile.ZipFile(out) as z:
        parts = sheet_parts(z)
    assert parts == {"First": "xl/worksheets/sheet1.xml",
                     "Data sheet": "xl/worksheets/sheet2.xml"}


def test_column_letters():
    letters = column_letters(703)
    assert letters[:3] == ["A", "B", "C"] and letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:] == ["ZZ", "AAA"]


_xml_text = st.text(st.characters(blacklist_categories=["Cs"],
                                  blacklist_characters=[chr(c) for c in range(32)
                                                        if c not in (9, 10, 13)]),
                    max_size=40)
_value = st.one_of(st.none(), _xml_text, st.integers(-(2**53), 2**53),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.dates(date(1900, 3, 1), date(9999, 12, 31)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_value, min_size=3, max_size=3), min_size=1, max_size=8))
def test_streamed_rows_read_back_like_openpyxl_rows(tmp_path_factory, rows):
    """Whatever openpyxl's own write-only writer stores, the spool stores the same."""
    tmp = tmp_path_factory.mktemp("rt")
    ours = _read(_write(tmp, rows))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data sheet")
    for r in [["a", "b", "c"], *rows]:
        ws.append(r)
    wb.save(tmp / "ref.xlsx")
    reference = _read(tmp / "ref.xlsx")

    def norm(v):
        # openpyxl reads a CR in text back as LF, and CR LF as one LF, as XML normalises line
        # ends (the spool keeps them), and writes floats with 16 significant digits (the spool
        # writes the shortest exact form)
        if isinstance(v, str):
            return v.replace("\r\n", "\n").replace("\r", "\n") or None
        if isinstance(v, float):
            return float("%.16g" % v)
        return v

    assert [tuple(map(norm, r)) for r in ours] == [tuple(map(norm, r)) for r in reference]

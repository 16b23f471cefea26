"""The trainers' workbook: assignments to Excel and their Status column back.

openpyxl (write-only mode) builds the workbook: headers, widths, frozen panes, autofilter, the
Status drop-down, the overdue highlight and the chart. The data rows of the two large sheets,
Assignments and Evidence, are streamed to spool files as SpreadsheetML and spliced in
(``xlsx_stream``), so memory stays flat and 100,000 assignments take seconds. The package is
written to a temporary file beside the target, then renamed over it, so a crash never leaves a
half-written workbook in place of a good one. Text from user data is written so that no
spreadsheet runs it as a formula: a value starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe and is stored as a string.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from .coaching import STATUSES, normalise_status, set_statuses
from .errors import InputError
from .store import Store
from .xlsx_stream import RowSpool, splice

ASSIGNMENT_COLUMNS: list[tuple[str, str, int]] = [
    # (header, key, width)
    ("ID", "id", 7), ("Assignee", "assignee", 22), ("Role", "role", 10), ("Team", "team", 14),
    ("Site", "site", 24), ("Module ID", "module_id", 14), ("Module", "module_title", 34),
    ("Reason", "reason", 60), ("Priority", "priority", 9), ("Assigned on", "assigned_on", 12),
    ("Due on", "due_on", 12), ("Trainer", "trainer", 20), ("Status", "status", 13),
]
EVIDENCE_COLUMNS: list[tuple[str, int]] = [
    ("Assignment ID", 7), ("Assignee", 22), ("Rubric", 16), ("Criterion", 22), ("Answers", 9),
    ("Fails", 7), ("Rate", 8), ("Team rate", 10), ("Critical fails", 9), ("Direction", 10),
    ("Example interactions", 60),
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user text (OWASP CSV-injection rule)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _text_cell(ws: Any, value: Any, style: dict[str, Any] | None = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=safe_text(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    for key, val in (style or {}).items():
        setattr(cell, key, val)
    return cell


def write_workbook(
    path: Path,
    assignments: Iterable[Mapping[str, Any]],
    *,
    failure_rates: Sequence[Mapping[str, Any]] = (),
    today: date | None = None,
) -> int:
    """Write the workbook atomically; returns the number of assignment rows."""
    from openpyxl import Workbook

    today = today or datetime.now(timezone.utc).date()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    # The sheets are created in the order a trainer reads them. openpyxl writes the headers,
    # styles, validation, formatting and chart; the data rows of Assignments and Evidence are
    # streamed to spool files side by side (no assignment is held in memory after its rows are
    # written) and spliced into the saved package (see xlsx_stream).
    ws = wb.create_sheet("Assignments")
    wt = wb.create_sheet("By trainer")
    we = wb.create_sheet("Evidence")
    wc = wb.create_sheet("Failure rates")
    _header(ws, [(h, w) for h, _k, w in ASSIGNMENT_COLUMNS])
    _header(we, EVIDENCE_COLUMNS)
    keys = [k for _h, k, _w in ASSIGNMENT_COLUMNS]
    by_trainer: Counter[tuple[str, str, str, str]] = Counter()
    with RowSpool(ws, len(ASSIGNMENT_COLUMNS), first_row=2, directory=path.parent) as rows, \
            RowSpool(we, len(EVIDENCE_COLUMNS), first_row=2, directory=path.parent) as evidence:
        for a in assignments:
            rows.append([safe_text(a.get(key)) for key in keys])
            by_trainer[(a.get("trainer") or "", a.get("module_id") or "",
                        a.get("module_title") or "", a.get("status") or "")] += 1
            ev = a.get("evidence") or {}
            if isinstance(ev, str):
                ev = json.loads(ev or "{}")
            examples = safe_text(", ".join(ev.get("examples", [])))
            for c in ev.get("criteria", []) or [{}]:
                evidence.append([a.get("id"), safe_text(a.get("assignee")),
                                 safe_text(c.get("rubric")), safe_text(c.get("criterion")),
                                 c.get("answers"), c.get("fails"), c.get("rate"),
                                 c.get("team_rate"), c.get("critical_fails"),
                                 safe_text(c.get("direction")), examples])
        _assignment_rules(ws, max(rows.last_row, 2))
        _by_trainer(wt, by_trainer)
        _failure_rates(wc, failure_rates)
        _save_atomically(wb, path, {"Assignments": rows, "Evidence": evidence})
    return rows.rows


def _header(ws: Any, columns: Sequence[tuple[str, int]]) -> None:
    """Widths, frozen header row and the styled header of a sheet."""
    from openpyxl.styles import Alignment, Font, PatternFill

    style = {"font": Font(bold=True, color="FFFFFF"),
             "fill": PatternFill("solid", fgColor="305496"),
             "alignment": Alignment(vertical="center")}
    for n, (_h, width) in enumerate(columns, start=1):
        ws.column_dimensions[_col(n)].width = width
    ws.freeze_panes = "A2"
    ws.append([_text_cell(ws, h, style) for h, _w in columns])


def _assignment_rules(ws: Any, last: int) -> None:
    """Autofilter, Status drop-down and the overdue highlight over rows 2..last."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    status_col = _col(len(ASSIGNMENT_COLUMNS))
    due_col = _col([k for _h, k, _w in ASSIGNMENT_COLUMNS].index("due_on") + 1)
    ws.auto_filter.ref = f"A1:{status_col}{last}"
    dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=False,
                        showErrorMessage=True, errorTitle="Status",
                        error="Pick Not started, In progress or Done")
    dv.add(f"{status_col}2:{status_col}{last}")
    ws.data_validations.append(dv)
    ws.conditional_formatting.add(
        f"A2:{status_col}{last}",
        FormulaRule(formula=[f'AND(${due_col}2<TODAY(),${status_col}2<>"Done")'],
                    fill=PatternFill("solid", fgColor="F8CBAD"), font=Font(color="9C0006")),
    )


def _by_trainer(wt: Any, counts: Counter[tuple[str, str, str, str]]) -> None:
    _header(wt, [("Trainer", 22), ("Module ID", 14), ("Module", 34), ("Status", 13),
                 ("Count", 8)])
    for (trainer, mid, title, status), n in sorted(counts.items()):
        wt.append([safe_text(trainer), safe_text(mid), safe_text(title), safe_text(status), n])


def _failure_rates(wc: Any, failure_rates: Sequence[Mapping[str, Any]]) -> None:
    """The failure-rate table and a native bar chart of it."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference

    _header(wc, [("Rubric", 16), ("Criterion", 24), ("Answers", 9), ("Fails", 8),
                 ("Fail rate", 9)])
    for fr in failure_rates:
        rate = WriteOnlyCell(wc, value=fr["fail_rate"])
        rate.number_format = "0.0%"
        wc.append([safe_text(fr["rubric"]), safe_text(fr["criterion"]), fr["answers"],
                   fr["fails"], rate])
    if failure_rates:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Failure rate per criterion"
        chart.y_axis.title = "fail rate"
        chart.y_axis.numFmt = "0%"
        chart.height = max(7.5, 0.45 * len(failure_rates))
        chart.width = 18
        n = len(failure_rates) + 1
        chart.add_data(Reference(wc, min_col=5, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(wc, min_col=2, min_row=2, max_row=n))
        chart.legend = None
        wc.add_chart(chart, "G2")


def _save_atomically(wb: Any, path: Path, spools: Mapping[str, RowSpool]) -> None:
    """Save beside the target and rename: a crash leaves the old workbook intact."""
    made: list[Path] = []
    try:
        for suffix in (".skeleton", ".tmp"):
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
            os.close(fd)
            made.append(Path(name))
        skeleton, tmp = made
        wb.save(skeleton)
        splice(skeleton, tmp, spools)
        os.replace(tmp, path)
    finally:
        for leftover in made:  # after the rename only the skeleton is left
            leftover.unlink(missing_ok=True)


def export_plan(
    store: Store, path: Path, *, open_only: bool = False, team: str | None = None,
    trainer: str | None = None, since: datetime | None = None, today: date | None = None,
    actor: str,
) -> int:
    """Export stored assignments (and the criterion failure rates) to ``path``. Leads and
    trainers."""
    from .access import check
    from .coaching import criterion_failure_rates, iter_assignments

    actor = check(store, actor, "coaching.export").name

    rates = criterion_failure_rates(store, since=since)
    rows = iter_assignments(store, open_only=open_only, team=team, trainer=trainer,
                            actor=actor)
    return write_workbook(path, rows, failure_rates=rates, today=today)


def read_statuses(path: Path) -> dict[int, tuple[str, str]]:
    """{assignment id: (status, "file: row N")} from the Assignments sheet."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        kind = exc.__class__.__name__
        raise InputError(f"{path}: not a readable Excel workbook ({kind})") from None
    try:
        if "Assignments" not in wb.sheetnames:
            raise InputError(f"{path}: row 1: no sheet named 'Assignments'")
        ws = wb["Assignments"]
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").strip().casefold() for h in next(rows, ())]
        try:
            id_col, status_col = header.index("id"), header.index("status")
        except ValueError:
            raise InputError(f"{path}: row 1: field 'ID'/'Status': missing column") from None
        out: dict[int, tuple[str, str]] = {}
        for number, values in enumerate(rows, start=2):
            if not values or all(v is None or str(v).strip() == "" for v in values):
                continue
            where = f"{path}: row {number}"
            raw_id = values[id_col] if id_col < len(values) else None
            try:
                assignment_id = int(str(raw_id).strip())
            except ValueError:
                raise InputError(
                    f"{where}: field 'ID': {raw_id!r} is not an assignment id") from None
            if assignment_id in out:
                raise InputError(f"{where}: field 'ID': assignment {assignment_id} appears twice")
            status = normalise_status(values[status_col] if status_col < len(values) else None,
                                      where)
            out[assignment_id] = (status, where)
        return out
    finally:
        wb.close()


def import_statuses(store: Store, path: Path, *, actor: str) -> int:
    """Read a trainer's workbook and apply its Status column; nothing else is changed."""
    from .access import check

    check(store, actor, "coaching.status")
    return set_statuses(store, read_statuses(Path(path)), actor=actor)

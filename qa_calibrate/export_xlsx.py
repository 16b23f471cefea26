"""The trainers' workbook: assignments to Excel, and their tracking columns back.

openpyxl (write-only mode) builds the workbook: Excel Tables, widths from the content, frozen
header rows, print set-up (landscape, one page wide, header row repeated, title and date), the
Status / Acknowledged / Completed on validation, the overdue highlight and the chart. The
data rows of the large sheets (Assignments, By trainer, Evidence) are streamed to unnamed spool
files as SpreadsheetML and spliced in (``xlsx_stream``), so memory stays flat and 100,000
assignments take seconds. The package is built in unnamed temporary files and renamed over the
target, so a crash never leaves a half-written workbook in place of a good one, nor temporaries
in the target's folder. Text from user data is written so that no spreadsheet runs it as a
formula: a value starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
and is stored as a string. The importer reads Status, Completed on, Acknowledged and Notes back
with each row's Version and leaves the rules (versions, ownership) to
``coaching.update_assignments``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from .coaching import (
    NOTES_LIMIT,
    STATUSES,
    AssignmentView,
    CriterionEvidence,
    RowEdit,
    UpdateResult,
    normalise_status,
    update_assignments,
)
from .errors import InputError
from .output import FORMULA_START, escape_formula
from .redact import scrub
from .store import Store
from .xlsx_stream import RowSpool, splice

ASSIGNMENT_COLUMNS: list[tuple[str, str, int]] = [
    # (header, key, width)
    ("ID", "id", 7), ("Kind", "kind", 14), ("Assignee", "assignee", 22), ("Role", "role", 10),
    ("Team", "team", 14), ("Site", "site", 24), ("Module ID", "module_id", 14),
    ("Module", "module_title", 34), ("Reason", "reason", 60), ("Priority", "priority", 9),
    ("Assigned on", "assigned_on", 12), ("Due on", "due_on", 12), ("Trainer", "trainer", 20),
    ("Status", "status", 13), ("Completed on", "completed_on", 13),
    ("Acknowledged", "acknowledged", 13), ("Notes", "notes", 40), ("Version", "version", 8),
]
ACK = ("Yes", "No")
EVIDENCE_COLUMNS: list[tuple[str, int]] = [
    ("Assignment ID", 7), ("Assignee", 22), ("Rubric", 16), ("Criterion", 22), ("Answers", 9),
    ("Fails", 7), ("Rate", 8), ("Team rate", 10), ("Critical fails", 9), ("Direction", 10),
    ("Example interactions", 60),
]
# the control characters a workbook cannot hold (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE)
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def safe_text(value: Any) -> Any:
    """User text as a workbook cell may hold it: PII redacted, the control characters a
    workbook cannot hold removed, and spreadsheet formulas neutralised (OWASP CSV-injection
    rule: a leading apostrophe)."""
    if not isinstance(value, str):
        return value
    value = scrub(value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return escape_formula(value)


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


BY_TRAINER_COLUMNS: list[tuple[str, str]] = [
    ("Trainer", "trainer"), ("ID", "id"), ("Kind", "kind"), ("Assignee", "assignee"),
    ("Team", "team"), ("Module", "module_title"), ("Priority", "priority"),
    ("Due on", "due_on"), ("Status", "status"), ("Completed on", "completed_on"),
]
RATE_COLUMNS = ("Label", "Rubric", "Criterion", "Answers", "Fails", "Fail rate")
PERCENT = "0.0%"
_WIDEST = {"Reason": 70, "Notes": 40, "Example interactions": 60, "Module": 34}


def write_workbook(
    path: Path,
    assignments: Iterable[AssignmentView],
    *,
    failure_rates: Sequence[Mapping[str, Any]] = (),
    today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    total: int = 0,
    title: str = "Coaching plan",
) -> int:
    """Write the workbook atomically; returns the number of assignment rows. ``progress``
    (stage, done, total) is called every thousand rows and when the package is saved."""
    from openpyxl import Workbook

    today = today or datetime.now(timezone.utc).date()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(path)
    wb = Workbook(write_only=True)
    # The sheets are created in the order a trainer reads them. openpyxl writes the headers,
    # styles, tables, validation, formatting, print settings and chart; the data rows of the
    # large sheets are streamed to unnamed spool files (no assignment is held in memory after
    # its rows are written) and spliced into the saved package (see xlsx_stream). A sheet's
    # widths and page set-up are written with its first row, so the header row is appended
    # once the data (and so the widths) are known.
    ws = wb.create_sheet("Assignments")
    wt = wb.create_sheet("By trainer")
    we = wb.create_sheet("Evidence")
    wc = wb.create_sheet("Failure rate data")
    # the chart's data, a Table for pivots; hidden, so the printed workbook is the four sheets
    # a trainer reads (the chart shows every rate) — unhide it to work with the numbers
    wc.sheet_state = "hidden"
    # the chart on a worksheet of its own, printed on one page (LibreOffice prints an openpyxl
    # chart sheet as a blank page, so it is a sized chart anchored on an ordinary sheet)
    wchart = wb.create_sheet("Failure rates")
    keys = [k for _h, k, _w in ASSIGNMENT_COLUMNS]
    ev_rates = {6: PERCENT, 7: PERCENT}
    trainers: dict[str, Any] = {}  # trainer → unnamed temporary file of JSON lines
    with RowSpool(ws, len(keys), first_row=2) as rows, \
            RowSpool(we, len(EVIDENCE_COLUMNS), first_row=2,
                     number_formats=ev_rates) as evidence, \
            RowSpool(wt, len(BY_TRAINER_COLUMNS), first_row=2) as by_trainer:
        try:
            for a in assignments:
                rows.append([_ack(a.acknowledged) if key == "acknowledged"
                             else safe_text(getattr(a, key)) for key in keys])
                if progress is not None and rows.rows % 1000 == 0:
                    progress("writing rows", rows.rows, max(total, rows.rows))
                trainer = a.trainer or ""
                if trainer not in trainers:
                    trainers[trainer] = tempfile.TemporaryFile("w+", encoding="utf-8")
                trainers[trainer].write(json.dumps(
                    [getattr(a, k) for _h, k in BY_TRAINER_COLUMNS], default=str) + "\n")
                examples = safe_text(", ".join(a.evidence.examples))
                # an assignment without criteria still gets its row on the Evidence sheet
                for c in a.evidence.criteria or [CriterionEvidence(criterion=None)]:
                    evidence.append([a.id, safe_text(a.assignee), safe_text(c.rubric),
                                     safe_text(c.criterion), c.answers, c.fails, c.rate,
                                     c.team_rate, c.critical_fails, safe_text(c.direction),
                                     examples])
            for trainer in sorted(trainers):  # the per-trainer view: sorted, one block each
                spool = trainers[trainer]
                spool.seek(0)
                for line in spool:
                    values = json.loads(line)
                    for n, (_h, k) in enumerate(BY_TRAINER_COLUMNS):
                        if k in ("due_on", "completed_on") and values[n]:
                            values[n] = date.fromisoformat(values[n])
                    by_trainer.append([safe_text(v) for v in values])
        finally:
            for spool in trainers.values():
                spool.close()
        headers = [h for h, _k, _w in ASSIGNMENT_COLUMNS]
        # the version is the importer's optimistic lock: kept, but out of the trainer's way
        ws.column_dimensions[_col(keys.index("version") + 1)].hidden = True
        _sheet(ws, headers, rows.widths, f"{title}: assignments", today)
        _table(ws, "Assignments", headers, rows.last_row)
        _assignment_rules(ws, max(rows.last_row, 2))
        trainer_headers = [h for h, _k in BY_TRAINER_COLUMNS]
        _sheet(wt, trainer_headers, by_trainer.widths,
               f"{title}: by trainer (filter the Trainer column for one trainer)", today)
        _table(wt, "ByTrainer", trainer_headers, by_trainer.last_row)
        ev_headers = [h for h, _w in EVIDENCE_COLUMNS]
        _sheet(we, ev_headers, evidence.widths, f"{title}: evidence", today)
        _table(we, "Evidence", ev_headers, evidence.last_row)
        _failure_rates(wc, wchart, failure_rates, title, today)
        if progress is not None:
            progress("saving the workbook", rows.rows, max(total, rows.rows))
        _save_atomically(wb, path, {"Assignments": rows, "Evidence": evidence,
                                    "By trainer": by_trainer})
    if progress is not None:
        progress("saved", max(total, rows.rows), max(total, rows.rows))
    return rows.rows


def _ack(value: Any) -> str:
    return "Yes" if value else "No"


def _sheet(ws: Any, headers: Sequence[str], widths: Sequence[int], title: str,
           today: date) -> None:
    """Widths from the content, the page set-up, and the bold, frozen header row."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties

    for n, header in enumerate(headers, start=1):
        widest = _WIDEST.get(header, 40)
        ws.column_dimensions[_col(n)].width = min(max(len(header) + 3, widths[n - 1] + 2),
                                                  widest)
    ws.freeze_panes = "A2"
    # landscape, one page wide (as many tall as it takes), the header row on every page,
    # the title and export date in the header and page numbers in the footer
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    hf = ws.HeaderFooter
    hf.oddHeader.left.text = title.replace("&", "&&")
    hf.oddHeader.right.text = f"exported {today.isoformat()}"
    hf.oddFooter.center.text = "page &P of &N"
    style = {"font": Font(bold=True), "alignment": Alignment(vertical="center")}
    ws.append([_text_cell(ws, h, style) for h in headers])


def _one_page(ws: Any, title: str, today: date) -> None:
    """A4 landscape on exactly one page, with the title and date in the header."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.HeaderFooter.oddHeader.left.text = title.replace("&", "&&")
    ws.HeaderFooter.oddHeader.right.text = f"exported {today.isoformat()}"


def _table(ws: Any, name: str, headers: Sequence[str], last_row: int) -> None:
    """An Excel Table (ListObject) over the header and the data rows (spliced in later), so
    filters, totals and pivots work on it."""
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    table = Table(displayName=name, ref=f"A1:{_col(len(headers))}{max(last_row, 2)}")
    # write-only mode: the columns are named here and must equal the header cells
    table.tableColumns = [TableColumn(id=n, name=h) for n, h in enumerate(headers, start=1)]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():  # "add table columns manually": they are, just above
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(table)


def _assignment_rules(ws: Any, last: int) -> None:
    """Autofilter, Status drop-down and the overdue highlight over rows 2..last."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    keys = [k for _h, k, _w in ASSIGNMENT_COLUMNS]
    status_col = _col(keys.index("status") + 1)
    due_col = _col(keys.index("due_on") + 1)
    ack_col = _col(keys.index("acknowledged") + 1)
    done_col = _col(keys.index("completed_on") + 1)
    last_col = _col(len(keys))
    dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=False,
                        showErrorMessage=True, errorTitle="Status",
                        error="Pick Not started, In progress or Done")
    dv.add(f"{status_col}2:{status_col}{last}")
    ws.data_validations.append(dv)
    ack = DataValidation(type="list", formula1='"' + ",".join(ACK) + '"', allow_blank=True,
                         showErrorMessage=True, errorTitle="Acknowledged",
                         error="Yes once the agent has acknowledged the assignment, else No")
    ack.add(f"{ack_col}2:{ack_col}{last}")
    ws.data_validations.append(ack)
    done = DataValidation(type="date", operator="greaterThan", formula1="36526",
                          allow_blank=True, showErrorMessage=True, errorTitle="Completed on",
                          error="A date (the day the assignment was completed)")
    done.add(f"{done_col}2:{done_col}{last}")
    ws.data_validations.append(done)
    ws.conditional_formatting.add(
        f"A2:{last_col}{last}",
        FormulaRule(formula=[f'AND(${due_col}2<TODAY(),${status_col}2<>"Done")'],
                    fill=PatternFill("solid", fgColor="F8CBAD"), font=Font(color="9C0006")),
    )


def _failure_rates(wc: Any, chart_sheet: Any, failure_rates: Sequence[Mapping[str, Any]],
                   title: str, today: date) -> None:
    """The failure rates, highest first, as a table (for pivots) and a bar chart of them on a
    sheet of its own, which prints on one page: every bar labelled "rubric: criterion"
    and with its rate."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    ordered = sorted(failure_rates, key=lambda fr: (-fr["fail_rate"], fr["rubric"],
                                                    fr["criterion"]))
    labels = [f"{fr['rubric']}: {fr['criterion']}" for fr in ordered]
    widths = [max([len(x) for x in labels] + [0]),
              max([len(fr["rubric"]) for fr in ordered] + [0]),
              max([len(fr["criterion"]) for fr in ordered] + [0]), 7, 6, 6]
    _sheet(wc, RATE_COLUMNS, widths, f"{title}: failure rates", today)
    for label, fr in zip(labels, ordered, strict=True):
        rate = WriteOnlyCell(wc, value=fr["fail_rate"])
        rate.number_format = PERCENT
        wc.append([safe_text(label), safe_text(fr["rubric"]), safe_text(fr["criterion"]),
                   fr["answers"], fr["fails"], rate])
    _table(wc, "FailureRates", RATE_COLUMNS, len(ordered) + 1)
    chart = BarChart()
    chart.type = "bar"
    chart.title = f"Failure rate per criterion ({today.isoformat()})"
    chart.legend = None
    # the numbers sit on a hidden sheet: plot them anyway (LibreOffice draws an empty chart
    # when only visible cells count)
    chart.visible_cells_only = False
    chart.y_axis.title = "fail rate"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.tickLblSkip = 1  # every label shown
    chart.x_axis.scaling.orientation = "maxMin"  # the highest rate at the top
    small = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=700)),
                                  endParaRPr=CharacterProperties(sz=700))])
    chart.x_axis.txPr = small
    if ordered:
        n = len(ordered) + 1
        chart.add_data(Reference(wc, min_col=6, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(wc, min_col=1, min_row=2, max_row=n))
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True  # the rate only (LibreOffice adds the names unless told)
        chart.dataLabels.showCatName = chart.dataLabels.showSerName = False
        chart.dataLabels.showLegendKey = chart.dataLabels.showPercent = False
        chart.dataLabels.numFmt = "0%"
        chart.dataLabels.txPr = small
        chart.gapWidth = 40
    chart.width, chart.height = 27.0, 17.5  # cm: A4 landscape inside the margins
    _one_page(chart_sheet, f"{title}: failure rates", today)
    chart_sheet.add_chart(chart, "A1")


_LEFTOVER = ".qa-export-"


def _clean_leftovers(path: Path) -> None:
    """Remove temporaries an earlier export of ``path`` left when it was killed (named
    ``.NAME.qa-export-PID.tmp``, PID no longer running)."""
    for old in path.parent.glob(f".{path.name}{_LEFTOVER}*.tmp"):
        try:
            pid = int(old.name[len(path.name) + len(_LEFTOVER) + 1:-4])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            old.unlink(missing_ok=True)
        except PermissionError:
            pass  # someone else's live process


def _link_unnamed(fd: int, target: Path) -> bool:
    """Give the unnamed (O_TMPFILE) file ``fd`` the name ``target``: linkat(2) with
    AT_SYMLINK_FOLLOW on /proc/self/fd, as open(2) documents (os.link does not pass the
    flag). False where that is not possible."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, at_symlink_follow = -100, 0x400
        done = libc.linkat(at_fdcwd, f"/proc/self/fd/{fd}".encode(), at_fdcwd,
                           os.fsencode(target), at_symlink_follow)
    except (OSError, AttributeError):
        return False
    return done == 0


def _save_atomically(wb: Any, path: Path, spools: Mapping[str, RowSpool]) -> None:
    """Build the package in unnamed temporary files and rename it over the target: a crash
    leaves the old workbook intact and no temporary file behind in the target's folder. The
    skeleton openpyxl writes never has a name; the final package (Linux, O_TMPFILE) gets one
    only between linking it in and the rename. Elsewhere it is written as
    ``.NAME.qa-export-PID.tmp`` and the next export removes it if a kill left it."""
    tmp = path.parent / f".{path.name}{_LEFTOVER}{os.getpid()}.tmp"
    with tempfile.TemporaryFile("w+b") as skeleton:
        wb.save(skeleton)
        skeleton.seek(0)
        try:
            fd = os.open(path.parent, os.O_TMPFILE | os.O_RDWR, 0o644)
        except (AttributeError, OSError):  # no unnamed files here
            fd = -1
        try:
            if fd >= 0:
                with os.fdopen(fd, "w+b") as out:
                    splice(skeleton, out, spools)
                    out.flush()
                    tmp.unlink(missing_ok=True)
                    linked = _link_unnamed(out.fileno(), tmp)
                    if not linked:
                        out.seek(0)
                        with open(tmp, "wb") as named:
                            shutil.copyfileobj(out, named, 1 << 20)
            else:
                with open(tmp, "w+b") as out:
                    splice(skeleton, out, spools)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def export_plan(
    store: Store, path: Path, *, open_only: bool = False, team: str | None = None,
    trainer: str | None = None, since: datetime | None = None, today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    actor: str,
) -> int:
    """Export stored assignments (and the criterion failure rates) to ``path``. Leads and
    trainers."""
    from .access import check
    from .coaching import count_assignments, criterion_failure_rates, iter_assignments

    actor = check(store, actor, "coaching.export").name
    total = count_assignments(store, open_only=open_only, team=team, trainer=trainer,
                              actor=actor)
    if progress is not None:
        progress("reading the store", 0, total)
    rates = criterion_failure_rates(store, since=since, actor=actor)
    rows = iter_assignments(store, open_only=open_only, team=team, trainer=trainer,
                            actor=actor)
    return write_workbook(path, rows, failure_rates=rates, today=today, progress=progress,
                          total=total)


def _unescape(text: str) -> str:
    """Undo ``safe_text``: the apostrophe it put before a formula character."""
    if text.startswith("'") and text[1:2] and text[1] in "".join(FORMULA_START):
        return text[1:]
    return text


def _read_date(raw: Any, where: str, today: date) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            raise InputError(f"{where}: field 'Completed on': {raw!r} is not a date "
                             "(YYYY-MM-DD)") from None
    if value > today:
        raise InputError(f"{where}: field 'Completed on': {value} is in the future")
    return value


def _read_ack(raw: Any, where: str) -> bool:
    text = " ".join(str(raw or "").split()).casefold()
    if text in ("", "no"):
        return False
    if text == "yes":
        return True
    raise InputError(f"{where}: field 'Acknowledged': {raw!r} is not Yes or No")


def _read_notes(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    text = _unescape(str(raw)).strip()
    if len(text) > NOTES_LIMIT:
        raise InputError(f"{where}: field 'Notes': {len(text)} characters, more than "
                         f"{NOTES_LIMIT}")
    return text or None


def read_edits(path: Path, *, today: date | None = None) -> list[RowEdit]:
    """The rows of the Assignments sheet as edits: Status, Completed on, Acknowledged and Notes
    (each when its column is there), with the Version each row was exported at. Any bad value
    is one InputError naming file, row and field."""
    from openpyxl import load_workbook

    today = today or datetime.now(timezone.utc).date()
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
        col: dict[str, int] = {name: header.index(name) for name in
               ("id", "status", "version", "completed on", "acknowledged", "notes")
               if name in header}
        for need in ("ID", "Status", "Version"):
            if need.casefold() not in col:
                raise InputError(f"{path}: row 1: field '{need}': missing column"
                                 + (" (export the workbook again)" if need == "Version" else ""))

        def cell(values: tuple[Any, ...], name: str) -> Any:
            k = col[name]
            return values[k] if k < len(values) else None

        out: list[RowEdit] = []
        seen: set[int] = set()
        for number, values in enumerate(rows, start=2):
            if not values or all(v is None or str(v).strip() == "" for v in values):
                continue
            where = f"{path}: row {number}"
            raw_id = cell(values, "id")
            try:
                assignment_id = int(str(raw_id).strip())
            except ValueError:
                raise InputError(
                    f"{where}: field 'ID': {raw_id!r} is not an assignment id") from None
            if assignment_id in seen:
                raise InputError(f"{where}: field 'ID': assignment {assignment_id} appears twice")
            seen.add(assignment_id)
            raw_version = cell(values, "version")
            try:
                version = int(str(raw_version).strip())
                if version < 1:
                    raise ValueError
            except ValueError:
                raise InputError(f"{where}: field 'Version': {raw_version!r} is not a version "
                                 "number (export the workbook again)") from None
            edit: dict[str, Any] = {"status": normalise_status(cell(values, "status"), where)}
            if "completed on" in col:
                edit["completed_on"] = _read_date(cell(values, "completed on"), where, today)
                if edit["completed_on"] is not None and edit["status"] != "Done":
                    raise InputError(f"{where}: field 'Completed on': set, but Status is "
                                     f"{edit['status']!r} (only a Done assignment is completed)")
            if "acknowledged" in col:
                edit["acknowledged"] = _read_ack(cell(values, "acknowledged"), where)
            if "notes" in col:
                edit["notes"] = _read_notes(cell(values, "notes"), where)
            out.append(RowEdit(assignment_id, edit, where, version))
        return out
    finally:
        wb.close()


def import_workbook(store: Store, path: Path, *, actor: str,
                    today: date | None = None) -> UpdateResult:
    """Read a trainer's workbook and apply Status, Completed on, Acknowledged and Notes, row by
    row under the rules of ``update_assignments`` (ownership, versions); nothing else changes.
    A bad value anywhere changes nothing; conflicting or refused rows are listed."""
    return update_assignments(store, read_edits(Path(path), today=today), actor=actor)


# ----------------------------------------------------------------------------- SLA workbook

SLA_FIGURES = (  # (row key, column label, number format)
    ("quality", "Quality", "0.0"), ("calibrated_quality", "Calibrated quality", "0.0"),
    ("critical_fail_rate", "Critical fail rate", PERCENT), ("csat", "CSAT", "0.00"),
    ("median_handle_time", "Median AHT (s)", "0"),
)
SLA_STATUS_FILL = {"met": "C6EFCE", "missed": "FFC7CE", "too close to tell": "FFEB9C",
                   "too few": "EDEDED"}


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def sla_columns() -> list[str]:
    cols = ["Site", "Period", "Evaluations"]
    for _key, label, _fmt in SLA_FIGURES:
        cols += [label, f"{label} low", f"{label} high", f"{label} target", f"{label} status"]
    return cols + ["Offset taken off", "QA–CSAT rho", "rho low", "rho high", "rho n"]


def write_sla_workbook(path: Path, rows: Sequence[Mapping[str, Any]], *,
                       today: date | None = None) -> int:
    """The SLA report as a workbook: one row per site and period, every figure with its
    interval, target and status (coloured), as an Excel Table that prints one page wide."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    today = today or datetime.now(timezone.utc).date()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(path)
    cols = sla_columns()
    body: list[list[Any]] = []
    for r in rows:
        line: list[Any] = [safe_text(r["site"]), r["period"], r["evaluations"]]
        for key, _label, fmt in SLA_FIGURES:
            fig = r.get(key) or {}
            values = [_number(fig.get(k)) for k in ("value", "ci_low", "ci_high")]
            line += [(v, fmt) for v in values] + [fig.get("target"), fig.get("status") or ""]
        rho = r["qa_csat_correlation"]
        line += [_number((r.get("calibrated_quality") or {}).get("offset")),
                 *[(_number(rho[k]), "0.00") for k in ("value", "ci_low", "ci_high")],
                 rho["n"]]
        body.append(line)
    widths = [max([len(str(x[0] if isinstance(x, tuple) else x)) for x in column] + [4])
              for column in zip(*body, strict=True)] if body else [4] * len(cols)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("SLA")
    _sheet(ws, cols, widths, "Quality SLAs per site and period", today)
    for line in body:
        cells = []
        for value in line:
            if isinstance(value, tuple):
                cell = WriteOnlyCell(ws, value=value[0])
                cell.number_format = value[1]
                cells.append(cell)
            else:
                cells.append(_text_cell(ws, value) if isinstance(value, str) else value)
        ws.append(cells)
    last = len(body) + 1
    _table(ws, "SLA", cols, last)
    for n, col in enumerate(cols, start=1):
        if col.endswith(" status"):
            for status, colour in SLA_STATUS_FILL.items():
                ws.conditional_formatting.add(
                    f"{_col(n)}2:{_col(n)}{max(last, 2)}",
                    CellIsRule(operator="equal", formula=[f'"{status}"'],
                               fill=PatternFill("solid", fgColor=colour)))
    _save_atomically(wb, path, {})
    return len(body)

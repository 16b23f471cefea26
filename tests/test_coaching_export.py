"""Coaching plans from findings, the trainers' workbook, and the status round trip."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date

import pytest
from helpers import FULL_PASS, LEAD, seed_basics, write_history_csv
from openpyxl import load_workbook
from sqlmodel import select

from qa_calibrate import coaching
from qa_calibrate import models as m
from qa_calibrate.errors import InputError, PermissionDenied
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.export_xlsx import (
    ASSIGNMENT_COLUMNS,
    export_plan,
    import_workbook,
    safe_text,
    write_workbook,
)
from qa_calibrate.people import add_evaluator

TODAY = date(2026, 11, 2)
HEADERS = [h for h, _k, _w in ASSIGNMENT_COLUMNS]
STATUS, DONE_ON, ACK, NOTES, VERSION = (HEADERS.index(h) + 1 for h in (
    "Status", "Completed on", "Acknowledged", "Notes", "Version"))


@pytest.fixture
def scored(store, tmp_path):
    """Six interactions by three agents; Agent 0 fails empathy every time and Agent 1 once
    fails the critical verify_identity."""
    ids = seed_basics(store, n_interactions=12)
    rows = []
    for n, ext in enumerate(ids):
        agent = n % 3
        answers = dict(FULL_PASS)
        if agent == 0:
            answers["empathy"] = 1
        if agent == 1 and n == 1:
            answers["verify_identity"] = "no"
        for key, value in answers.items():
            rows.append((ext, "Ann", key, value, f"2026-10-{n + 1:02d}T10:00:00+00:00",
                         "=HYPERLINK(\"http://x\")" if key == "empathy" and agent == 0 else ""))
    path = tmp_path / "history.csv"
    write_history_csv(path, rows)
    import_evaluations(store, [path], actor=LEAD)
    return store


def test_plan_assigns_modules_and_never_duplicates_open_ones(scored):
    settings = coaching.CoachingSettings(min_answers=3, fail_threshold=0.25)
    made = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    rows = made.assignments
    assert made.saved and made.created == rows  # a first plan: every open one is new
    by = {(r.assignee, r.module_id): r for r in rows}
    assert ("Agent 0", "MOD-EMP") in by
    assert by[("Agent 0", "MOD-EMP")].evidence.criteria[0].rate == 1.0
    assert by[("Agent 0", "MOD-EMP")].kind == "refresher"
    # one critical fail is a review of that contact with the lead, due in three days
    review = by[("Agent 1", "CRITICAL-REVIEW")]
    assert review.kind == "critical_review" and review.evidence.contact == "crm:C-001"
    assert review.priority == "high" and review.due_on == date(2026, 11, 5)
    assert review.trainer == LEAD
    assert ("Agent 1", "MOD-VER") not in by
    assert not any(a == "Agent 2" for a, _ in by)
    again = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    assert len(again) == len(rows) and again.created == ()  # nothing new: all still open
    # once Done, the same finding may be assigned again
    first = rows[0].id
    coaching.set_statuses(scored, {first: ("Done", "test")}, actor=LEAD)
    third = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    assert len(third) == len(rows)
    assert first not in [r.id for r in third]
    assert [(r.kind, r.assignee) for r in third.created] == [(rows[0].kind, rows[0].assignee)]


def test_workbook_has_the_sheets_types_validation_and_escapes_formulas(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    hostile = coaching.AssignmentView(
        id=999, kind="refresher", assignee="=1+2", role="agent", team="+team", site="@site",
        module_id="-M", module_title="\tTab", reason="\rCR", evidence=coaching.Evidence(),
        priority="low", assigned_on=TODAY, due_on=date(2026, 1, 1), trainer="T",
        status="Not started", completed_on=None, acknowledged=False, notes=None, version=1)
    rows = coaching.list_assignments(scored, actor=LEAD) + [hostile]
    out = tmp_path / "plan.xlsx"
    write_workbook(out, rows, failure_rates=coaching.criterion_failure_rates(scored, actor=LEAD),
                   today=TODAY)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Assignments", "By trainer", "Evidence", "Failure rate data",
                             "Failure rates"]
    ws = wb["Assignments"]
    # each data sheet is an Excel Table whose range covers the rows spliced in after saving
    for name, table in (("Assignments", "Assignments"), ("By trainer", "ByTrainer"),
                        ("Evidence", "Evidence"), ("Failure rate data", "FailureRates")):
        sheet = wb[name]
        assert sheet.tables[table].ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}"\
            f"{sheet.max_row}"
        assert [c.name for c in sheet.tables[table].tableColumns] == [
            c.value for c in sheet[1]]
        assert sheet.tables[table].tableStyleInfo.name == "TableStyleMedium2"
        # landscape, one page wide, header row repeated, title and date in the header
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
        assert "exported 2026-11-02" in sheet.oddHeader.right.text
        assert "Coaching plan" in sheet.oddHeader.left.text
    assert ws.max_row == len(rows) + 1
    header = [c.value for c in ws[1]]
    assert header[:3] == ["ID", "Kind", "Assignee"] and header[-1] == "Version"
    col = {h: n for n, h in enumerate(header, start=1)}
    assert ws.column_dimensions["R"].hidden  # Version: the importer's lock, out of the way
    assert ws.freeze_panes == "A2"
    assert ws.cell(row=2, column=col["Assigned on"]).is_date
    dvs = {str(dv.sqref)[0]: dv for dv in
           ws.data_validations.dataValidation}
    assert dvs["N"].formula1 == '"Not started,In progress,Done"'
    assert dvs["P"].formula1 == '"Yes,No"' and dvs["O"].type == "date"
    assert len(ws.conditional_formatting) == 1
    # widths from the content: wide enough for the header and the longest value, within bounds
    widths = {h: ws.column_dimensions[ws.cell(1, n).column_letter].width
              for h, n in col.items()}
    assert widths["Acknowledged"] >= len("Acknowledged") + 2
    longest_reason = max(len(r.reason) for r in rows)
    assert widths["Reason"] == min(longest_reason + 2, 70)
    assert widths["ID"] < widths["Assignee"]
    # rates are percentages
    ev = wb["Evidence"]
    ev_col = {c.value: c.column for c in ev[1]}
    rated = [ev.cell(r, ev_col["Rate"]) for r in range(2, ev.max_row + 1)
             if ev.cell(r, ev_col["Rate"]).value is not None]
    assert rated and all(c.number_format == "0.0%" for c in rated)
    # the per-trainer view: every assignment, sorted by trainer
    bt = wb["By trainer"]
    trainers = [bt.cell(r, 1).value or "" for r in range(2, bt.max_row + 1)]
    assert trainers == sorted(trainers) and len(trainers) == len(rows)
    # the chart: on a chart sheet of its own, data sorted by fail rate with rubric: criterion
    data = wb["Failure rate data"]
    rates = [data.cell(r, 6).value for r in range(2, data.max_row + 1)]
    assert rates == sorted(rates, reverse=True) and data.cell(2, 6).number_format == "0.0%"
    assert all(":" in data.cell(r, 1).value for r in range(2, data.max_row + 1))
    last = ws.max_row
    values = {c.value for c in ws[last]}
    for text in ("'=1+2", "'+team", "'@site", "'-M", "'\tTab"):
        assert text in values
    # XML turns a stored carriage return into a line feed on reading; the apostrophe stays
    assert {"'\rCR", "'\nCR"} & values
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    # hostile text that arrived through the store (an evaluator's comment is not exported, but
    # assignee/team/reason are) is escaped too
    assert safe_text("=SUM(A1)") == "'=SUM(A1)" and safe_text("ok") == "ok"
    assert len(wb["Failure rates"]._charts) == 1
    chart = wb["Failure rates"]._charts[0]
    assert chart.x_axis.tickLblSkip == 1 and chart.x_axis.delete is False
    assert wb["By trainer"].max_row >= 2
    assert wb["Evidence"].max_row >= 2


def test_status_round_trip_changes_only_status(scored, tmp_path):
    rows = coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                         today=TODAY).assignments
    out = tmp_path / "plan.xlsx"
    write_workbook(out, coaching.list_assignments(scored, actor=LEAD), today=TODAY)
    wb = load_workbook(out)
    ws = wb["Assignments"]
    ws.cell(row=2, column=STATUS).value = "In progress"
    ws.cell(row=2, column=3).value = "Someone Else"  # edits outside the editable columns
    wb.save(out)
    assert import_workbook(scored, out, actor=LEAD).changed == 1
    after = coaching.get_assignment(scored, rows[0].id, actor=LEAD)
    assert after.status == "In progress" and after.assignee == rows[0].assignee
    assert after.version == 2
    with scored.session() as s:
        assert s.exec(select(m.AuditLog).where(m.AuditLog.action == "status")).one()


def test_unknown_row_or_status_is_one_error_and_changes_nothing(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    out = tmp_path / "plan.xlsx"
    write_workbook(out, coaching.list_assignments(scored, actor=LEAD), today=TODAY)
    wb = load_workbook(out)
    ws = wb["Assignments"]
    ws.cell(row=2, column=STATUS).value = "Done"
    original_id = ws.cell(row=3, column=1).value
    ws.cell(row=3, column=1).value = 4242
    wb.save(out)
    with pytest.raises(InputError, match=r"row 3: field 'ID': no assignment 4242"):
        import_workbook(scored, out, actor=LEAD)
    assert all(r.status == "Not started" for r in coaching.list_assignments(scored, actor=LEAD))
    ws.cell(row=3, column=1).value = original_id
    ws.cell(row=3, column=STATUS).value = "Finished"
    wb.save(out)
    with pytest.raises(InputError, match=r"row 3: field 'Status'"):
        import_workbook(scored, out, actor=LEAD)
    assert all(r.status == "Not started" for r in coaching.list_assignments(scored, actor=LEAD))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_the_workbook(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    rows = coaching.list_assignments(scored, actor=LEAD)
    rows[0] = dataclasses.replace(rows[0], reason="=1+1")
    out = tmp_path / "plan.xlsx"
    write_workbook(out, rows, today=TODAY)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=120)
    text = (tmp_path / "plan.csv").read_text(encoding="utf-8", errors="replace")
    assert "Assignee" in text and rows[0].assignee in text
    assert "'=1+1" in text or "=1+1" in text
    assert ",2," not in text.split("\n")[1]  # the formula was not computed


def _pdf_pages(pdf) -> int:
    """Pages of a PDF: pdfinfo when installed, else its /Type /Page objects."""
    import re

    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_the_sample_plan_prints_on_four_pages(store, tmp_path):
    """The sample's plan, exported and printed by LibreOffice: one page per sheet."""
    from conftest import ROOT

    from qa_calibrate.demo import load_sample_data
    from qa_calibrate.export_xlsx import export_plan

    load_sample_data(store, sample_dir=ROOT / "sample_data", rubrics_dir=ROOT / "rubrics",
                     actor="test")
    rows = coaching.plan(store, actor="Dana Whitfield", today=TODAY)
    assert len(rows) >= 8
    out = tmp_path / "sample_plan.xlsx"
    assert export_plan(store, out, today=TODAY, actor="Dana Whitfield") == len(rows)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180)
    pages = _pdf_pages(tmp_path / "sample_plan.pdf")
    assert 1 <= pages <= 4, pages
    if shutil.which("pdftotext"):  # the chart is drawn on its page, not a blank sheet
        last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages),
                               str(tmp_path / "sample_plan.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Failure rate per criterion" in last
        assert "chat_support: verify_identity" in last and "%" in last


def _own(store, trainers=("Tess Trainer", "Tina Trainer", LEAD)):
    """Three open assignments, one owned by each of ``trainers``."""
    with store.session() as s:
        for n, trainer in enumerate(trainers):
            s.add(m.Assignment(kind="refresher", assignee=f"Agent {n}", role="agent",
                               module_id="MOD-EMP", module_title="Empathy", reason="r",
                               evidence="{}", priority="medium", assigned_on=date(2026, 10, 1),
                               due_on=date(2026, 10, 15), trainer=trainer,
                               status="Not started", dedupe_key=f"k{n}"))
    return {r.trainer: r.id for r in coaching.list_assignments(store, actor=LEAD)}


@pytest.fixture
def owned(store):
    seed_basics(store)
    add_evaluator(store, "Tina Trainer", role="trainer", actor=LEAD)
    return store, _own(store)


def _edit(path, changes):
    """Edit cells of the Assignments sheet: {(assignment id, header): value}."""
    wb = load_workbook(path)
    ws = wb["Assignments"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for (assignment_id, header), value in changes.items():
        ws.cell(rows[assignment_id], HEADERS.index(header) + 1).value = value
    wb.save(path)


def test_two_copies_of_one_export_the_older_changes_nothing_it_would_overwrite(owned, tmp_path):
    store, ids = owned
    tess, lead = ids["Tess Trainer"], ids[LEAD]
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    export_plan(store, first, today=TODAY, actor=LEAD)
    shutil.copy(first, second)
    # the first trainer marks an assignment Done, with the date, a note and the agent's word
    _edit(first, {(tess, "Status"): "Done", (tess, "Completed on"): date(2026, 10, 20),
                  (tess, "Notes"): "+ went well, follow up in a month",
                  (tess, "Acknowledged"): "Yes"})
    done = import_workbook(store, first, actor="Tess Trainer", today=TODAY)
    assert (done.changed, done.refused) == (1, [])
    after_first = coaching.get_assignment(store, tess, actor=LEAD)
    assert (after_first.status, after_first.completed_on, after_first.notes,
            after_first.acknowledged, after_first.version) == (
        "Done", date(2026, 10, 20), "+ went well, follow up in a month", True, 2)
    # the lead's copy is older: it would put the row back to In progress — a conflict, and
    # nothing of that row changes; its other (unchanged since the export) row is applied
    _edit(second, {(tess, "Status"): "In progress", (tess, "Notes"): "lead's note",
                   (lead, "Status"): "In progress"})
    result = import_workbook(store, second, actor=LEAD, today=TODAY)
    assert result.changed == 1 and len(result.refused) == 1
    assert f"assignment {tess} changed since this workbook was exported" in result.refused[0]
    assert "version 1 in the file, 2 in the store" in result.refused[0]
    assert "Status 'In progress' in the file, 'Done' in the store" in result.refused[0]
    assert result.refused[0].startswith(f"{second}: row ")
    assert coaching.get_assignment(store, tess, actor=LEAD) == after_first
    assert coaching.get_assignment(store, lead, actor=LEAD).status == "In progress"
    # an older row whose values equal the store's is no conflict: importing the first copy
    # again (its row for Tess is version 1 but says what the store says) changes nothing; its
    # row for the lead's assignment (Not started, since changed by the lead) is not Tess's to
    # change: with nothing of hers left to change, the whole file is refused
    with pytest.raises(PermissionDenied, match=f"assignment {lead} belongs to {LEAD}"):
        import_workbook(store, first, actor="Tess Trainer", today=TODAY)
    assert coaching.get_assignment(store, tess, actor=LEAD) == after_first
    # the formula-looking note goes out escaped and comes back as it was
    export_plan(store, tmp_path / "third.xlsx", today=TODAY, actor=LEAD)
    assert import_workbook(store, tmp_path / "third.xlsx", actor=LEAD,
                           today=TODAY).changed == 0
    assert load_workbook(tmp_path / "third.xlsx")["Assignments"].cell(
        2, NOTES).value == "'+ went well, follow up in a month"
    assert coaching.get_assignment(store, tess, actor=LEAD).notes == \
        "+ went well, follow up in a month"


def test_a_trainer_changes_only_their_own_rows_a_lead_any_an_evaluator_none(owned, tmp_path):
    from qa_calibrate.errors import PermissionDenied

    store, ids = owned
    out = tmp_path / "plan.xlsx"
    export_plan(store, out, today=TODAY, actor=LEAD)
    _edit(out, {(ids["Tess Trainer"], "Status"): "In progress",
                (ids["Tina Trainer"], "Status"): "Done",
                (ids[LEAD], "Acknowledged"): "Yes"})
    before = coaching.list_assignments(store, actor=LEAD)
    # an evaluator changes nothing at all
    with pytest.raises(PermissionDenied,
                       match="Ann is evaluator: cannot change assignment statuses"):
        import_workbook(store, out, actor="Ann", today=TODAY)
    assert coaching.list_assignments(store, actor=LEAD) == before
    # Tina's own row is applied; Tess's and the lead's rows are refused, row by row
    tina = import_workbook(store, out, actor="Tina Trainer", today=TODAY)
    assert tina.changed == 1 and len(tina.refused) == 2
    assert any(f"assignment {ids['Tess Trainer']} belongs to Tess Trainer" in line
               for line in tina.refused)
    assert any(f"assignment {ids[LEAD]} belongs to {LEAD}" in line for line in tina.refused)
    assert coaching.get_assignment(store, ids["Tina Trainer"], actor=LEAD).status == \
        "Done"
    assert coaching.get_assignment(store, ids["Tess Trainer"], actor=LEAD).status == \
        "Not started"
    # the core refuses it whatever the door: set_statuses too, all or nothing
    with pytest.raises(PermissionDenied, match="belongs to Tess Trainer"):
        coaching.set_statuses(store, {ids["Tess Trainer"]: ("Done", "tui")},
                              actor="Tina Trainer")
    assert coaching.get_assignment(store, ids["Tess Trainer"], actor=LEAD).status == \
        "Not started"
    with pytest.raises(PermissionDenied):
        coaching.set_statuses(store, {ids["Tess Trainer"]: ("Done", "tui")}, actor="Bob")
    # another spelling of a trainer's name is that trainer, not an unknown local operator
    with pytest.raises(PermissionDenied, match="belongs to Tess Trainer"):
        coaching.set_statuses(store, {ids["Tess Trainer"]: ("Done", "tui")},
                              actor="  tina   TRAINER ")
    # the lead changes anyone's rows (Tina's row is older in the file now, but says what the
    # store says: no conflict)
    lead = import_workbook(store, out, actor=LEAD, today=TODAY)
    assert (lead.changed, lead.refused) == (2, [])
    assert coaching.get_assignment(store, ids["Tess Trainer"], actor=LEAD).status == \
        "In progress"
    assert coaching.get_assignment(store, ids[LEAD], actor=LEAD).acknowledged is True
    with store.session() as s:
        logged = s.exec(select(m.AuditLog).where(m.AuditLog.entity == "assignment",
                                                 m.AuditLog.action.in_(["status", "update"]))
                        ).all()
    assert sorted(e.actor for e in logged) == [LEAD, LEAD, "Tina Trainer"]


@pytest.mark.parametrize(("header", "value", "message"), [
    ("Completed on", "next week", r"row 2: field 'Completed on': 'next week' is not a date"),
    ("Completed on", date(2027, 1, 1), r"row 2: field 'Completed on': 2027-01-01 is in the"),
    ("Completed on", date(2026, 9, 1), r"row 2: field 'Completed on': 2026-09-01 is before"),
    ("Acknowledged", "maybe", r"row 2: field 'Acknowledged': 'maybe' is not Yes or No"),
    ("Notes", "x" * 2001, r"row 2: field 'Notes': 2001 characters"),
    ("Version", "two", r"row 2: field 'Version': 'two' is not a version number"),
    ("Version", 9, r"row 2: field 'Version': 9 is newer than the store's 1"),
])
def test_bad_tracking_values_are_one_error_and_change_nothing(owned, tmp_path, header, value,
                                                              message):
    store, ids = owned
    out = tmp_path / "plan.xlsx"
    export_plan(store, out, today=TODAY, actor=LEAD)
    first = ids["Tess Trainer"]
    edits = {(ids[LEAD], "Status"): "In progress", (first, header): value}
    if header == "Completed on":
        edits[(first, "Status")] = "Done"
    _edit(out, edits)
    before = coaching.list_assignments(store, actor=LEAD)
    with pytest.raises(InputError, match=message):
        import_workbook(store, out, actor=LEAD, today=TODAY)
    assert coaching.list_assignments(store, actor=LEAD) == before


def test_completion_date_needs_done_and_the_version_column_is_required(owned, tmp_path):
    store, ids = owned
    out = tmp_path / "plan.xlsx"
    export_plan(store, out, today=TODAY, actor=LEAD)
    _edit(out, {(ids["Tess Trainer"], "Completed on"): date(2026, 10, 20)})
    with pytest.raises(InputError, match=r"row 2: field 'Completed on': set, but Status is "
                                         r"'Not started'"):
        import_workbook(store, out, actor=LEAD, today=TODAY)
    wb = load_workbook(out)
    wb["Assignments"].delete_cols(VERSION)
    wb.save(out)
    with pytest.raises(InputError, match=r"row 1: field 'Version': missing column"):
        import_workbook(store, out, actor=LEAD, today=TODAY)

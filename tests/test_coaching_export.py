"""Coaching plans from findings, the trainers' workbook, and the status round trip."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from helpers import FULL_PASS, LEAD, seed_basics, write_history_csv
from openpyxl import load_workbook
from sqlmodel import select

from qa_calibrate import coaching
from qa_calibrate import models as m
from qa_calibrate.errors import InputError
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.export_xlsx import import_statuses, safe_text, write_workbook

TODAY = date(2026, 11, 2)


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
    rows = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    by = {(r["assignee"], r["module_id"]): r for r in rows}
    assert ("Agent 0", "MOD-EMP") in by
    assert by[("Agent 0", "MOD-EMP")]["evidence"]["criteria"][0]["rate"] == 1.0
    assert ("Agent 1", "MOD-VER") in by  # one critical fail always counts
    assert by[("Agent 1", "MOD-VER")]["priority"] == "high"
    assert by[("Agent 1", "MOD-VER")]["due_on"] == date(2026, 11, 9)
    assert not any(a == "Agent 2" for a, _ in by)
    again = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    assert len(again) == len(rows)
    # once Done, the same finding may be assigned again
    first = rows[0]["id"]
    coaching.set_statuses(scored, {first: ("Done", "test")}, actor=LEAD)
    third = coaching.plan(scored, actor=LEAD, settings=settings, today=TODAY)
    assert len(third) == len(rows)
    assert first not in [r["id"] for r in third]


def test_workbook_has_the_sheets_types_validation_and_escapes_formulas(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    hostile = {"id": 999, "assignee": "=1+2", "role": "agent", "team": "+team", "site": "@site",
               "module_id": "-M", "module_title": "\tTab", "reason": "\rCR", "priority": "low",
               "assigned_on": TODAY, "due_on": date(2026, 1, 1), "trainer": "T",
               "status": "Not started", "evidence": {}}
    rows = coaching.list_assignments(scored, actor=LEAD) + [hostile]
    out = tmp_path / "plan.xlsx"
    write_workbook(out, rows, failure_rates=coaching.criterion_failure_rates(scored), today=TODAY)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Assignments", "By trainer", "Evidence", "Failure rates"]
    ws = wb["Assignments"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["ID", "Assignee", "Role"] and header[-1] == "Status"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:M")
    assert ws.cell(row=2, column=10).is_date
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].formula1 == '"Not started,In progress,Done"'
    assert len(ws.conditional_formatting) == 1
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
    assert wb["By trainer"].max_row >= 2
    assert wb["Evidence"].max_row >= 2


def test_status_round_trip_changes_only_status(scored, tmp_path):
    rows = coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                         today=TODAY)
    out = tmp_path / "plan.xlsx"
    write_workbook(out, coaching.list_assignments(scored, actor=LEAD), today=TODAY)
    wb = load_workbook(out)
    ws = wb["Assignments"]
    ws.cell(row=2, column=13).value = "In progress"
    ws.cell(row=2, column=2).value = "Someone Else"  # edits outside Status are ignored
    wb.save(out)
    assert import_statuses(scored, out, actor=LEAD) == 1
    after = coaching.get_assignment(scored, rows[0]["id"], actor=LEAD)
    assert after["status"] == "In progress" and after["assignee"] == rows[0]["assignee"]
    with scored.session() as s:
        assert s.exec(select(m.AuditLog).where(m.AuditLog.action == "status")).one()


def test_unknown_row_or_status_is_one_error_and_changes_nothing(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    out = tmp_path / "plan.xlsx"
    write_workbook(out, coaching.list_assignments(scored, actor=LEAD), today=TODAY)
    wb = load_workbook(out)
    ws = wb["Assignments"]
    ws.cell(row=2, column=13).value = "Done"
    original_id = ws.cell(row=3, column=1).value
    ws.cell(row=3, column=1).value = 4242
    wb.save(out)
    with pytest.raises(InputError, match=r"row 3: field 'ID': no assignment 4242"):
        import_statuses(scored, out, actor=LEAD)
    assert all(r["status"] == "Not started" for r in coaching.list_assignments(scored, actor=LEAD))
    ws.cell(row=3, column=1).value = original_id
    ws.cell(row=3, column=13).value = "Finished"
    wb.save(out)
    with pytest.raises(InputError, match=r"row 3: field 'Status'"):
        import_statuses(scored, out, actor=LEAD)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_the_workbook(scored, tmp_path):
    coaching.plan(scored, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3),
                  today=TODAY)
    rows = coaching.list_assignments(scored, actor=LEAD)
    rows[0]["reason"] = "=1+1"
    out = tmp_path / "plan.xlsx"
    write_workbook(out, rows, today=TODAY)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=120)
    text = (tmp_path / "plan.csv").read_text(encoding="utf-8", errors="replace")
    assert "Assignee" in text and rows[0]["assignee"] in text
    assert "'=1+1" in text or "=1+1" in text
    assert ",2," not in text.split("\n")[1]  # the formula was not computed

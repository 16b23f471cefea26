"""Drift read from the store on both backends: a planted lenient drift is found on the right
criterion near the right date, and nobody else is flagged; a raised flag is kept, with its
dates, until a lead clears it, and a later signal after the clearing raises a new one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DATA
from helpers import write_history_csv
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate.audit import list_audit
from qa_calibrate.cli import cli
from qa_calibrate.drift import DriftSettings, _kept_flags, clear_flag, detect_drift
from qa_calibrate.errors import Conflict, InputError, NotFound, PermissionDenied
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.people import add_evaluator
from qa_calibrate.rubric import load_rubric_paths

ONSET = date(2026, 6, 1)


@pytest.fixture
def history(store, tmp_path):
    load_rubric_paths(store, [DATA / "mini_rubric.yaml", DATA / "mini_modules.yaml"],
                      actor="test")
    people = ["Ann", "Bob", "Cy", "Dee", "Eve"]
    for p in people:
        add_evaluator(store, p, actor="test")
    rng = np.random.default_rng(42)
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    n = 1000
    with store.session() as s:
        for i in range(n):
            s.add(m.Interaction(source="crm", external_id=f"H-{i:05d}", channel="chat",
                                agent=f"Agent {i % 12}", team=("Billing", "Tech")[i % 2],
                                started_at=start + timedelta(hours=6 * i)))
    rows = []
    for i in range(n):
        who = people[i % len(people)]
        when = start + timedelta(hours=6 * i + 2)
        fail_rate = 0.3
        if who == "Ann" and when.date() >= ONSET:
            fail_rate = 0.03  # Ann stops failing identity checks: lenient
        verify = "no" if rng.random() < fail_rate else "yes"
        for key, value in (("greeting", "yes" if rng.random() < 0.95 else "no"),
                           ("verify_identity", verify), ("empathy", int(rng.integers(2, 6))),
                           ("accuracy", 4), ("hold_etiquette", "n/a")):
            rows.append((f"H-{i:05d}", who, key, value, when.isoformat()))
    path = tmp_path / "history.csv"
    write_history_csv(path, rows)
    import_evaluations(store, [path], actor="test")  # setup: the store has no lead yet
    add_evaluator(store, "Lena Lead", role="lead", actor="test")
    add_evaluator(store, "Tess Trainer", role="trainer", actor="Lena Lead")
    return store


def test_planted_drift_is_found_and_nobody_else(history):
    flags = detect_drift(history, actor="Lena Lead")
    assert [(f.evaluator, f.criterion, f.direction) for f in flags] == [
        ("Ann", "verify_identity", "lenient")]
    f = flags[0]
    onset = date.fromisoformat(f.onset_date)
    assert abs((onset - ONSET).days) <= 21
    assert date.fromisoformat(f.first_date) >= onset
    assert f.size < -15 and f.evidence_count >= 10 and len(f.examples) == 5
    assert all(e.startswith("crm:H-") for e in f.examples)
    assert len(f.trend) > 100
    with history.session() as s:
        assert s.exec(select(m.Evaluation)).first() is not None
    assert detect_drift(history, actor="Lena Lead", evaluator="Bob") == []
    assert detect_drift(history, actor="Lena Lead", since=datetime(2026, 12, 1)) == []


def _rows(store):
    with store.read() as s:
        return s.exec(select(m.DriftFlag)).all()


def test_a_raised_flag_is_kept_until_a_lead_clears_it(history):
    # other settings than the stated rate show what they would flag and keep nothing
    what_if = detect_drift(history, actor="Lena Lead", settings=DriftSettings(threshold=4.0))
    assert what_if and all(f.id is None for f in what_if)
    assert _rows(history) == []
    first = detect_drift(history, actor="Lena Lead")
    assert len(first) == 1 and first[0].id is not None and first[0].standing
    flag = first[0]
    # run again (by the trainer, too): the same flag, not a second one
    again = detect_drift(history, actor="Tess Trainer")
    assert [(f.id, f.onset_date, f.first_date) for f in again] == [
        (flag.id, flag.onset_date, flag.first_date)]
    assert len(_rows(history)) == 1
    assert again[0].trend  # the chart's trend comes with the kept flag
    with pytest.raises(PermissionDenied, match="cannot clear a drift flag"):
        clear_flag(history, flag.id, note="fine", actor="Tess Trainer")
    with pytest.raises(PermissionDenied):
        clear_flag(history, flag.id, note="fine", actor="Bob")
    with pytest.raises(InputError, match="needs a note"):
        clear_flag(history, flag.id, note="  ", actor="Lena Lead")
    with pytest.raises(NotFound):
        clear_flag(history, 999, note="x", actor="Lena Lead")
    assert _rows(history)[0].cleared_at is None
    done = clear_flag(history, flag.id, note="recalibrated with Ann on 1 Oct", actor="Lena Lead")
    assert (done.cleared_by, done.clear_note) == ("Lena Lead", "recalibrated with Ann on 1 Oct")
    with pytest.raises(Conflict, match="cleared already"):
        clear_flag(history, flag.id, note="again", actor="Lena Lead")
    # cleared: no longer standing, and the same signals do not raise it again
    assert detect_drift(history, actor="Lena Lead") == []
    shown = detect_drift(history, actor="Lena Lead", include_cleared=True)
    assert [(f.id, f.standing, f.clear_note) for f in shown] == [
        (flag.id, False, "recalibrated with Ann on 1 Oct")]
    log = [(a.action, a.actor) for a in list_audit(history, entity="drift_flag",
                                                           actor="Lena Lead")]
    assert log == [("raise", "Lena Lead"), ("clear", "Lena Lead")]
    # after the clearing: a re-signal dated before it is covered, a later signal is a new flag
    found = replace(flag, id=None)  # the signal as the detector finds it
    resignal = replace(found, first_date=(date.fromisoformat(flag.first_date)
                                          + timedelta(days=3)).isoformat())
    later = replace(found, onset_date="2099-01-02", first_date="2099-01-20")
    kept = _kept_flags(history, [found, resignal], actor="Lena Lead")
    assert [f.id for f in kept if f.standing] == []  # before the clearing: covered by it
    kept = _kept_flags(history, [found, resignal, later], actor="Lena Lead")
    standing = [f for f in kept if f.standing]
    assert [(f.onset_date, f.first_date) for f in standing] == [("2099-01-02", "2099-01-20")]
    assert standing[0].id != flag.id and len(_rows(history)) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the store is tested above
def test_drift_and_drift_clear_from_the_cli(history):
    def run(*args, actor="Lena Lead"):
        return CliRunner().invoke(cli, ["--db", history.url, "--as", actor, *args])

    r = run("drift", "--format", "json")
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.stdout)
    assert row["evaluator"] == "Ann" and row["id"] >= 1 and row["cleared_at"] is None
    r = run("drift", "clear", str(row["id"]), "--note", "recalibrated", actor="Tess Trainer")
    assert r.exit_code == 3 and r.stderr.startswith("error:") and r.stdout == ""
    r = run("drift", "clear", str(row["id"]))
    assert r.exit_code == 2 and "--note" in r.output
    r = run("drift", "clear", str(row["id"]), "--note", "recalibrated")
    assert r.exit_code == 0 and f"cleared drift flag {row['id']}" in r.stdout
    assert json.loads(run("drift", "--format", "json").stdout) == []
    r = run("drift", "--all", "--format", "csv")
    assert r.exit_code == 0 and "recalibrated" in r.stdout
    r = run("drift", "--threshold", "4")
    assert r.exit_code == 0 and "not kept" in r.stderr

"""Drift read from the store on both backends: a planted lenient drift is found on the right
criterion near the right date, and nobody else is flagged."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from conftest import DATA
from helpers import write_history_csv
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate.drift import detect_drift
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

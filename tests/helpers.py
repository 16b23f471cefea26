"""Small builders shared by tests: a rubric, people and interactions without the importers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import DATA

from qa_calibrate import models as m
from qa_calibrate.people import add_evaluator
from qa_calibrate.rubric import load_rubric_paths
from qa_calibrate.store import Store

LEAD = "Lena Lead"
EVALUATORS = ["Ann", "Bob", "Cy"]


def seed_basics(store: Store, n_interactions: int = 6) -> list[str]:
    """Load the mini rubric, a lead, three evaluators and ``n`` chat interactions."""
    load_rubric_paths(store, [DATA / "mini_rubric.yaml", DATA / "mini_modules.yaml"],
                      actor="test")
    add_evaluator(store, LEAD, role="lead", site="Leeds", actor="test")  # open: no lead yet
    for name in EVALUATORS:
        add_evaluator(store, name, role="evaluator", site="Leeds", actor=LEAD)
    add_evaluator(store, "Tess Trainer", role="trainer", actor=LEAD)
    start = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)
    ids = []
    with store.session() as s:
        for n in range(n_interactions):
            ext = f"C-{n:03d}"
            i = m.Interaction(source="crm", external_id=ext, channel="chat",
                              agent=f"Agent {n % 3}", team="Tech" if n % 3 == 2 else "Billing",
                              site="Leeds", started_at=start + timedelta(hours=n))
            s.add(i)
            s.flush()
            s.add(m.Turn(interaction_id=i.id, seq=0, speaker="customer", text="Hello"))
            s.add(m.Turn(interaction_id=i.id, seq=1, speaker="agent", text="Hi, how can I help?"))
            ids.append(ext)
    return ids


def write_history_csv(path, rows) -> None:
    """Write a long-format evaluations CSV: rows of (interaction, evaluator, criterion, value,
    scored_at[, comment])."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["interaction", "source", "evaluator", "rubric", "criterion", "value",
                    "comment", "root_cause", "scored_at", "session"])
        for r in rows:
            interaction, evaluator, criterion, value, scored_at = r[:5]
            comment = r[5] if len(r) > 5 else ""
            w.writerow([interaction, "crm", evaluator, "mini", criterion, value, comment, "",
                        scored_at, ""])


FULL_PASS = {"greeting": "yes", "verify_identity": "yes", "empathy": 4, "accuracy": 4,
             "hold_etiquette": "n/a"}

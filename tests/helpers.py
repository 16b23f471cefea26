"""Small builders shared by tests: a rubric, people and interactions without the importers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from conftest import DATA
from sqlmodel import select

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


def bulk_routine_scores(store: Store, rubric: str, agents: dict[str, str],
                        fails: dict[str, np.ndarray], per_agent: int, *,
                        start: datetime | None = None) -> dict[str, list[str]]:
    """Routine evaluations straight into the store (Core bulk inserts): ``per_agent`` contacts
    for each agent (name → team), one evaluation each, scored by "Ann". ``fails[key]`` is a
    (agents × per_agent) bool array of failed answers; other answers pass. Returns the failing
    contacts per criterion key ("crm:EXT")."""
    from sqlalchemy import insert
    from sqlmodel import select

    from qa_calibrate.rubric import _rubric_criteria
    from qa_calibrate.scoring import score_matrix

    start = start or datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)
    with store.session() as s:
        rub = s.exec(select(m.Rubric).where(m.Rubric.name == rubric)).one()
        crit = _rubric_criteria(s, rub.id)
        ann = s.exec(select(m.Evaluator).where(m.Evaluator.name == "Ann")).one().id
    names = list(agents)
    n_ev = len(names) * per_agent
    failed = np.zeros((n_ev, len(crit)), dtype=bool)
    for j, c in enumerate(crit):
        if c.key in fails:
            failed[:, j] = np.asarray(fails[c.key], dtype=bool).reshape(-1)
    values = np.where(failed, [c.min_value for c in crit], [c.max_value for c in crit])
    scores, auto = score_matrix(crit, values, np.zeros_like(values, dtype=bool))
    now = datetime.now(timezone.utc)
    exts = [f"P-{k:06d}" for k in range(n_ev)]
    with store.engine.begin() as conn:
        ids = conn.execute(insert(m.Interaction.__table__).returning(
            m.Interaction.__table__.c.id, sort_by_parameter_order=True), [
            {"source": "crm", "external_id": exts[k], "channel": "chat",
             "agent": names[k // per_agent], "team": agents[names[k // per_agent]],
             "site": "Leeds", "started_at": start + timedelta(minutes=k), "redacted": True,
             "imported_at": now} for k in range(n_ev)]).scalars().all()
        evs = conn.execute(insert(m.Evaluation.__table__).returning(
            m.Evaluation.__table__.c.id, sort_by_parameter_order=True), [
            {"evaluator_id": ann, "interaction_id": ids[k], "rubric_id": rub.id, "context": 0,
             "status": "submitted", "score": float(scores[k]), "auto_failed": bool(auto[k]),
             "created_at": now, "updated_at": now,
             "submitted_at": start + timedelta(minutes=k + 30),
             "scored_at": start + timedelta(minutes=k + 30), "version": 1}
            for k in range(n_ev)]).scalars().all()
        conn.execute(insert(m.Answer.__table__), [
            {"evaluation_id": evs[k], "criterion_id": c.id, "value": float(values[k, j]),
             "na": False} for k in range(n_ev) for j, c in enumerate(crit)])
    return {c.key: [f"crm:{exts[k]}" for k in np.nonzero(failed[:, j])[0]]
            for j, c in enumerate(crit)}


VENDOR_SITE = "Manila (Vendor: Northstar BPO)"
VENDOR = ["Vic Vendor", "Val Vendor"]


def plant_vendor_offset(store: Store, name: str = "Two sites", n: int = 20) -> list[str]:
    """A session where two vendor evaluators (``VENDOR``, site ``VENDOR_SITE``) score ``n``
    contacts one step higher than Ann and Bob on empathy (+8.3 points) or accuracy (+4.2),
    alternately: a true offset of +6.25 points. Needs ``seed_basics`` first; returns the ids."""
    from qa_calibrate import sessions

    with store.session() as s:
        ids = [i.external_id for i in s.exec(select(m.Interaction)
                                             .order_by(m.Interaction.id)).all()][:n]
    for person in VENDOR:
        add_evaluator(store, person, site=VENDOR_SITE, actor=LEAD)
    sessions.create_session(store, name=name, rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob", *VENDOR], interactions=ids)
    for k, ext in enumerate(ids):
        client = {**FULL_PASS, "empathy": 2 + k % 3, "accuracy": 1 + k % 2}
        vendor = dict(client)
        vendor["empathy" if k % 2 == 0 else "accuracy"] += 1
        for person, answers in (("Ann", client), ("Bob", client), (VENDOR[0], vendor),
                                (VENDOR[1], vendor)):
            sessions.score(store, name, evaluator=person, interaction=ext, answers=answers,
                           submit_now=True)
    return ids


TREND_SESSIONS = ("Jul chat", "Aug chat", "Sep chat")


def plant_trend(store: Store) -> list[str]:
    """Three revealed sessions a month apart on the mini rubric (lead as benchmark), where Cy
    disagrees on empathy and accuracy less each month and Ann always matches the benchmark,
    and an open one ("Oct chat") in which everyone disagrees. Needs ``seed_basics`` first."""
    from qa_calibrate import sessions

    with store.read() as s:
        ids = [i.external_id for i in s.exec(select(m.Interaction)
                                             .order_by(m.Interaction.id)).all()][:4]
    months = (*TREND_SESSIONS, "Oct chat")
    for month, name in enumerate(months):
        sessions.create_session(store, name=name, rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=EVALUATORS, benchmark=LEAD, interactions=ids,
                                created_at=datetime(2026, 7 + month, 1, tzinfo=timezone.utc))
        for k, ext in enumerate(ids):
            for who in (LEAD, *EVALUATORS):
                answers = dict(FULL_PASS)
                if who == "Cy" and k >= month:  # wrong on the first 4 - month contacts
                    answers["empathy"], answers["accuracy"] = 2, 2
                if name == "Oct chat" and who != LEAD:
                    answers["greeting"] = "no" if who == "Ann" else "yes"
                    answers["empathy"] = {"Ann": 1, "Bob": 3, "Cy": 5}[who]
                sessions.score(store, name, evaluator=who, interaction=ext, answers=answers,
                               submit_now=True)
        if name != "Oct chat":
            sessions.reveal(store, name, actor=LEAD)
    return ids


MEETING_TURNS = [
    ("agent", 0, "Hello, you're through to Northwind, this is Sam."),
    ("customer", 12, "Hi, my bill is £40 more than last month and I want to know why."),
    ("agent", 30, "Can I take your account number?"),
    ("customer", 41, "It's 4471. Why is it so high?"),
    ("agent", 66, "That's just how it works, the price went up."),
    ("customer", 80, "Nobody told me. I'm not happy about this."),
    ("agent", 95, "I can add a one-off credit of £10 for the trouble."),
    ("customer", 120, "Fine. Thanks."),
]


def plant_meeting(store: Store) -> list[str]:
    """A revealed session ("Tied chat", benchmark the lead) on three contacts whose first has an
    eight-turn transcript; on it Ann and Cy fail empathy with comments tied to turns 4 and 5,
    Bob passes it with an untied comment, and the lead's comment on verify_identity is tied to
    turn 2. Needs ``seed_basics`` first."""
    from qa_calibrate import sessions

    with store.session() as s:
        first = s.exec(select(m.Interaction).where(m.Interaction.external_id == "C-000")).one()
        for turn in s.exec(select(m.Turn).where(m.Turn.interaction_id == first.id)).all():
            s.delete(turn)
        s.flush()
        for seq, (speaker, at, text) in enumerate(MEETING_TURNS):
            s.add(m.Turn(interaction_id=first.id, seq=seq, speaker=speaker,
                         offset_seconds=at, text=text))
    ids = ["C-000", "C-001", "C-002"]
    sessions.create_session(store, name="Tied chat", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, benchmark=LEAD, interactions=ids,
                            created_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
    notes = {"Ann": ("empathy", 2, "Dismissive: 'that's just how it works'.", 4),
             "Cy": ("empathy", 1, "No acknowledgement of the customer's frustration.", 5),
             "Bob": ("empathy", 4, "Offered a credit, fair enough.", None),
             LEAD: ("verify_identity", "yes", "Asked for the account number first.", 2)}
    for ext in ids:
        for who in (LEAD, *EVALUATORS):
            answers: dict[str, object] = dict(FULL_PASS)
            comments, turns = {}, {}
            if ext == "C-000":
                key, value, comment, turn = notes[who]
                answers[key] = value
                comments[key] = comment
                if turn is not None:
                    turns[key] = turn
            sessions.score(store, "Tied chat", evaluator=who, interaction=ext, answers=answers,
                           comments=comments, turns=turns, submit_now=True)
    sessions.reveal(store, "Tied chat", actor=LEAD)
    return ids

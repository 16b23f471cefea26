"""Loading the bundled sample data into a store (``qa-calibrate demo``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from . import models as m
from .errors import InputError
from .store import Store


@dataclass
class DemoLoad:
    loaded: bool
    steps: list[str] = field(default_factory=list)


def store_is_empty(store: Store) -> bool:
    with store.read() as session:
        return not session.exec(select(func.count()).select_from(m.Interaction)).one()


def load_sample_data(
    store: Store,
    *,
    sample_dir: Path | None = None,
    rubrics_dir: Path | None = None,
    actor: str = "demo",
    say: Callable[[str], None] | None = None,
) -> DemoLoad:
    """Load rubrics, people, transcripts, historical scores and the sample calibration session.

    ``sample_dir`` and ``rubrics_dir`` default to the data bundled with the package. Does nothing
    when the store already holds interactions (the demo is loaded once)."""
    from . import bundled

    for given, what in ((sample_dir, "sample data"), (rubrics_dir, "rubrics")):
        if given is not None and not given.is_dir():
            raise InputError(f"{what} not found: {given} is not a folder")
    if not store_is_empty(store):
        return DemoLoad(loaded=False)
    with ExitStack() as stack:
        sample_dir = sample_dir or stack.enter_context(bundled.sample_directory())
        rubrics_dir = rubrics_dir or stack.enter_context(bundled.rubric_directory())
        return _load(store, sample_dir, rubrics_dir, actor, say)


def _load(store: Store, sample_dir: Path, rubrics_dir: Path, actor: str,
          say: Callable[[str], None] | None) -> DemoLoad:
    from .evaluations import import_evaluations
    from .importers import import_transcripts
    from .people import import_evaluators
    from .rubric import load_rubric_paths
    from .sessions import create_session

    result = DemoLoad(loaded=False)

    def step(text: str) -> None:
        result.steps.append(text)
        if say is not None:
            say(text)

    loaded = load_rubric_paths(store, [rubrics_dir], actor=actor)
    step(f"rubrics: {len(loaded)} files from {rubrics_dir}")
    people_file = sample_dir / "evaluators.csv"
    if people_file.exists():
        added = import_evaluators(store, people_file, actor=actor)
        step(f"people: {added} from {people_file.name}")
    # Once the sample's people are in, the rest of the setup is a lead's: the demo acts as the
    # sample's lead, as a real team would.
    with store.read() as session:
        lead = session.exec(select(m.Evaluator.name).where(m.Evaluator.role == "lead")
                            .order_by(m.Evaluator.name)).first()
    actor = lead or actor
    transcripts = sorted(
        p for p in sample_dir.iterdir()
        if p.name.startswith("transcripts") and p.suffix in (".csv", ".json", ".jsonl")
    )
    if not transcripts:
        raise InputError(f"sample data not found: no transcripts_*.csv, *.json or *.jsonl in "
                         f"{sample_dir}")
    for res in import_transcripts(store, transcripts, actor=actor):
        step(f"transcripts: {res.interactions_added} interactions from {Path(res.path).name}")
    history = sorted(sample_dir.glob("evaluations_history*.csv"))
    for scores in import_evaluations(store, history, actor=actor):
        step(f"evaluations: {scores.evaluations_added} from {Path(scores.path).name}")
    sessions_file = sample_dir / "calibration_sessions.json"
    if sessions_file.exists():
        for spec in json.loads(sessions_file.read_text(encoding="utf-8")):
            create_session(
                store, name=spec["name"], rubric=spec["rubric"], lead=spec["lead"],
                evaluators=spec["evaluators"], benchmark=spec.get("benchmark"),
                interactions=spec["interactions"], source=spec.get("source"),
                due_on=_date(spec.get("due_on")), created_at=_datetime(spec.get("created_at")),
                actor=spec["lead"],
            )
            step(f"session: {spec['name']}")
        calibration = sorted(sample_dir.glob("evaluations_calibration*.csv"))
        for scores in import_evaluations(store, calibration, actor=actor):
            step(f"calibration scores: {scores.evaluations_added} from "
                 f"{Path(scores.path).name}")
    result.loaded = True
    return result


def _date(raw: Any) -> date | None:
    return date.fromisoformat(raw) if raw else None


def _datetime(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def demo_user(store: Store) -> str | None:
    """Who the demo starts as: an evaluator with samples still to score, else the lead."""
    from .sessions import queue_for

    with store.read() as session:
        people = session.exec(select(m.Evaluator).order_by(m.Evaluator.name)).all()
    for person in people:
        if person.role == "evaluator" and any(q["to_score"] for q in queue_for(store, person.name)):
            return person.name
    leads = [p.name for p in people if p.role == "lead"]
    if leads:
        return leads[0]
    return people[0].name if people else None

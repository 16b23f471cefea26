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
        specs = json.loads(sessions_file.read_text(encoding="utf-8"))
        if specs and calibration:
            step(_vendor_round_trip(store, specs[0], calibration[0], actor))
    result.loaded = True
    return result


# The vendor's own QA team, who share no store with the client: they calibrate on the same chats
# through a signed packet. Their answers are those the sample's Manila evaluators gave in the
# first session (one lenient on verification, one harsh on ownership), so the offset between
# the organisations is the sample's planted one.
VENDOR_SITE = "Manila (Vendor: Northstar BPO)"
VENDOR_LEAD = "Rhea Santos"
VENDOR_QA = {"Liza Reyes": "Miguel Torres", "Paolo Cruz": "Ana Lim"}
CLIENT_QA = ("Hannah Okoye", "Marcus Reid", "Sofia Marin")
VENDOR_SESSION = "Oct 2026 chat calibration with Northstar QA"


def _vendor_round_trip(store: Store, spec: dict[str, Any], calibration: Path, lead: str) -> str:
    """Create the cross-organisation session on the client's store, send it to a vendor store
    of its own (a temporary one), score it there, and read the vendor's results back."""
    import csv
    import tempfile

    from . import packets
    from .evaluations import import_evaluations
    from .people import add_evaluator
    from .sessions import create_session
    from .store import open_store

    with calibration.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0]) if rows else []

    def write(path: Path, chosen: list[dict[str, str]]) -> Path:
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, fields)
            out.writeheader()
            out.writerows(chosen)
        return path

    client = set(CLIENT_QA) | {spec.get("benchmark") or ""}
    with tempfile.TemporaryDirectory(prefix="qa-calibrate-demo-") as folder:
        tmp = Path(folder)
        create_session(store, name=VENDOR_SESSION, rubric=spec["rubric"], lead=lead,
                       evaluators=list(CLIENT_QA), benchmark=spec.get("benchmark"),
                       interactions=spec["interactions"], source=spec.get("source"),
                       due_on=_date(spec.get("due_on")),
                       created_at=_datetime(spec.get("created_at")), actor=lead)
        mine = [{**r, "session": VENDOR_SESSION} for r in rows if r["evaluator"] in client]
        import_evaluations(store, [write(tmp / "client.csv", mine)], actor=lead)
        packets.keygen(tmp / "shared.key")
        key = packets.read_key(tmp / "shared.key")
        packets.export_session(store, VENDOR_SESSION, tmp / "session.packet", key=key,
                               actor=lead)
        vendor = open_store(f"sqlite:///{tmp / 'vendor.db'}")
        try:
            add_evaluator(vendor, VENDOR_LEAD, role="lead", site=VENDOR_SITE, actor=VENDOR_LEAD)
            for name in VENDOR_QA.values():
                add_evaluator(vendor, name, site=VENDOR_SITE, actor=VENDOR_LEAD)
            packets.import_packet(vendor, tmp / "session.packet", key=key, actor=VENDOR_LEAD,
                                  lead=VENDOR_LEAD, evaluators=list(VENDOR_QA.values()))
            theirs = [{**r, "evaluator": VENDOR_QA[r["evaluator"]], "session": VENDOR_SESSION}
                      for r in rows if r["evaluator"] in VENDOR_QA]
            import_evaluations(vendor, [write(tmp / "vendor.csv", theirs)], actor=VENDOR_LEAD)
            packets.export_results(vendor, VENDOR_SESSION, tmp / "results.packet", key=key,
                                   actor=VENDOR_LEAD)
        finally:
            vendor.close()
        back = packets.import_packet(store, tmp / "results.packet", key=key, actor=lead)
    return (f"session: {VENDOR_SESSION} (the vendor's {back.people} evaluators and "
            f"{back.evaluations} evaluations came back in a signed results packet)")


def _date(raw: Any) -> date | None:
    return date.fromisoformat(raw) if raw else None


def _datetime(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def demo_user(store: Store) -> str | None:
    """Who the demo starts as: an evaluator with samples still to score, else the lead."""
    from .sessions import queue_for

    with store.read() as session:
        people = [p for p in session.exec(select(m.Evaluator).order_by(m.Evaluator.name)).all()
                  if not p.external]  # another organisation's evaluators cannot act here
    for person in people:
        if person.role == "evaluator" and any(q.to_score for q in queue_for(store, person.name)):
            return person.name
    leads = [p.name for p in people if p.role == "lead"]
    if leads:
        return leads[0]
    return people[0].name if people else None

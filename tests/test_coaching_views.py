"""The coaching plan and assignments as typed views: the CLI's JSON and CSV of ``coaching plan``
and ``coaching list`` are what they were when the core returned dicts (a golden recorded from
that code, tests/data/coaching_golden.json), and the layers read attributes, not stored JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT
from helpers import EVALUATORS, FULL_PASS, LEAD, seed_basics, write_history_csv

from qa_calibrate.cli import cli
from qa_calibrate.demo import load_sample_data
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.store import open_store

GOLDEN = DATA / "coaching_golden.json"
COMMANDS = {
    "dry_json": ["coaching", "plan", "--dry-run", "--min-answers", "3", "--format", "json"],
    "dry_csv": ["coaching", "plan", "--dry-run", "--min-answers", "3", "--format", "csv"],
    "plan_json": ["coaching", "plan", "--min-answers", "3", "--format", "json"],
    "list_json": ["coaching", "list", "--format", "json"],
    "list_csv": ["coaching", "list", "--format", "csv"],
}
DATE_FIELD = re.compile(r'"(assigned_on|due_on)": "(\d{4}-\d\d-\d\d)"')


def _relative(day: str, today: date) -> str:
    return f"TODAY+{(date.fromisoformat(day) - today).days}"


def _normalise(name: str, text: str, today: date) -> str | list[list[str]]:
    """The output with the plan's own dates (made today) written relative to today, so the
    golden holds on any day; everything else is kept exactly as printed."""
    if name.endswith("_json"):
        return DATE_FIELD.sub(lambda mt: f'"{mt[1]}": "{_relative(mt[2], today)}"', text)
    rows = list(csv.reader(io.StringIO(text)))
    cols = [rows[0].index(c) for c in ("assigned_on", "due_on")]
    for row in rows[1:]:
        for c in cols:
            row[c] = _relative(row[c], today)
    return rows


def _sample_store(url: str) -> None:
    """The bundled sample data: systemic findings (floor and team), critical reviews and a
    drifting evaluator's recalibration."""
    store = open_store(url)
    try:
        load_sample_data(store, sample_dir=ROOT / "sample_data", rubrics_dir=ROOT / "rubrics",
                         actor="test")
    finally:
        store.close()


def _small_store(url: str, tmp: Path) -> None:
    """A refresher (Agent 0 fails empathy every time), a critical review, and a calibration
    score below 80 (Bob against the benchmark in a revealed session)."""
    from qa_calibrate import sessions

    store = open_store(url)
    try:
        ids = seed_basics(store, n_interactions=12)
        rows = []
        for n, ext in enumerate(ids):
            answers = dict(FULL_PASS)
            if n % 3 == 0:
                answers["empathy"] = 1
            if n == 1:
                answers["verify_identity"] = "no"
            for key, value in answers.items():
                rows.append((ext, "Ann", key, value, f"2026-10-{n + 1:02d}T10:00:00+00:00",
                             "=HYPERLINK(\"x\")" if key == "empathy" and n % 3 == 0 else ""))
        write_history_csv(tmp / "history.csv", rows)
        import_evaluations(store, [tmp / "history.csv"], actor=LEAD)
        sessions.create_session(store, name="Cal", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=EVALUATORS, benchmark=LEAD, interactions=ids[:2],
                                created_at=datetime(2026, 10, 20, tzinfo=timezone.utc))
        for who in EVALUATORS + [LEAD]:
            for ext in ids[:2]:
                answers = dict(FULL_PASS)
                if who == "Bob":
                    answers.update(greeting="no", empathy=2)
                sessions.score(store, "Cal", evaluator=who, interaction=ext, answers=answers,
                               submit_now=True)
        sessions.reveal(store, "Cal", actor=LEAD)
    finally:
        store.close()


def _outputs(url: str, actor: str) -> dict[str, str]:
    out = {}
    for name, args in COMMANDS.items():
        result = CliRunner().invoke(cli, ["--db", url, "--as", actor, *args])
        assert result.exit_code == 0, result.output
        out[name] = result.stdout
    return out


def _scenarios(tmp_path: Path) -> dict[str, dict[str, str]]:
    sys.path.insert(0, str(ROOT / "sample_data"))
    import generate

    sample = f"sqlite:///{tmp_path / 'sample.db'}"
    _sample_store(sample)
    small = f"sqlite:///{tmp_path / 'small.db'}"
    _small_store(small, tmp_path)
    return {"sample": _outputs(sample, generate.LEAD[0]), "small": _outputs(small, LEAD)}


def test_plan_and_listing_json_and_csv_are_what_the_dict_code_printed(tmp_path):
    today = datetime.now(timezone.utc).date()
    got = _scenarios(tmp_path)
    if os.environ.get("QA_CALIBRATE_WRITE_GOLDEN"):  # only to record the golden afresh
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        pytest.skip("golden written")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden.keys() == got.keys()
    for scenario, outputs in golden.items():
        assert outputs.keys() == got[scenario].keys()
        for name, text in outputs.items():
            # the golden was recorded on its own day: both sides relative to their day
            recorded = date.fromisoformat(golden_day(text, name))
            assert _normalise(name, got[scenario][name], today) == \
                _normalise(name, text, recorded), f"{scenario} {name}"
    kinds = {r["kind"] for s in got.values() for r in json.loads(s["plan_json"])}
    assert kinds == {"refresher", "systemic", "critical_review", "recalibration"}
    small = json.loads(got["small"]["plan_json"])
    shapes = {tuple(r["evidence"]) for r in small if r["kind"] == "recalibration"}
    assert ("criteria", "calibration_score", "match_rate", "sessions") in shapes


def golden_day(text: str, name: str) -> str:
    """The day a plan output was made: its first assignment's ``assigned_on``."""
    if name.endswith("_json"):
        return json.loads(text)[0]["assigned_on"]
    rows = list(csv.reader(io.StringIO(text)))
    return rows[1][rows[0].index("assigned_on")]


def test_evidence_views_give_back_every_stored_shape_key_for_key():
    """Every evidence in the golden (each kind and shape the plan stores) read into the typed
    view and written back is the same JSON, keys in the same order."""
    from qa_calibrate.coaching import Evidence

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    seen = set()
    for outputs in golden.values():
        for row in json.loads(outputs["plan_json"]) + json.loads(outputs["dry_json"]):
            ev = Evidence.of(row["evidence"])
            assert json.dumps(ev.to_dict()) == json.dumps(row["evidence"])
            seen.add((row["kind"], tuple(row["evidence"])))
            for c, stored in zip(ev.criteria, row["evidence"]["criteria"], strict=True):
                assert c.criterion == stored["criterion"]
    assert len(seen) == 5  # refresher, systemic, critical review, two kinds of recalibration
    assert Evidence.parse(None).to_dict() == {} and Evidence.parse("{}").criteria == ()


def test_views_are_frozen_and_the_layers_get_no_dicts(tmp_path):
    import dataclasses

    from qa_calibrate import coaching
    from qa_calibrate.errors import PermissionDenied

    url = f"sqlite:///{tmp_path / 'small.db'}"
    _small_store(url, tmp_path)
    store = open_store(url)
    try:
        made = coaching.plan(store, actor=LEAD, settings=coaching.CoachingSettings(min_answers=3))
        assert made.saved and len(made) == len(made.created) == 3
        first = made.assignments[0]
        assert isinstance(first, coaching.AssignmentView)
        assert isinstance(first.evidence, coaching.Evidence)
        assert isinstance(first.evidence.criteria[0], coaching.CriterionEvidence)
        assert list(first.to_dict()) == list(coaching.PLAN_KEYS)
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.status = "Done"  # type: ignore[misc]
        assert coaching.get_assignment(store, first.id, actor=LEAD) == first
        assert coaching.list_assignments(store, actor="Tess Trainer") == list(made)
        dry = coaching.plan(store, actor=LEAD, save=False,
                            settings=coaching.CoachingSettings(min_answers=3))
        assert not dry.saved and dry.assignments == dry.created == ()  # all open already
        # every coaching read takes the acting person: an evaluator is refused by the core
        for call in (lambda: coaching.list_assignments(store, actor="Ann"),
                     lambda: coaching.count_assignments(store, actor="Ann"),
                     lambda: coaching.criterion_failure_rates(store, actor="Ann"),
                     lambda: coaching.get_assignment(store, first.id, actor="Ann")):
            with pytest.raises(PermissionDenied):
                call()
    finally:
        store.close()

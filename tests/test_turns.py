"""A comment tied to a transcript turn: saved while scoring, imported, listed, and carried into
the meeting view under the blind rule, with the transcript read through the access check."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from helpers import FULL_PASS, LEAD, seed_basics
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate import sessions
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError, PermissionDenied
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.report import meeting_view


@pytest.fixture
def cal(store):
    ids = seed_basics(store)
    sessions.create_session(store, name="Tied", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:2])
    return store, ids[:2]


def _turns(store) -> dict[tuple[str, str], int | None]:
    with store.read() as s:
        rows = s.exec(select(m.Evaluator.name, m.Criterion.key, m.Answer.turn_seq)
                      .join(m.Evaluation, m.Evaluation.evaluator_id == m.Evaluator.id)
                      .join(m.Answer, m.Answer.evaluation_id == m.Evaluation.id)
                      .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)).all()
    return {(who, key): seq for who, key, seq in rows}


def test_a_comment_is_tied_to_a_turn_untied_and_checked(cal):
    store, ids = cal
    sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0],
                   answers={"greeting": "no"}, comments={"greeting": "no hello"},
                   turns={"greeting": 1})
    assert _turns(store)[("Ann", "greeting")] == 1
    # answering again keeps the tie; a turns-only change moves it; None unties
    sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0], answers={"greeting": "no"})
    assert _turns(store)[("Ann", "greeting")] == 1
    sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0], answers={},
                   turns={"greeting": 0})
    assert _turns(store)[("Ann", "greeting")] == 0
    sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0], answers={},
                   turns={"greeting": None})
    assert _turns(store)[("Ann", "greeting")] is None
    with pytest.raises(InputError, match="turn 7 is not a turn of this interaction"):
        sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0], answers={},
                       turns={"greeting": 7})
    with pytest.raises(InputError, match="answer it before"):
        sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0], answers={},
                       turns={"empathy": 1})
    item = sessions.save_answer(store, "Tied", evaluator="Ann", interaction=ids[0],
                                answers={}, turns={"greeting": 1}, position=0)
    assert item.answers["greeting"].turn == 1  # the scoring item carries it back


def test_the_meeting_view_carries_turns_and_transcript_under_the_blind_rule(cal):
    store, ids = cal
    for who in ("Ann", "Bob"):
        for ext in ids:
            sessions.score(store, "Tied", evaluator=who, interaction=ext,
                           answers={**FULL_PASS, "greeting": "no" if who == "Ann" else "yes"},
                           comments={"greeting": f"{who} says"},
                           turns={"greeting": 1 if who == "Ann" else 0},
                           submit_now=who == "Ann")
    with pytest.raises(PermissionDenied, match="open"):
        meeting_view(store, "Tied", viewer="Ann", position=0)
    view = meeting_view(store, "Tied", viewer=LEAD, position=0)
    greeting = next(r for r in view.rows if r.criterion.key == "greeting")
    names = view.evaluators
    by_name = dict(zip(names, greeting.cells, strict=True))
    assert by_name["Ann"].turn == 1 and by_name["Ann"].comment == "Ann says"
    assert by_name["Bob"].turn is None and by_name["Bob"].comment is None  # a draft
    assert [t.seq for t in view.transcript] == [0, 1]
    assert view.transcript[1].text == "Hi, how can I help?"
    assert view.transcript_refused is None
    for ext in ids:
        sessions.score(store, "Tied", evaluator="Bob", interaction=ext, answers={},
                       submit_now=True)
    sessions.reveal(store, "Tied", actor=LEAD)
    view = meeting_view(store, "Tied", viewer="Bob", position=1)
    greeting = next(r for r in view.rows if r.criterion.key == "greeting")
    assert [c.turn for c in greeting.cells] == [1, 0]
    assert view.interaction.ref == "crm:C-001"
    assert [t.speaker for t in view.transcript] == ["customer", "agent"]


def test_answers_listing_and_cli_give_the_turn(cal, db_url):
    store, ids = cal
    sessions.score(store, "Tied", evaluator="Ann", interaction=ids[0],
                   answers={"greeting": "no"}, comments={"greeting": "x"}, turns={"greeting": 1})
    rows = sessions.list_answers(store, "Tied", actor="Ann")
    assert [(r["criterion"], r["turn"]) for r in rows] == [("greeting", 1)]
    env = {"QA_CALIBRATE_USER": None, "QA_CALIBRATE_DB": None}
    out = CliRunner().invoke(cli, ["--db", db_url, "--as", "Ann", "session", "answers", "Tied",
                                   "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["criterion"], r["turn"]) for r in table] == [("greeting", "1")]
    out = CliRunner().invoke(cli, ["--db", db_url, "--as", "Ann", "session", "answers", "Tied",
                                   "--format", "json"], env=env)
    assert json.loads(out.stdout)[0]["turn"] == 1
    # the CLI ties and unties too, and refuses a turn that is not a number in one line
    base = ["--db", db_url, "--as", "Ann", "score", "Tied", "--interaction", ids[0]]
    out = CliRunner().invoke(cli, [*base, "--turn", "greeting=0"], env=env)
    assert out.exit_code == 0, out.output
    assert _turns(store)[("Ann", "greeting")] == 0
    out = CliRunner().invoke(cli, [*base, "--turn", "greeting="], env=env)
    assert out.exit_code == 0 and _turns(store)[("Ann", "greeting")] is None
    out = CliRunner().invoke(cli, [*base, "--turn", "greeting=two"], env=env)
    assert out.exit_code != 0 and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.output


def test_the_importer_reads_an_optional_turn_column(cal, tmp_path):
    store, _ids = cal
    good = tmp_path / "good.csv"
    with open(good, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["interaction", "source", "evaluator", "rubric", "criterion", "value",
                    "comment", "scored_at", "turn"])
        w.writerow(["C-004", "crm", "Ann", "mini", "greeting", "no", "cold open",
                    "2026-09-03T10:00:00", "0"])
        w.writerow(["C-004", "crm", "Ann", "mini", "empathy", "3", "", "2026-09-03T10:00:00",
                    ""])
    import_evaluations(store, [good], actor=LEAD)
    got = _turns(store)
    assert got[("Ann", "greeting")] == 0 and got[("Ann", "empathy")] is None
    for bad_turn, message in (("9", "row 2: field 'turn': turn 9 is not a turn"),
                              ("first", "row 2: field 'turn': 'first' is not a whole number")):
        bad = tmp_path / "bad.csv"
        bad.write_text("interaction,source,evaluator,rubric,criterion,value,turn\n"
                       f"C-005,crm,Ann,mini,greeting,no,{bad_turn}\n")
        with pytest.raises(InputError, match=message):
            import_evaluations(store, [bad], actor=LEAD)
